package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/ociindex"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// A published step's session exports its image into its staged layout
// through stagedStore, a content store of weld's own (BuildKit's client
// would use containerd's local store, as for any OCI folder output):
//   - a blob another layout of this run already holds is hard-linked from
//     the run's blob pool and the daemon is told it exists: a base layer
//     that sixteen images share crosses the session once, not sixteen
//     times;
//   - a blob is written straight into blobs/<alg>/, through a temporary
//     file renamed once its size and digest are right, with no ingest
//     folder, timestamp files or fsync: the layout is private staging,
//     synced as a whole when an OCI output keeps it (export_layout.go).
// Its index.json is written after the solve, as BuildKit's client does
// (ociindex), from the exporter's response (writeStagedIndex).

// blobPoolDir is the run's blob pool beside its staged layouts: a name no
// step label can have (labels never start with a dot).
const blobPoolDir = ".weld-blobs"

// stagedStore is the content store of one staged layout (stagedread.go:
// what it serves).
type stagedStore struct {
	dir  string // the layout
	pool string // the run's blob pool
	// skip, when set, says whether a layer need not be sent: weld put
	// its rewrite in the layout (stagedskip.go).
	skip func(ocispecs.Descriptor) bool
	// stream, when set, starts the rewrite of a layer as it arrives
	// (stagedstream.go); nil from it: none for that blob.
	stream func(desc ocispecs.Descriptor, path string) *layerStream
}

var _ content.Store = (*stagedStore)(nil)

// newStagedStore is the store of the staged layout dir, whose pool is
// beside it.
func newStagedStore(dir string) (*stagedStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &stagedStore{dir: dir, pool: filepath.Join(filepath.Dir(dir), blobPoolDir)}, nil
}

// Writer implements content.Ingester.
func (s *stagedStore) Writer(ctx context.Context, opts ...content.WriterOpt) (content.Writer, error) {
	var wo content.WriterOpts
	for _, o := range opts {
		if err := o(&wo); err != nil {
			return nil, err
		}
	}
	d := wo.Desc.Digest
	if d.Validate() != nil || d.Algorithm() != digest.Canonical {
		return nil, fmt.Errorf("a staged blob needs its sha256 digest, not %q: %w", d, errdefs.ErrInvalidArgument)
	}
	dst, err := blobPath(s.dir, d)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(dst); err == nil && fi.Mode().IsRegular() && fi.Size() == wo.Desc.Size {
		return nil, fmt.Errorf("content %s: %w", d, errdefs.ErrAlreadyExists)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	if s.skip != nil && s.skip(wo.Desc) {
		return nil, fmt.Errorf("content %s: its rewrite is staged: %w", d, errdefs.ErrAlreadyExists)
	}
	fl, err := s.claim(ctx, d, wo.Desc.Size, dst)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".ingest-*")
	if err != nil {
		fl.end()
		return nil, err
	}
	now := time.Now()
	w := &stagedWriter{s: s, f: f, dst: dst, ref: wo.Ref, total: wo.Desc.Size, expected: d,
		d: digest.Canonical.Digester(), started: now, updated: now, fl: fl}
	if s.stream != nil {
		w.tee = s.stream(wo.Desc, f.Name())
	}
	return w, nil
}

// stagedFlights are the blobs being written into a pool's layouts now, by
// pool and digest: the sixteen sessions of a wide DAG export their shared
// base layer at the same moment, so a blob another layout is writing is
// waited for and linked, not written again.
var stagedFlights sync.Map // string → *stagedFlight

type stagedFlight struct {
	key  string
	done chan struct{}
}

// end lets the layouts waiting for the blob go on (to link it, or, when it
// was not committed, to write it themselves).
func (f *stagedFlight) end() {
	stagedFlights.Delete(f.key)
	close(f.done)
}

