//go:build integration

package builder_test

import (
	"github.com/weld-build/weld/internal/itest"

	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
)

// Shared with cmd/weld's integration tests (internal/itest).
var (
	nonce          = itest.Nonce
	writeProject   = itest.WriteProject
	procsWith      = itest.ProcsWith
	waitForProcess = itest.WaitForProcess
	waitNoProcess  = itest.WaitNoProcess
)

// itEnv is what the integration tests need from scripts/test.sh.
type itEnv struct {
	host   string // BUILDKIT_HOST
	images string // WELD_TEST_IMAGES: holds busybox/ and golang/ OCI layouts
}

// testEnv reads the environment scripts/test.sh sets, and fails (never
// skips) when it is missing.
func testEnv(t *testing.T) itEnv {
	t.Helper()
	e := itEnv{host: os.Getenv("BUILDKIT_HOST"), images: os.Getenv("WELD_TEST_IMAGES")}
	if e.host == "" || e.images == "" {
		t.Fatalf("integration tests need BUILDKIT_HOST (a running buildkitd) and WELD_TEST_IMAGES (a folder with busybox/ and golang/ OCI layouts); got BUILDKIT_HOST=%q WELD_TEST_IMAGES=%q; run scripts/test.sh", e.host, e.images)
	}
	for _, img := range []string{"busybox", "golang"} {
		if _, err := os.Stat(filepath.Join(e.images, img, "index.json")); err != nil {
			t.Fatalf("WELD_TEST_IMAGES=%s: no %s OCI layout: %v (scripts/images.sh makes it)", e.images, img, err)
		}
	}
	return e
}

// loadPlan loads dir/build.yml.
func loadPlan(t *testing.T, dir string, opts ...dag.Option) *dag.Plan {
	t.Helper()
	b, err := dag.Load(filepath.Join(dir, "build.yml"), opts...)
	if err != nil {
		t.Fatalf("dag.Load: %v", err)
	}
	p, err := dag.NewPlan(b)
	if err != nil {
		t.Fatalf("dag.NewPlan: %v", err)
	}
	return p
}

// imageOpt maps REF to the test image NAME (busybox or golang).
func (e itEnv) imageOpt(t *testing.T, pairs ...string) builder.Option {
	t.Helper()
	m := map[string]builder.ImageSource{}
	for i := 0; i+1 < len(pairs); i += 2 {
		ref, src, err := builder.ParseImage(pairs[i] + "=oci-layout://" + filepath.Join(e.images, pairs[i+1]))
		if err != nil {
			t.Fatalf("ParseImage: %v", err)
		}
		m[ref] = src
	}
	return builder.WithImages(m)
}

// progressLog collects every vertex name and log line a run reports.
type progressLog struct {
	mu    sync.Mutex
	names map[string]bool
	logs  bytes.Buffer
	raw   bytes.Buffer // every status, as JSON, for leak checks
}

func newProgressLog() *progressLog { return &progressLog{names: map[string]bool{}} }

func (p *progressLog) sink(st *client.SolveStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range st.Vertexes {
		p.names[v.Name] = true
		if v.Error != "" {
			p.logs.WriteString(v.Error + "\n")
		}
	}
	for _, l := range st.Logs {
		p.logs.Write(l.Data)
	}
	for _, w := range st.Warnings {
		p.logs.Write(w.Short)
	}
	if dt, err := json.Marshal(st); err == nil {
		p.raw.Write(dt)
	}
}

// text is every vertex name and log, for searching.
func (p *progressLog) text() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.names))
	for n := range p.names {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, "\n") + "\n" + p.logs.String() + "\n" + p.raw.String()
}

// build is one Builder.Run on the test daemon.
type build struct {
	res      *builder.Result
	err      error
	progress *progressLog
	wall     time.Duration
}

// runBuild runs the plan of dir/build.yml with busybox mapped to the test
// image, plus opts.
func (e itEnv) runBuild(t *testing.T, ctx context.Context, dir string, opts ...builder.Option) build {
	t.Helper()
	return e.runPlan(t, ctx, loadPlan(t, dir), append([]builder.Option{e.imageOpt(t, "busybox", "busybox")}, opts...)...)
}

func (e itEnv) runPlan(t *testing.T, ctx context.Context, p *dag.Plan, opts ...builder.Option) build {
	t.Helper()
	c, err := builder.Connect(ctx, builder.ConnectOptions{Addr: e.host})
	if err != nil {
		t.Fatalf("builder.Connect(%s): %v", e.host, err)
	}
	defer c.Close()
	pl := newProgressLog()
	b, err := builder.New(c, append(opts, builder.WithProgress(pl.sink))...)
	if err != nil {
		t.Fatalf("builder.New: %v", err)
	}
	start := time.Now()
	res, err := b.Run(ctx, p)
	return build{res: res, err: err, progress: pl, wall: time.Since(start)}
}

