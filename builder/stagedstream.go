package builder

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/layertime"
)

// A big new layer is rewritten while it arrives.
//
// A step whose layers weld rewrites exports its new layers uncompressed
// (compression.go); weld then reads each one back from the staged layout,
// sets its file times and gzips it (relayer.go). For a big layer those are
// two passes one after the other: the daemon sends 512 MiB in about 4 s,
// then the gzip takes 11 s. So, as the daemon writes a big uncompressed
// layer into the staged store, the same rewrite (layertime.Rewrite) reads
// the blob's file behind the writer, as far as it was written, into the
// layer cache and into a file of the layout; the transfer never waits for
// it, and the two overlap. Only once the blob's digest is checked at
// Commit does the rewrite read to the end and count: its cache entry is
// committed and, unless its tar is a layer of a base config (a base layer
// keeps its own bytes), it is placed in the layout and handed to the
// relayer as the skipped layers are (stagedskip.go). The source blob is
// still written whole, so any failure only loses the head start: the
// relayer rewrites from the source as before.
//
// Only steps that serve no secret stream: what a step with secrets makes
// enters weld's caches only after its checks passed (keepchecked.go).

// streamMin is the least size of a layer rewritten as it arrives: below
// it the goroutine and the second read save nothing.
const streamMin = 8 << 20

// errStreamStopped is what the rewrite reads once its blob was thrown
// away (or was not a plain tar); the blob's own write is not affected.
var errStreamStopped = errors.New("the layer's rewrite stopped")

// layerStream is one layer being rewritten as it arrives: the rewrite
// reads the blob's temporary file up to what the writer wrote so far, so
// the transfer never waits for it.
type layerStream struct {
	f   *os.File // the blob's temporary file, opened again for reading
	e   *layertime.Entry
	out *os.File // the rewrite, in the layout's blobs folder
	// place puts the rewrite at out into the layout when it may be used
	// there (else it is removed).
	place func(layertime.Result, string)
	done  chan struct{}
	res   layertime.Result
	err   error
	stop  func() // releases the cache

	mu      sync.Mutex
	cond    *sync.Cond
	n       int64 // bytes written
	closed  bool  // the blob is whole
	stopped bool  // the blob was thrown away
}

// layerStreamer returns what starts the stream of a blob the daemon is
// about to write into step s's staged layout at the temporary path (nil:
// none for this blob); nil when s's layers are not exported uncompressed
// for weld to rewrite, or its session serves secrets.
func (r *run) layerStreamer(s *dag.Step) func(desc ocispecs.Descriptor, path string) *layerStream {
	if !r.clientRewrite(s) || !r.exportsUncompressed(s) || len(sessionSecrets(r.closure[s.Label], r.perStep, r.global)) > 0 {
		return nil
	}
	sec, err := strconv.ParseInt(r.o.repro.stepEpoch(s), 10, 64)
	if err != nil {
		return nil
	}
	return func(desc ocispecs.Descriptor, path string) *layerStream {
		if desc.Size < streamMin {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return nil
		}
		c, err := r.layerCache(s)
		if err != nil {
			f.Close()
			return nil
		}
		e := c.NewEntry(layertime.Key{Source: desc.Digest, Epoch: sec})
		out, err := os.CreateTemp(filepath.Dir(path), ".stream-*")
		if e == nil || err != nil {
			e.Abort()
			if out != nil {
				out.Close()
				os.Remove(out.Name())
			}
			f.Close()
			c.Close()
			return nil
		}
		ls := startStream(f, e, out, time.Unix(sec, 0).UTC(), func() { c.Close() })
		ls.place = func(res layertime.Result, tmp string) { r.placeStreamed(s, desc, res, tmp) }
		return ls
	}
}