// claim makes this writer the one that writes d into the pool's layouts:
// it returns AlreadyExists once d was linked into dst from the pool
// (committed by another layout, now or earlier).
func (s *stagedStore) claim(ctx context.Context, d digest.Digest, size int64, dst string) (*stagedFlight, error) {
	src, err := blobPath(s.pool, d)
	if err != nil {
		return nil, err
	}
	for {
		if fi, err := os.Lstat(src); err == nil && fi.Mode().IsRegular() && fi.Size() == size && os.Link(src, dst) == nil {
			return nil, fmt.Errorf("content %s: %w", d, errdefs.ErrAlreadyExists)
		}
		fl := &stagedFlight{key: src, done: make(chan struct{})}
		other, busy := stagedFlights.LoadOrStore(src, fl)
		if !busy {
			return fl, nil
		}
		select {
		case <-other.(*stagedFlight).done:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// stagedWriter writes one blob of a staged layout.
type stagedWriter struct {
	s                *stagedStore
	mu               sync.Mutex
	f                *os.File
	dst, ref         string
	total, offset    int64
	expected         digest.Digest
	d                digest.Digester
	started, updated time.Time
	fl               *stagedFlight // ended at Commit or Close
	tee              *layerStream  // the rewrite as it arrives; nil: none
}

// endTee ends the rewrite that follows the blob, kept or not.
func (w *stagedWriter) endTee(keep bool) {
	if w.tee != nil {
		w.tee.end(keep)
		w.tee = nil
	}
}

var _ content.Writer = (*stagedWriter)(nil)

// Write implements io.Writer.
func (w *stagedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, fmt.Errorf("write on a closed writer: %w", errdefs.ErrFailedPrecondition)
	}
	n, err := w.f.Write(p)
	w.d.Hash().Write(p[:n])
	if w.tee != nil {
		w.tee.wrote(w.offset + int64(n))
	}
	w.offset += int64(n)
	w.updated = time.Now()
	return n, err
}

// Digest implements content.Writer.
func (w *stagedWriter) Digest() digest.Digest { return w.d.Digest() }

// Status implements content.Writer.
func (w *stagedWriter) Status() (content.Status, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return content.Status{Ref: w.ref, Offset: w.offset, Total: w.total, Expected: w.expected, StartedAt: w.started, UpdatedAt: w.updated}, nil
}

// Truncate implements content.Writer: to 0 only, as containerd's.
func (w *stagedWriter) Truncate(size int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if size != 0 {
		return errors.New("Truncate: unsupported size")
	}
	if w.f == nil {
		return fmt.Errorf("truncate on a closed writer: %w", errdefs.ErrFailedPrecondition)
	}
	w.offset = 0
	w.d.Hash().Reset()
	w.endTee(false)
	if _, err := w.f.Seek(0, 0); err != nil {
		return err
	}
	return w.f.Truncate(0)
}

// Commit implements content.Writer: the blob is put in place when its size
// and digest are what was expected, and offered to the run's pool.
func (w *stagedWriter) Commit(_ context.Context, size int64, expected digest.Digest, _ ...content.Opt) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.f
	if f == nil {
		return fmt.Errorf("commit on a closed writer: %w", errdefs.ErrFailedPrecondition)
	}
	w.f = nil
	defer w.fl.end()
	defer os.Remove(f.Name())
	kept := false
	defer func() { w.endTee(kept) }()
	if err := f.Chmod(0o444); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if size > 0 && size != w.offset {
		return fmt.Errorf("unexpected commit size %d, expected %d: %w", w.offset, size, errdefs.ErrFailedPrecondition)
	}
	got := w.d.Digest()
	if (expected != "" && expected != got) || got != w.expected {
		return fmt.Errorf("unexpected commit digest %s, expected %s: %w", got, w.expected, errdefs.ErrFailedPrecondition)
	}
	if _, err := os.Lstat(w.dst); err == nil {
		return fmt.Errorf("content %s: %w", got, errdefs.ErrAlreadyExists)
	}
	if err := os.Rename(f.Name(), w.dst); err != nil {
		return err
	}
	kept = true // its digest is the one the daemon named
	if p, err := blobPath(w.s.pool, got); err == nil && os.MkdirAll(filepath.Dir(p), 0o755) == nil {
		_ = os.Link(w.dst, p) // the pool is an optimisation: a failure only loses sharing
	}
	return nil
}

// Close implements io.Closer: an uncommitted blob is thrown away.
func (w *stagedWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	defer w.fl.end()
	w.endTee(false)
	f.Close()
	return os.Remove(f.Name())
}

// stagedExport is the export entry of a staged layout at dir.
func stagedExport(attrs map[string]string, dir string, skip func(ocispecs.Descriptor) bool, stream func(ocispecs.Descriptor, string) *layerStream) (client.ExportEntry, error) {
	cs, err := newStagedStore(dir)
	if err != nil {
		return client.ExportEntry{}, err
	}
	cs.skip, cs.stream = skip, stream
	return client.ExportEntry{Type: client.ExporterOCI, Attrs: attrs, OutputStore: cs}, nil
}

// writeStagedIndex writes the index.json (and oci-layout) of the staged
// layout at dir from the exporter's response, as BuildKit's client writes
// them for an OCI folder output: the root, under the image's names (else
// the tag "latest").
func writeStagedIndex(dir string, resp *client.SolveResponse) error {
	desc, err := exportedRoot(resp) // fleetmerge.go
	if errors.Is(err, errNoPart) {
		return nil
	}
	if err != nil {
		return err
	}
	names := []ociindex.NameOrTag{ociindex.Tag("latest")}
	if t, ok := resp.ExporterResponse[exptypes.ExporterImageNameKey]; ok {
		names = nil
		for n := range strings.SplitSeq(t, ",") {
			names = append(names, ociindex.Name(n))
		}
	}
	return ociindex.NewStoreIndex(dir).Put(desc, names...)
}