// mustPass fails the test unless the build succeeded.
func (b build) mustPass(t *testing.T) {
	t.Helper()
	if b.err != nil {
		var be *builder.BuildError
		if errors.As(b.err, &be) {
			for _, f := range be.Failed {
				var se *builder.StepError
				if errors.As(f, &se) {
					t.Logf("step %s failed at %s; output tail:\n%s", se.Step, se.Source, strings.Join(se.Tail, "\n"))
				}
			}
		}
		t.Fatalf("Run: %v, want success", b.err)
	}
	for _, s := range b.res.Steps {
		if s.Status != builder.StatusDone {
			t.Fatalf("step %s: status %q, want %q", s.Label, s.Status, builder.StatusDone)
		}
	}
}

// ociImage is one image read back from an OCI layout.
type ociImage struct {
	manifest  ocispecs.Manifest
	rawConfig []byte
	config    ocispecs.Image
	layers    []ociLayer
	// blobs are every raw blob the layout holds (index, manifests, configs,
	// compressed layers), for leak checks.
	blobs [][]byte
}

// ociLayer is one layer: its digest, its decompressed tar and its entries.
type ociLayer struct {
	digest string
	tar    []byte
	files  map[string][]byte // regular files by path, without a leading "/" or "./"
	names  []string          // every entry, as cleaned paths
}

// readLayout reads the one image of the OCI layout in dir.
func readLayout(t *testing.T, dir string) *ociImage {
	t.Helper()
	img := &ociImage{}
	blob := func(d string) []byte {
		t.Helper()
		alg, hex, ok := strings.Cut(d, ":")
		if !ok {
			t.Fatalf("%s: bad digest %q", dir, d)
		}
		dt, err := os.ReadFile(filepath.Join(dir, "blobs", alg, hex))
		if err != nil {
			t.Fatalf("reading blob: %v", err)
		}
		return dt
	}
	dt, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatalf("reading the OCI layout: %v", err)
	}
	var idx ocispecs.Index
	if err := json.Unmarshal(dt, &idx); err != nil {
		t.Fatalf("parsing %s/index.json: %v", dir, err)
	}
	if len(idx.Manifests) != 1 {
		t.Fatalf("%s/index.json lists %d manifests, want 1", dir, len(idx.Manifests))
	}
	desc := idx.Manifests[0]
	for desc.MediaType == ocispecs.MediaTypeImageIndex {
		var sub ocispecs.Index
		raw := blob(desc.Digest.String())
		img.blobs = append(img.blobs, raw)
		if err := json.Unmarshal(raw, &sub); err != nil || len(sub.Manifests) == 0 {
			t.Fatalf("parsing the nested index %s: %v", desc.Digest, err)
		}
		desc = sub.Manifests[0]
	}
	raw := blob(desc.Digest.String())
	img.blobs = append(img.blobs, raw)
	if err := json.Unmarshal(raw, &img.manifest); err != nil {
		t.Fatalf("parsing manifest %s: %v", desc.Digest, err)
	}
	img.rawConfig = blob(img.manifest.Config.Digest.String())
	img.blobs = append(img.blobs, img.rawConfig)
	if err := json.Unmarshal(img.rawConfig, &img.config); err != nil {
		t.Fatalf("parsing config: %v", err)
	}
	for _, l := range img.manifest.Layers {
		compressed := blob(l.Digest.String())
		img.blobs = append(img.blobs, compressed)
		img.layers = append(img.layers, readLayer(t, l, compressed))
	}
	return img
}

func readLayer(t *testing.T, d ocispecs.Descriptor, compressed []byte) ociLayer {
	t.Helper()
	var r io.Reader = bytes.NewReader(compressed)
	switch {
	case strings.HasSuffix(d.MediaType, "+gzip") || strings.HasSuffix(d.MediaType, ".gzip"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("layer %s: %v", d.Digest, err)
		}
		r = zr
	case strings.HasSuffix(d.MediaType, ".tar") || strings.HasSuffix(d.MediaType, "tar"):
	default:
		t.Fatalf("layer %s: media type %s is not supported by this test's reader", d.Digest, d.MediaType)
	}
	dt, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("layer %s: decompressing: %v", d.Digest, err)
	}
	l := ociLayer{digest: d.Digest.String(), tar: dt, files: map[string][]byte{}}
	tr := tar.NewReader(bytes.NewReader(dt))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("layer %s: reading tar: %v", d.Digest, err)
		}
		name := cleanName(h.Name)
		l.names = append(l.names, name)
		if h.Typeflag == tar.TypeReg {
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			l.files[name] = body
		}
	}
	return l
}

func cleanName(n string) string {
	n = strings.TrimPrefix(filepath.Clean("/"+n), "/")
	return n
}

