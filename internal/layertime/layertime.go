// Package layertime rewrites the file times of an image layer to a
// SOURCE_DATE_EPOCH exactly as BuildKit's image exporter does with
// rewrite-timestamp=true (v0.34.2, util/converter): the layer is
// decompressed, every tar header's modification, access and change time
// after the epoch is set to it (tarconverter), and the tar is compressed
// again with gzip at its default level. The same Go toolchain and the same
// BuildKit module give the same bytes. A Cache keeps rewritten layers by
// (source blob digest, epoch, compression), so a layer is rewritten once.
package layertime

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"time"

	"github.com/containerd/containerd/v2/pkg/archive/compression"
	"github.com/moby/buildkit/util/converter/tarconverter"
	"github.com/opencontainers/go-digest"
)

// Compression is the only target compression Rewrite writes: BuildKit's
// default, gzip at gzip.DefaultCompression.
const Compression = "gzip"

// Result describes a rewritten layer.
type Result struct {
	// Digest and Size are the rewritten, compressed blob's.
	Digest digest.Digest `json:"digest"`
	Size   int64         `json:"size"`
	// DiffID is the digest of the rewritten tar.
	DiffID digest.Digest `json:"diffID"`
	// OrigDiffID is the digest of the source's tar: when it is the
	// base image's diffID at that index, BuildKit keeps the source layer.
	OrigDiffID digest.Digest `json:"origDiffID"`
}

// Rewrite reads the compressed (gzip, zstd) or plain tar layer src and
// writes to dst the gzip of its tar with every time after epoch set to
// epoch.
func Rewrite(src io.Reader, epoch time.Time, dst io.Writer) (Result, error) {
	dec, err := compression.DecompressStream(src)
	if err != nil {
		return Result{}, fmt.Errorf("decompressing the layer: %w", err)
	}
	defer dec.Close()
	orig := digest.Canonical.Digester()
	tr := tarconverter.NewReader(io.TeeReader(dec, orig.Hash()), clamp(epoch))
	defer tr.Close()
	diff := digest.Canonical.Digester()
	blob, size, err := gzipTo(dst, io.TeeReader(tr, diff.Hash()))
	if err != nil {
		return Result{}, fmt.Errorf("rewriting the layer's file times: %w", err)
	}
	return Result{Digest: blob, Size: size, DiffID: diff.Digest(), OrigDiffID: orig.Digest()}, nil
}

// Compress writes to dst the gzip of the plain tar layer src, as BuildKit
// compresses a layer it exports (util/compression, gzip at its default
// level): the blob BuildKit keeps where its rewrite keeps the source
// layer, when weld had the layer uncompressed.
func Compress(src io.Reader, dst io.Writer) (Result, error) {
	diff := digest.Canonical.Digester()
	blob, size, err := gzipTo(dst, io.TeeReader(src, diff.Hash()))
	if err != nil {
		return Result{}, fmt.Errorf("compressing the layer: %w", err)
	}
	return Result{Digest: blob, Size: size, DiffID: diff.Digest(), OrigDiffID: diff.Digest()}, nil
}

// gzipTo writes the gzip of src to dst and returns its digest and size.
func gzipTo(dst io.Writer, src io.Reader) (digest.Digest, int64, error) {
	blob := digest.Canonical.Digester()
	n := &counter{}
	bw := bufio.NewWriterSize(io.MultiWriter(dst, blob.Hash(), n), 128*1024)
	zw, err := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	if err != nil {
		return "", 0, err
	}
	if _, err := io.Copy(zw, src); err != nil {
		return "", 0, err
	}
	if err := zw.Close(); err != nil {
		return "", 0, err
	}
	if err := bw.Flush(); err != nil {
		return "", 0, err
	}
	return blob.Digest(), n.n, nil
}

// clamp is BuildKit's rewriteTimestampInTarHeader.
func clamp(epoch time.Time) tarconverter.HeaderConverter {
	return func(hdr *tar.Header) {
		if hdr.ModTime.After(epoch) {
			hdr.ModTime = epoch
		}
		if hdr.AccessTime.After(epoch) {
			hdr.AccessTime = epoch
		}
		if hdr.ChangeTime.After(epoch) {
			hdr.ChangeTime = epoch
		}
	}
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
