package leakscan

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Bounds of the scan inside one file of a layer. A file past them is
// reported as not fully scanned, which refuses the image like a leak: what
// was not read could hold a secret.
const (
	// MaxDepth is how many containers (gzip, zstd, bzip2, xz, tar, zip)
	// nested in one another inside a layer file are opened. A container
	// deeper than that is scanned as bytes and reported.
	MaxDepth = 5
	// MaxDecoded is how many decompressed bytes one layer file may yield,
	// all its nested containers together.
	MaxDecoded = 1 << 30
	// MaxRatio is how many times its compressed size a stream may grow once
	// it has yielded RatioFloor bytes: more is a compression bomb.
	MaxRatio = 1000
	// RatioFloor is where MaxRatio starts to count.
	RatioFloor = 16 << 20
	// MaxWindow is the largest zstd window or xz dictionary (memory held
	// while decompressing) that is opened; a stream that asks for more is
	// reported.
	MaxWindow = 128 << 20
)

// headLen is how much of a file is read to tell what it is.
const headLen = 512

// limits are the bounds a scan keeps; tests make them smaller.
type limits struct {
	depth                 int
	decoded, ratio, floor int64
}

var defaultLimits = limits{MaxDepth, MaxDecoded, MaxRatio, RatioFloor}

// place is where in a layer some bytes are: the file's path, with "!/"
// between an archive and a path inside it, and the containers opened on
// the way there.
type place struct {
	path  string
	chain []string
}

// in is the place once a container of the kind is opened.
func (p place) in(kind string) place {
	return place{p.path, append(p.chain[:len(p.chain):len(p.chain)], kind)}
}

// member is the place of a member, named name, of the archive at p.
func (p place) member(name string) place {
	name = strings.TrimPrefix(strings.TrimPrefix(name, "./"), "/")
	if p.path == "" {
		return place{name, p.chain}
	}
	return place{p.path + "!/" + name, p.chain}
}

// scan is the scan of one blob.
type scan struct {
	m       *matcher
	lim     limits
	blob    string
	kind    string
	left    int64 // decompressed bytes the current layer file may still yield
	stopped bool  // the current layer file is past a bound
	out     []Finding
	buf     []byte
	heads   [MaxDepth + 1][headLen]byte
	free    []*stream
}

// file scans one file at depth containers deep: it opens the container it
// is, or scans its bytes.
func (sc *scan) file(r io.Reader, at place, depth int) {
	head := sc.heads[min(depth, MaxDepth)][:]
	n, _ := io.ReadFull(r, head)
	head = head[:n]
	if sc.stopped {
		return
	}
	kind := sniff(head)
	if kind == "" {
		sc.raw(head, r, at)
		return
	}
	if depth >= sc.lim.depth {
		sc.incomplete(at.in(kind), fmt.Sprintf("containers nested deeper than %d", sc.lim.depth))
		sc.raw(head, r, at)
		return
	}
	src := io.MultiReader(bytes.NewReader(head), r)
	switch kind {
	case "tar":
		sc.tar(src, at, depth)
	case "zip":
		sc.zip(src, at, depth)
	default:
		sc.decompress(kind, src, at, depth)
	}
}

// raw scans bytes as they are.
func (sc *scan) raw(head []byte, r io.Reader, at place) {
	st := sc.stream()
	st.Write(head)
	_, _ = io.CopyBuffer(st, struct{ io.Reader }{r}, sc.buf) // a read error ends the file: a corrupt container
	sc.report(st, at)
	sc.release(st)
}

// decompress scans what a compressed stream holds, within the bounds.
func (sc *scan) decompress(kind string, src io.Reader, at place, depth int) {
	in := &counter{r: bufio.NewReader(src)}
	dec, names, done, err := decoder(kind, in)
	inner := at.in(kind)
	if err != nil {
		if errors.Is(err, errTooBig) {
			sc.incomplete(inner, err.Error())
		}
		sc.raw(nil, in.r, at) // not a stream of that kind after all
		return
	}
	defer done()
	for _, n := range names {
		sc.names(inner, n)
	}
	sc.file(&guard{r: dec, in: in, sc: sc, at: inner}, inner, depth+1)
}

// tar scans the members of a tar archive, and what follows its end.
func (sc *scan) tar(src io.Reader, at place, depth int) {
	tr := tar.NewReader(src)
	in := at.in("tar")
	for !sc.stopped {
		h, err := tr.Next()
		if err != nil {
			break // the end, or a corrupt archive: the rest is scanned as bytes
		}
		m := sc.header(h, in)
		if regular(h) {
			sc.file(tr, m, depth+1)
		}
	}
	if !sc.stopped {
		sc.raw(nil, src, at)
	}
}