// file returns the content of path in the image's merged filesystem (the
// topmost layer holding it); ok is false when no layer has it or a higher
// layer deletes it.
func (img *ociImage) file(path string) ([]byte, bool) {
	path = cleanName(path)
	wh := filepath.Join(filepath.Dir(path), ".wh."+filepath.Base(path))
	for i := len(img.layers) - 1; i >= 0; i-- {
		l := img.layers[i]
		if b, ok := l.files[path]; ok {
			return b, true
		}
		for _, n := range l.names {
			if n == wh {
				return nil, false
			}
		}
	}
	return nil, false
}

// mustFile returns the trimmed content of path, failing when it is absent.
func (img *ociImage) mustFile(t *testing.T, path string) string {
	t.Helper()
	b, ok := img.file(path)
	if !ok {
		t.Fatalf("%s is not in the image", path)
	}
	return strings.TrimSpace(string(b))
}

// layersNaming returns the digests of the layers with an entry whose path
// satisfies match, whiteouts included.
func (img *ociImage) layersNaming(match func(string) bool) []string {
	var out []string
	for _, l := range img.layers {
		for _, n := range l.names {
			if match(n) {
				out = append(out, l.digest+": "+n)
			}
		}
	}
	return out
}

// containsBytes reports where needle occurs in the image: in a raw blob, a
// decompressed layer or the config.
func (img *ociImage) containsBytes(needle []byte) []string {
	var where []string
	for i, b := range img.blobs {
		if bytes.Contains(b, needle) {
			where = append(where, fmt.Sprintf("blob #%d", i))
		}
	}
	for _, l := range img.layers {
		if bytes.Contains(l.tar, needle) {
			where = append(where, "layer "+l.digest)
		}
	}
	if bytes.Contains(img.rawConfig, needle) {
		where = append(where, "config")
	}
	return where
}

// layersContain reports the layers whose decompressed tar holds needle.
// (The config is not searched: its history quotes the RUN commands.)
func (img *ociImage) layersContain(needle []byte) []string {
	var where []string
	for _, l := range img.layers {
		if bytes.Contains(l.tar, needle) {
			where = append(where, "layer "+l.digest)
		}
	}
	return where
}

// checkNoLayout fails if dir holds an OCI layout, or any part of one
// (BuildKit's client may leave the empty folder with ingest/, made when the
// session starts).
func checkNoLayout(t *testing.T, dir string) {
	t.Helper()
	for _, name := range []string{"index.json", "oci-layout", "blobs"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s: Stat err = %v, want not exist: nothing is published when a step fails", filepath.Join(dir, name), err)
		}
	}
}

// layoutBytesContain walks every file under dir (an --output folder) and
// reports the ones holding needle, gzip blobs decompressed.
func layoutBytesContain(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var where []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(dt, needle) {
			where = append(where, p)
		}
		if zr, err := gzip.NewReader(bytes.NewReader(dt)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil && bytes.Contains(plain, needle) {
				where = append(where, p+" (decompressed)")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return where
}

// window is a time interval a RUN recorded from /proc/uptime (the host's
// clock, shared by every container).
type window struct{ start, end float64 }

// readWindow parses the /t0 and /t1 files a timing RUN wrote.
func readWindow(t *testing.T, img *ociImage) window {
	t.Helper()
	parse := func(p string) float64 {
		f := strings.Fields(img.mustFile(t, p))
		if len(f) == 0 {
			t.Fatalf("%s is empty", p)
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return v
	}
	return window{parse("/t0"), parse("/t1")}
}

// timingDockerfile sleeps for secs inside a RUN and records when the RUN
// ran in /t0 and /t1; the nonce defeats the cache.
func timingDockerfile(n string, secs string) string {
	return "FROM busybox\n" +
		"RUN cat /proc/uptime > /t0 && sleep " + secs + " && cat /proc/uptime > /t1 && echo " + n + " > /nonce\n"
}

// ctxTimeout is the context of one test's builds.
func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// layoutRoot reads the OCI layout in dir, whose one image is an index: a
// reader of its blobs, and that index.
func layoutRoot(t *testing.T, dir string) (func(ocispecs.Descriptor) []byte, ocispecs.Index) {
	t.Helper()
	blob := func(d ocispecs.Descriptor) []byte {
		t.Helper()
		dt, err := os.ReadFile(filepath.Join(dir, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded()))
		if err != nil {
			t.Fatal(err)
		}
		return dt
	}
	var layout, idx ocispecs.Index
	dt, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil || json.Unmarshal(dt, &layout) != nil || len(layout.Manifests) != 1 {
		t.Fatalf("%s/index.json: %v %s", dir, err, dt)
	}
	if err := json.Unmarshal(blob(layout.Manifests[0]), &idx); err != nil {
		t.Fatal(err)
	}
	return blob, idx
}
