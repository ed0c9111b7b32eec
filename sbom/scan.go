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
	Path   string `json:"p"`
	SHA1   string `json:"s1"`
	SHA256 string `json:"s256"`
}

// layerScan is what one layer holds: its files, what among them names
// packages, and what it hides of the layers below. It is a function of
// the layer's bytes alone, so a Cache keeps it by the layer's digest.
type layerScan struct {
	digest    digest.Digest
	files     []fileEntry
	found     map[string]found
	written   []string // every path but folders: each replaces what was below
	whiteouts []string
	opaque    []string
}

// scanner walks the layers in order; final is the view of the merged
// filesystem, whiteouts applied.
type scanner struct {
	final  map[string]found
	layers []*layerScan
}

// readLayer reads one layer.
func readLayer(ctx context.Context, l Layer) (*layerScan, error) {
	rc, err := l.Open()
	if err != nil {
		return nil, fmt.Errorf("opening layer %s: %w", l.Digest, err)
	}
	defer rc.Close()
	r, closeR, err := decompress(rc)
	if err != nil {
		return nil, fmt.Errorf("reading layer %s: %w", l.Digest, err)
	}
	defer closeR()
	ls := &layerScan{digest: l.Digest, found: map[string]found{}}
	byPath := map[string]int{} // index in ls.files
	tr := tar.NewReader(r)
	for {
		if err := context.Cause(ctx); ctx.Err() != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return ls, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading layer %s: %w", l.Digest, err)
		}
		if err := ls.entry(tr, hdr, byPath); err != nil {
			return nil, fmt.Errorf("reading %s in layer %s: %w", hdr.Name, l.Digest, err)
		}
	}
}

// entry records one tar entry.
func (ls *layerScan) entry(r io.Reader, hdr *tar.Header, byPath map[string]int) error {
	name := cleanPath(hdr.Name)
	if name == "" {
		return nil
	}
	dir, base := path.Split(name)
	switch {
	case base == ".wh..wh..opq":
		ls.opaque = append(ls.opaque, strings.TrimSuffix(dir, "/"))
		return nil
	case strings.HasPrefix(base, ".wh."):
		ls.whiteouts = append(ls.whiteouts, dir+strings.TrimPrefix(base, ".wh."))
		return nil
	}
	if hdr.Typeflag != tar.TypeDir { // a folder merges with the one below
		ls.written = append(ls.written, name)
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old tars write TypeRegA
		fe, f, err := inspect(r, name, hdr.Size)
		if err != nil {
			return err
		}
		byPath[name] = len(ls.files)
		ls.files = append(ls.files, fe)
		if f != nil {
			ls.found[name] = *f
		}
	case tar.TypeLink: // to a file of this layer
		target := cleanPath(hdr.Linkname)
		if i, ok := byPath[target]; ok {
			fe := ls.files[i]
			fe.Path = name
			byPath[name] = len(ls.files)
			ls.files = append(ls.files, fe)
		}
		if f, ok := ls.found[target]; ok {
			f.path = name
			ls.found[name] = f
		}
	}
	return nil
}

// add merges layer ls, the next one up, into the final view.
func (sc *scanner) add(ls *layerScan) {
	i := len(sc.layers)
	mine := make(map[string]found, len(ls.found))
	for p, f := range ls.found {
		f.layer = i
		mine[p] = f
	}
	sc.merge(mine, ls.written, ls.whiteouts, ls.opaque)
	sc.layers = append(sc.layers, ls)
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
		buf := bytes.NewBuffer(make([]byte, 0, min(size, 64<<20))) // a header may lie
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
	return fileEntry{Path: name, SHA1: hex.EncodeToString(h1.Sum(nil)), SHA256: hex.EncodeToString(h256.Sum(nil))}
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