// header scans a tar header's names and returns the member's place.
func (sc *scan) header(h *tar.Header, in place) place {
	st := sc.stream()
	hits, name := sc.m.name(st, h.Name)
	sc.release(st)
	at := in.member(name)
	sc.add(at, hits)
	fields := []string{h.Linkname, h.Uname, h.Gname}
	for k, v := range h.PAXRecords {
		fields = append(fields, k, v)
	}
	sc.names(at, fields...)
	return at
}

func regular(h *tar.Header) bool {
	return h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeGNUSparse
}

// names scans names that are not shown (link targets, headers).
func (sc *scan) names(at place, names ...string) {
	st := sc.stream()
	for _, n := range names {
		if n != "" {
			hits, _ := sc.m.name(st, n)
			sc.add(at, hits)
		}
	}
	sc.release(st)
}

// report adds what a stream found at the place.
func (sc *scan) report(st *stream, at place) { sc.add(at, st.hits()) }

func (sc *scan) add(at place, hits []hit) {
	for _, h := range hits {
		sc.out = append(sc.out, Finding{Secret: h.id, Blob: sc.blob, Kind: sc.kind, File: at.path,
			Encoding: h.enc, Container: strings.Join(at.chain, "+")})
	}
}

// incomplete reports a place that could not be scanned fully.
func (sc *scan) incomplete(at place, why string) {
	sc.out = append(sc.out, Finding{Blob: sc.blob, Kind: sc.kind, File: at.path,
		Container: strings.Join(at.chain, "+"), Incomplete: why})
}

// cut reports a place past a bound and stops the scan of its layer file.
func (sc *scan) cut(at place, why string) error {
	if !sc.stopped {
		sc.incomplete(at, why)
		sc.stopped = true
	}
	return errCut
}

func (sc *scan) stream() *stream {
	if n := len(sc.free); n > 0 {
		st := sc.free[n-1]
		sc.free = sc.free[:n-1]
		st.reset()
		return st
	}
	return sc.m.stream()
}

func (sc *scan) release(st *stream) { sc.free = append(sc.free, st) }

var (
	errCut    = errors.New("past the scan's bounds")
	errTooBig = fmt.Errorf("the stream asks for a window larger than the %d MiB the scan allows", MaxWindow>>20)
)

// guard counts what a decompressor yields against the bounds.
type guard struct {
	r  io.Reader
	in *counter
	sc *scan
	at place
	n  int64
}

// Read implements io.Reader.
func (g *guard) Read(p []byte) (int, error) {
	sc := g.sc
	switch {
	case sc.stopped:
		return 0, errCut
	case sc.left <= 0:
		return 0, sc.cut(g.at, fmt.Sprintf("decompressed past the budget of %s for one layer file", size(sc.lim.decoded)))
	}
	if int64(len(p)) > sc.left {
		p = p[:sc.left]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	sc.left -= int64(n)
	if g.n > sc.lim.floor && g.n > sc.lim.ratio*g.in.n {
		return n, sc.cut(g.at, fmt.Sprintf("it decompresses to more than %d times its size (a compression bomb?)", sc.lim.ratio))
	}
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		sc.incomplete(g.at, errTooBig.Error())
	}
	return n, err
}

// size says n bytes in MiB or GiB.
func size(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// counter counts the bytes read through it.
type counter struct {
	r *bufio.Reader
	n int64
}

// Read implements io.Reader.
func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ReadByte implements io.ByteReader, so that flate reads no further than
// its stream.
func (c *counter) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// decoder opens a decompressor of the kind; names are what its header
// holds (gzip's file name and comment); done releases it.
func decoder(kind string, r *counter) (dec io.Reader, names []string, done func(), err error) {
	done = func() {}
	switch kind {
	case "gzip":
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, nil, err
		}
		return z, []string{z.Name, z.Comment}, func() { z.Close() }, nil
	case "deflate":
		z := flate.NewReader(r)
		return z, nil, func() { z.Close() }, nil
	case "zstd":
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(MaxWindow))
		if err != nil {
			return nil, nil, nil, err
		}
		return z, nil, z.Close, nil
	case "bzip2":
		return bzip2.NewReader(r), nil, done, nil
	case "xz":
		if head, _ := r.r.Peek(64); xzDict(head) > MaxWindow {
			return nil, nil, nil, errTooBig
		}
		z, err := xz.NewReader(r)
		if err != nil {
			return nil, nil, nil, err
		}
		return z, nil, done, nil
	}
	return nil, nil, nil, fmt.Errorf("no decompressor for %s", kind)
}
