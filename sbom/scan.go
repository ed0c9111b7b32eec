package sbom

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // SPDX 2.3 requires a file's SHA-1 beside any other digest.
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
)

// Limits on what is read into memory to be looked into.
const (
	// MaxBinary is the largest ELF file whose Go build info is read.
	MaxBinary = 512 << 20
	// MaxDatabase is the largest package database that is parsed.
	MaxDatabase = 64 << 20
)

// Layer is one layer of an image: its blob, as its manifest names it.
type Layer struct {
	// Digest is the blob's digest.
	Digest digest.Digest
	// Open opens the blob: a tar, gzip or zstd stream (known by its first
	// bytes).
	Open func() (io.ReadCloser, error)
}

// Paths of the package databases and OS identification, as in a layer.
const (
	apkDB       = "lib/apk/db/installed"
	dpkgStatus  = "var/lib/dpkg/status"
	dpkgStatusD = "var/lib/dpkg/status.d/"
	osRelease   = "etc/os-release"
	osReleaseL  = "usr/lib/os-release"
)

// found is a file of the final filesystem that names packages.
type found struct {
	layer int
	path  string
	// gobin is the build info of a Go binary, else nil.
	gobin *buildinfo.BuildInfo
	// db is the text of a package database or os-release.
	db []byte
}

// fileEntry is one regular file of a layer.
type fileEntry struct {
	path         string
	sha1, sha256 string
}

// layerScan is what one layer holds.
type layerScan struct {
	digest digest.Digest
	files  []fileEntry
}

// scanner walks the layers in order; final is the view of the merged
// filesystem, whiteouts applied.
type scanner struct {
	final  map[string]found
	layers []layerScan
}

// scanLayer reads layer i and merges what it found into the final view.
func (sc *scanner) scanLayer(ctx context.Context, i int, l Layer) error {
	rc, err := l.Open()
	if err != nil {
		return fmt.Errorf("opening layer %s: %w", l.Digest, err)
	}
	defer rc.Close()
	r, closeR, err := decompress(rc)
	if err != nil {
		return fmt.Errorf("reading layer %s: %w", l.Digest, err)
	}
	defer closeR()
	ls := layerScan{digest: l.Digest}
	mine := map[string]found{}
	var written, whiteouts, opaque []string
	tr := tar.NewReader(r)
	for {
		if err := context.Cause(ctx); ctx.Err() != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading layer %s: %w", l.Digest, err)
		}
		name := cleanPath(hdr.Name)
		if name == "" {
			continue
		}
		dir, base := path.Split(name)
		switch {
		case base == ".wh..wh..opq":
			opaque = append(opaque, strings.TrimSuffix(dir, "/"))
			continue
		case strings.HasPrefix(base, ".wh."):
			whiteouts = append(whiteouts, dir+strings.TrimPrefix(base, ".wh."))
			continue
		}
		if hdr.Typeflag != tar.TypeDir { // a folder merges with the one below
			written = append(written, name)
		}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old tars write TypeRegA
			fe, f, err := inspect(tr, name, hdr.Size)
			if err != nil {
				return fmt.Errorf("reading %s in layer %s: %w", name, l.Digest, err)
			}
			ls.files = append(ls.files, fe)
			if f != nil {
				f.layer = i
				mine[name] = *f
			}
		case tar.TypeLink:
			target := cleanPath(hdr.Linkname)
			for _, fe := range ls.files {
				if fe.path == target {
					fe.path = name
					ls.files = append(ls.files, fe)
					break
				}
			}
			if f, ok := mine[target]; ok {
				f.path = name
				mine[name] = f
			}
		}
	}
	sc.merge(mine, written, whiteouts, opaque)
	sc.layers = append(sc.layers, ls)
	return nil
}

// merge applies one layer over the final view: its whiteouts and opaque
// folders hide what lower layers wrote, each path it writes replaces what
// was there, then what it found joins.
func (sc *scanner) merge(mine map[string]found, written, whiteouts, opaque []string) {
	for p := range sc.final {
		if hidden(p, written, whiteouts, opaque) {
			delete(sc.final, p)
		}
	}
	for p, f := range mine {
		sc.final[p] = f
	}
}

func hidden(p string, written, whiteouts, opaque []string) bool {
	for _, w := range whiteouts {
		if p == w || strings.HasPrefix(p, w+"/") {
			return true
		}
	}
	for _, d := range opaque {
		if d == "" || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	for _, w := range written {
		if p == w || strings.HasPrefix(p, w+"/") {
			return true
		}
	}
	return false
}

// inspect hashes one file and, when it may name packages (a package
// database, os-release, an ELF file within MaxBinary), reads it.
func inspect(r io.Reader, name string, size int64) (fileEntry, *found, error) {
	h1, h256 := sha1.New(), sha256.New() //nolint:gosec // see the import
	w := io.MultiWriter(h1, h256)
	head := make([]byte, 4)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fileEntry{}, nil, err
	}
	head = head[:n]
	isDB := isDatabase(name) && size <= MaxDatabase
	isELF := bytes.Equal(head, []byte("\x7fELF")) && size <= MaxBinary
	var f *found
	if isDB || isELF {
		buf := bytes.NewBuffer(make([]byte, 0, size))
		buf.Write(head)
		if _, err := io.Copy(buf, r); err != nil {
			return fileEntry{}, nil, err
		}
		w.Write(buf.Bytes())
		switch {
		case isDB:
			f = &found{path: name, db: buf.Bytes()}
		case isELF:
			if bi, err := buildinfo.Read(bytes.NewReader(buf.Bytes())); err == nil {
				f = &found{path: name, gobin: bi}
			}
		}
	} else {
		w.Write(head)
		if _, err := io.Copy(w, r); err != nil {
			return fileEntry{}, nil, err
		}
	}
	return newFileEntry(name, h1, h256), f, nil
}

func newFileEntry(name string, h1, h256 hash.Hash) fileEntry {
	return fileEntry{path: name, sha1: hex.EncodeToString(h1.Sum(nil)), sha256: hex.EncodeToString(h256.Sum(nil))}
}

func isDatabase(name string) bool {
	switch name {
	case apkDB, dpkgStatus, osRelease, osReleaseL:
		return true
	}
	return strings.HasPrefix(name, dpkgStatusD) && !strings.Contains(strings.TrimPrefix(name, dpkgStatusD), "/")
}

// cleanPath is a tar entry's name relative to the root, "" for the root.
func cleanPath(name string) string {
	p := path.Clean("/" + name)
	return strings.TrimPrefix(p, "/")
}

// decompress opens a layer stream, gzip, zstd or a plain tar, known by its
// first bytes.
func decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { _ = zr.Close() }, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}
