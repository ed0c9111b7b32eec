package sbom

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/weld-build/weld/internal/atomicfile"
)

// Option configures Generate.
type Option func(*options)

type options struct{ cache Cache }

// WithCache keeps what each layer holds in c, by the layer's digest: a
// layer read once is not read again (a base shared by many images, a
// rebuild that changed nothing).
func WithCache(c Cache) Option { return func(o *options) { o.cache = c } }

// Cache keeps the scan of a layer by its digest. What it returns must be
// what Put was given for that digest.
type Cache interface {
	Get(d digest.Digest) ([]byte, bool)
	Put(d digest.Digest, data []byte)
}

// readLayers reads the layers, as many at once as there are CPUs, from
// the cache when it has them.
func (o options) readLayers(ctx context.Context, layers []Layer) ([]*layerScan, error) {
	out := make([]*layerScan, len(layers))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, l := range layers {
		g.Go(func() error {
			mine := false
			v, err, _ := inFlight.Do(l.Digest.String(), func() (any, error) { mine = true; return o.readLayer(ctx, l) })
			if err != nil && !mine && context.Cause(ctx) == nil {
				// Another image's read failed (cancelled, or its staged
				// folder went): this one reads for itself.
				v, err = o.readLayer(ctx, l)
			}
			if err != nil {
				return err
			}
			out[i] = v.(*layerScan)
			return nil
		})
	}
	return out, g.Wait()
}

// inFlight shares one read of a layer between the images of a process
// that read it at once (steps on one base); a layerScan is never changed
// once read.
var inFlight singleflight.Group

// readLayer reads one layer from the cache, else from its blob.
func (o options) readLayer(ctx context.Context, l Layer) (*layerScan, error) {
	if o.cache != nil {
		if dt, ok := o.cache.Get(l.Digest); ok {
			if ls, err := decodeScan(l.Digest, dt); err == nil {
				return ls, nil
			}
		}
	}
	ls, err := readLayer(ctx, l)
	if err != nil {
		return nil, err
	}
	if o.cache != nil {
		if dt, err := encodeScan(ls); err == nil {
			o.cache.Put(l.Digest, dt)
		}
	}
	return ls, nil
}

// scanRecord is a layerScan as a Cache keeps it.
type scanRecord struct {
	Version   int           `json:"v"`
	Files     []fileEntry   `json:"files"`
	Found     []foundRecord `json:"found,omitempty"`
	Written   []string      `json:"written,omitempty"`
	Whiteouts []string      `json:"whiteouts,omitempty"`
	Opaque    []string      `json:"opaque,omitempty"`
}

type foundRecord struct {
	Path string `json:"p"`
	Go   string `json:"go,omitempty"` // debug.BuildInfo.String()
	// GoVersion is the build info's, which its String holds and
	// debug.ParseBuildInfo does not read back.
	GoVersion string `json:"gov,omitempty"`
	DB        []byte `json:"db,omitempty"`
}

// scanVersion changes whenever what a scan records changes.
const scanVersion = 1

func encodeScan(ls *layerScan) ([]byte, error) {
	r := scanRecord{Version: scanVersion, Files: ls.files, Written: ls.written, Whiteouts: ls.whiteouts, Opaque: ls.opaque}
	for p, f := range ls.found {
		fr := foundRecord{Path: p, DB: f.db}
		if f.gobin != nil {
			fr.Go, fr.GoVersion = f.gobin.String(), f.gobin.GoVersion
		}
		r.Found = append(r.Found, fr)
	}
	sort.Slice(r.Found, func(i, j int) bool { return r.Found[i].Path < r.Found[j].Path })
	return json.Marshal(r)
}

func decodeScan(d digest.Digest, dt []byte) (*layerScan, error) {
	var r scanRecord
	if err := json.Unmarshal(dt, &r); err != nil {
		return nil, err
	}
	if r.Version != scanVersion {
		return nil, errStale
	}
	ls := &layerScan{digest: d, files: r.Files, written: r.Written, whiteouts: r.Whiteouts, opaque: r.Opaque, found: map[string]found{}}
	for _, fr := range r.Found {
		f := found{path: fr.Path, db: fr.DB}
		if fr.Go != "" {
			bi, err := debug.ParseBuildInfo(fr.Go)
			if err != nil {
				return nil, err
			}
			bi.GoVersion = fr.GoVersion
			f.gobin = bi
		}
		ls.found[fr.Path] = f
	}
	return ls, nil
}

var errStale = errors.New("a scan of another version")

// DirCache is a Cache in a folder, one file per layer digest, that keeps
// its max most recently used entries.
type DirCache struct {
	Dir string
	Max int
}

var _ Cache = (*DirCache)(nil)

// Get implements Cache.
func (c *DirCache) Get(d digest.Digest) ([]byte, bool) {
	p, ok := c.path(d)
	if !ok {
		return nil, false
	}
	dt, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // most recently used
	return dt, true
}

// Put implements Cache; failures only lose the entry.
func (c *DirCache) Put(d digest.Digest, data []byte) {
	p, ok := c.path(d)
	if !ok || os.MkdirAll(c.Dir, 0o700) != nil {
		return
	}
	if atomicfile.WriteFile(p, data, 0o600) == nil {
		c.prune()
	}
}

func (c *DirCache) path(d digest.Digest) (string, bool) {
	if d.Validate() != nil {
		return "", false
	}
	return filepath.Join(c.Dir, d.Algorithm().String()+"-"+d.Encoded()+".json"), true
}

// prune removes the least recently used entries past Max.
func (c *DirCache) prune() {
	ents, err := os.ReadDir(c.Dir)
	if err != nil || len(ents) <= c.Max {
		return
	}
	type entry struct {
		name string
		at   time.Time
	}
	var es []entry
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "sha256-") || !strings.HasSuffix(e.Name(), ".json") {
			continue // not an entry (another run's file being written)
		}
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			es = append(es, entry{e.Name(), fi.ModTime()})
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].at.After(es[j].at) })
	for _, e := range es[min(c.Max, len(es)):] {
		_ = os.Remove(filepath.Join(c.Dir, e.name))
	}
}
