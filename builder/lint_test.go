package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/moby/buildkit/frontend/subrequests/lint"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

// countingFetcher answers every ref with a config whose ENV names the ref
// (REF_<last path element>=1), unless it is in fail, and records its calls.
type countingFetcher struct {
	mu    sync.Mutex
	calls [][]string
	fail  map[string]error
}

var _ imageFetcher = (*countingFetcher)(nil)

func (f *countingFetcher) fetch(_ context.Context, refs []string, p *ocispecs.Platform) (ocispecs.Platform, []imageAnswer, error) {
	f.mu.Lock()
	f.calls = append(f.calls, slices.Clone(refs))
	f.mu.Unlock()
	plat := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	if p != nil {
		plat = *p
	}
	out := make([]imageAnswer, len(refs))
	for i, ref := range refs {
		if err := f.fail[ref]; err != nil {
			out[i] = imageAnswer{ref: ref, err: err}
			continue
		}
		name := ref[strings.LastIndex(ref, "/")+1:]
		name = strings.ToUpper(strings.NewReplacer(":", "_", "-", "_", ".", "_").Replace(name))
		cfg := fmt.Sprintf(`{"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":["sha256:%064d"]},"config":{"Env":["PATH=/bin","REF_%s=1"],"WorkingDir":"/w"}}`, 0, name)
		out[i] = imageAnswer{ref: ref, dgst: digest.FromString(ref), config: []byte(cfg)}
	}
	return plat, out, nil
}