// placeStreamed puts the rewrite res of blob desc, at tmp, into step s's
// staged layout when the relayer will use it there (as the skipped layers:
// its tar in no base config of s; a base layer keeps its own bytes), else
// removes it.
func (r *run) placeStreamed(s *dag.Step, desc ocispecs.Descriptor, res layertime.Result, tmp string) {
	v, ok := r.skipped.Load(s.Label)
	base := r.baseLayers(s)
	if !ok || base == nil || base[res.OrigDiffID] {
		os.Remove(tmp)
		return
	}
	dst := filepath.Join(filepath.Dir(tmp), res.Digest.Encoded())
	if res.Digest.Validate() != nil || os.Rename(tmp, dst) != nil {
		os.Remove(tmp)
		return
	}
	k := v.(*skippedLayers)
	k.mu.Lock()
	k.m[desc.Digest] = res
	k.mu.Unlock()
}

// startStream rewrites the blob being written to f into e, with every file
// time after epoch set to it. Only a plain tar is rewritten: a compressed
// blob (a base layer) stops the rewrite at once.
func startStream(f *os.File, e *layertime.Entry, out *os.File, epoch time.Time, stop func()) *layerStream {
	ls := &layerStream{f: f, e: e, out: out, done: make(chan struct{}), stop: stop}
	ls.cond = sync.NewCond(&ls.mu)
	go func() {
		defer close(ls.done)
		br := bufio.NewReaderSize(&followReader{ls: ls}, 64<<10)
		head, _ := br.Peek(512)
		if !isTarHeader(head) {
			ls.err = errStreamStopped
			return
		}
		ls.res, ls.err = layertime.Rewrite(br, epoch, io.MultiWriter(e, out))
		if ls.err == nil { // to the end: the rewrite's source digest must cover the whole blob
			var n int64
			if n, ls.err = io.Copy(io.Discard, br); ls.err == nil && n > 0 {
				ls.err = errors.New("bytes after the layer's tar")
			}
		}
	}()
	return ls
}

// isTarHeader reports whether head starts a tar archive (ustar, PAX or
// GNU: "ustar" at offset 257).
func isTarHeader(head []byte) bool {
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

// wrote tells the rewrite that the blob now has n bytes.
func (ls *layerStream) wrote(n int64) {
	ls.mu.Lock()
	ls.n = n
	ls.mu.Unlock()
	ls.cond.Broadcast()
}

// end ends the stream: with keep (the blob is whole and its digest was
// checked) the rewrite reads to the end and is committed to the cache,
// else it stops and is thrown away. It waits for the rewrite to finish.
func (ls *layerStream) end(keep bool) {
	ls.mu.Lock()
	if keep {
		ls.closed = true
	} else {
		ls.stopped = true
	}
	ls.mu.Unlock()
	ls.cond.Broadcast()
	<-ls.done
	ok := keep && ls.err == nil
	if cerr := ls.out.Close(); ok && cerr == nil && ls.place != nil {
		ls.place(ls.res, ls.out.Name())
	} else {
		os.Remove(ls.out.Name())
	}
	if ok {
		ls.e.Commit(ls.res)
	} else {
		ls.e.Abort()
	}
	ls.f.Close()
	ls.stop()
}

// followReader reads the blob as far as it was written, waiting for more
// until it is whole (io.EOF) or thrown away.
type followReader struct {
	ls  *layerStream
	off int64
}

func (fr *followReader) Read(p []byte) (int, error) {
	ls := fr.ls
	ls.mu.Lock()
	for fr.off >= ls.n && !ls.closed && !ls.stopped {
		ls.cond.Wait()
	}
	n, closed, stopped := ls.n, ls.closed, ls.stopped
	ls.mu.Unlock()
	switch {
	case stopped:
		return 0, errStreamStopped
	case fr.off >= n && closed:
		return 0, io.EOF
	}
	if int64(len(p)) > n-fr.off {
		p = p[:n-fr.off]
	}
	m, err := ls.f.ReadAt(p, fr.off)
	fr.off += int64(m)
	if err == io.EOF && m > 0 {
		err = nil
	}
	return m, err
}