func (f *countingFetcher) callList() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// lintRun writes files into a temp dir and returns the run of all its
// steps, on a fake solver: its lint needs no daemon.
func lintRun(t *testing.T, files map[string]string, opts ...Option) *run {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bf, err := dag.Load(filepath.Join(dir, "build.yml"))
	if err != nil {
		t.Fatalf("dag.Load: %v", err)
	}
	p, err := dag.NewPlan(bf)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(&fakeSolver{}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	steps, _ := p.Select()
	r, err := b.newRun(p, steps, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.redacting.close)
	return r
}

// lintProject lints every step of the project in-process with f.
func lintProject(t *testing.T, files map[string]string, f imageFetcher, opts ...Option) map[string]*lint.LintResults {
	t.Helper()
	out, err := lintRun(t, files, opts...).lint(context.Background(), f)
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	return out
}

// undefined lists the variables a result's UndefinedVar warnings name.
func undefined(r *lint.LintResults) []string {
	var out []string
	for _, w := range r.Warnings {
		if w.RuleName == "UndefinedVar" {
			_, rest, _ := strings.Cut(w.Detail, "'$")
			name, _, _ := strings.Cut(rest, "'")
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

const lintYML = `build:
  version: 2016-03-14
  steps:
    parent:
      name: lint-parent
      dockerfile: Dockerfile.parent
    child:
      name: lint-child
      dockerfile: Dockerfile.child
    grandchild:
      dockerfile: Dockerfile.grandchild
    a:
      dockerfile: Dockerfile.reg
    b:
      dockerfile: Dockerfile.reg
    c:
      dockerfile: Dockerfile.reg
      args:
        X: other
`

// TestLintSeesStepAndRegistryConfigs: a step built FROM another sees that
// step's ENV (and its parent's), computed in-process; a registry base's
// config comes from the fetcher, each ref resolved once for the run; steps
// with the same request are linted once.
func TestLintSeesStepAndRegistryConfigs(t *testing.T) {
	f := &countingFetcher{}
	got := lintProject(t, map[string]string{
		"build.yml":             lintYML,
		"Dockerfile.parent":     "FROM alpine:3\nENV P=1 Q=$REF_ALPINE_3\n",
		"Dockerfile.child":      "FROM lint-parent\nENV C=$P D=$REF_ALPINE_3 E=$NOPE_CHILD\n",
		"Dockerfile.grandchild": "FROM lint-child\nENV G=$C H=$P I=$NOPE_GRAND\n",
		"Dockerfile.reg":        "ARG X\nFROM alpine:3\nFROM example.com/team/base:1 AS b\nENV R=$REF_BASE_1 S=$NOPE_REG\n",
	}, f)
	for label, want := range map[string][]string{
		"parent": nil, "child": {"NOPE_CHILD"}, "grandchild": {"NOPE_GRAND"},
		"a": {"NOPE_REG"}, "b": {"NOPE_REG"}, "c": {"NOPE_REG"},
	} {
		if g := undefined(got[label]); !slices.Equal(g, want) {
			t.Errorf("step %s: UndefinedVar for %q, want %q", label, g, want)
		}
	}
	calls := f.callList()
	wantRefs := []string{"docker.io/library/alpine:3", "example.com/team/base:1"}
	if len(calls) != 1 || !slices.Equal(calls[0], wantRefs) {
		t.Errorf("fetch calls = %q, want one call with %q", calls, wantRefs)
	}
	if got["a"] != got["b"] {
		t.Errorf("steps a and b send the same request; they were linted twice")
	}
	if got["a"] == got["c"] {
		t.Errorf("step c has other build args; it shares a's result")
	}
}

// TestLintResolvesTheUnforeseenOnce: a base the Dockerfiles' FROMs do not
// name (COPY --from=IMAGE) is resolved when the frontend asks, once, however
// many steps ask; a base that cannot be resolved is the step's conversion
// error, left to the build, and does not fail Lint.
func TestLintResolvesTheUnforeseenOnce(t *testing.T) {
	f := &countingFetcher{fail: map[string]error{"docker.io/library/gone:1": fmt.Errorf("docker.io/library/gone:1: not found")}}
	yml := "build:\n  version: 2016-03-14\n  steps:\n"
	files := map[string]string{}
	for i := range 4 {
		yml += fmt.Sprintf("    s%d:\n      dockerfile: Dockerfile.s%d\n", i, i)
		files[fmt.Sprintf("Dockerfile.s%d", i)] = fmt.Sprintf("FROM scratch\nCOPY --from=tools:1 /x /x%d\n", i)
	}
	yml += "    gone:\n      dockerfile: Dockerfile.gone\n"
	files["Dockerfile.gone"] = "FROM gone:1\n"
	files["build.yml"] = yml
	got := lintProject(t, files, f)
	var tools, gone int
	for _, c := range f.callList() {
		tools += strings.Count(strings.Join(c, " "), "tools:1")
		gone += strings.Count(strings.Join(c, " "), "gone:1")
	}
	if tools != 1 || gone != 1 {
		t.Errorf("fetch calls %q: tools:1 resolved %d times, gone:1 %d times; want once each", f.callList(), tools, gone)
	}
	if r := got["gone"]; r == nil || r.Error == nil || !strings.Contains(r.Error.Message, "not found") {
		t.Errorf("step gone: %+v, want the resolution error as its conversion error", r)
	}
}

// TestLintParentThatDoesNotConvert: a step built FROM a step whose
// Dockerfile does not convert fails Lint, naming both steps, as the build
// would.
func TestLintParentThatDoesNotConvert(t *testing.T) {
	f := &countingFetcher{fail: map[string]error{"docker.io/library/gone:1": fmt.Errorf("gone:1: not found")}}
	files := map[string]string{
		"build.yml":         "build:\n  version: 2016-03-14\n  steps:\n    parent:\n      name: lint-parent\n      dockerfile: Dockerfile.parent\n    child:\n      dockerfile: Dockerfile.child\n",
		"Dockerfile.parent": "FROM gone:1\n",
		"Dockerfile.child":  "FROM lint-parent\n",
	}
	_, err := lintRun(t, files).lint(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), `step "child": checking its Dockerfile: step "parent"`) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("lint = %v, want the parent's conversion error in step child", err)
	}
}

// TestLintOCILayoutBase: a base replaced by an OCI layout is answered from
// the layout's config for the build platform, without the fetcher.
func TestLintOCILayoutBase(t *testing.T) {
	dir, d := writeArchLayout(t, map[string]string{"amd64": "LAYOUT_AMD64=1", "arm64": "LAYOUT_ARM64=1"})
	f := &countingFetcher{}
	got := lintProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM --platform=linux/arm64 weld/base:1 AS arm\nENV A=$LAYOUT_ARM64 B=$LAYOUT_AMD64\nFROM --platform=linux/amd64 weld/base:1\nENV C=$LAYOUT_AMD64 D=$LAYOUT_ARM64\n",
	}, f, WithImages(map[string]ImageSource{"weld/base:1": {Layout: dir, Digest: d}}))
	if g, want := undefined(got["app"]), []string{"LAYOUT_AMD64", "LAYOUT_ARM64"}; !slices.Equal(g, want) {
		t.Errorf("UndefinedVar for %q, want %q (each stage sees its platform's config); warnings %+v", g, want, got["app"].Warnings)
	}
	if c := f.callList(); len(c) != 0 {
		t.Errorf("fetch calls %q; a layout base needs none", c)
	}
}

// writeArchLayout writes an OCI layout whose index has one image per
// architecture, each config with one ENV entry; it returns the folder and
// the index's digest.
func writeArchLayout(t *testing.T, envByArch map[string]string) (string, digest.Digest) {
	t.Helper()
	dir := t.TempDir()
	put := func(v any) ocispecs.Descriptor {
		dt, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(dt)
		p := filepath.Join(dir, "blobs", "sha256", d.Encoded())
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, dt, 0o644); err != nil {
			t.Fatal(err)
		}
		return ocispecs.Descriptor{Digest: d, Size: int64(len(dt))}
	}
	var idx ocispecs.Index
	idx.SchemaVersion, idx.MediaType = 2, ocispecs.MediaTypeImageIndex
	for _, arch := range slices.Sorted(func(yield func(string) bool) {
		for k := range envByArch {
			if !yield(k) {
				return
			}
		}
	}) {
		img := ocispecs.Image{Platform: ocispecs.Platform{OS: "linux", Architecture: arch}, Config: ocispecs.ImageConfig{Env: []string{envByArch[arch]}}}
		img.RootFS.Type, img.RootFS.DiffIDs = "layers", []digest.Digest{digest.FromString(arch)}
		cfg := put(img)
		cfg.MediaType = ocispecs.MediaTypeImageConfig
		m := put(ocispecs.Manifest{Versioned: idx.Versioned, MediaType: ocispecs.MediaTypeImageManifest, Config: cfg})
		m.MediaType, m.Platform = ocispecs.MediaTypeImageManifest, &img.Platform
		idx.Manifests = append(idx.Manifests, m)
	}
	return dir, put(idx).Digest
}

// TestLayoutConfig: the config of the platform's image, and the refusals:
// no image for the platform, a blob that does not match its digest, a
// digest that is not one, a blob that is not a regular file.
func TestLayoutConfig(t *testing.T) {
	dir, idx := writeArchLayout(t, map[string]string{"amd64": "A=1", "arm64": "B=1"})
	tampered, tidx := writeArchLayout(t, map[string]string{"amd64": "A=1"})
	if err := os.WriteFile(filepath.Join(tampered, "blobs", "sha256", tidx.Encoded()), []byte(`{"manifests":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo, fidx := writeArchLayout(t, map[string]string{"amd64": "A=1"})
	fp := filepath.Join(fifo, "blobs", "sha256", fidx.Encoded())
	if err := os.Remove(fp); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fp, 0o600); err != nil {
		t.Fatal(err)
	}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	for _, tc := range []struct {
		name string
		dir  string
		d    digest.Digest
		p    ocispecs.Platform
		want string // in the config, or in the error
	}{
		{"amd64", dir, idx, amd64, `"A=1"`},
		{"arm64", dir, idx, ocispecs.Platform{OS: "linux", Architecture: "arm64"}, `"B=1"`},
		{"no such platform", dir, idx, ocispecs.Platform{OS: "linux", Architecture: "s390x"}, "no image for the platform"},
		{"tampered", tampered, tidx, amd64, "does not match its digest"},
		{"bad digest", dir, "sha256:../../etc", amd64, "invalid"},
		{"fifo", fifo, fidx, amd64, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := layoutConfig(tc.dir, tc.d, tc.p)
			got := string(cfg)
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("layoutConfig = %q, %v; want %q in it", cfg, err, tc.want)
			}
		})
	}
}
