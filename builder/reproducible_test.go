package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

// gitRepo makes a git checkout whose one commit is dated at (Unix seconds).
func gitRepo(t *testing.T, at string) string {
	t.Helper()
	dir := t.TempDir()
	env := append(os.Environ(), "GIT_COMMITTER_DATE=@"+at+" +0000", "GIT_AUTHOR_DATE=@"+at+" +0000")
	for _, args := range [][]string{{"init", "-q"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"}} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func TestEpochChoice(t *testing.T) {
	git := gitRepo(t, "1700000000")
	for _, tc := range []struct {
		name, dir string
		opts      []Option
		step      map[string]string // the step's args
		// frontend is the frontend's build-arg:SOURCE_DATE_EPOCH ("" none),
		// exporter the exporter's source-date-epoch ("" none).
		frontend, exporter string
	}{
		{"git commit time", git, nil, nil, "1700000000", "1700000000"},
		{"no checkout", t.TempDir(), nil, nil, "0", "0"},
		{"user build arg wins", git, []Option{WithBuildArgs(map[string]string{SourceDateEpochArg: "42"})}, nil, "42", "42"},
		{"step arg wins over git", git, nil, map[string]string{SourceDateEpochArg: "7"}, "7", "7"},
		{"user wins over step", git, []Option{WithBuildArgs(map[string]string{SourceDateEpochArg: "42"})}, map[string]string{SourceDateEpochArg: "7"}, "42", "42"},
		{"non-numeric: no rewrite", git, []Option{WithBuildArgs(map[string]string{SourceDateEpochArg: "context"})}, nil, "context", ""},
		{"off", git, []Option{WithReproducible(false)}, nil, "", ""},
		{"off keeps the user's arg", git, []Option{WithReproducible(false), WithBuildArgs(map[string]string{SourceDateEpochArg: "42"})}, nil, "42", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := makeOptions(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			setEpoch(context.Background(), o, tc.dir)
			s := &dag.Step{Label: "a", Args: tc.step}
			attrs := map[string]string{}
			for k, v := range s.Args { // as frontendAttrs sets them
				attrs["build-arg:"+k] = v
			}
			for k, v := range o.buildArgs {
				attrs["build-arg:"+k] = v
			}
			o.repro.frontendAttrs(attrs)
			if got := attrs["build-arg:"+SourceDateEpochArg]; got != tc.frontend {
				t.Errorf("frontend build-arg:SOURCE_DATE_EPOCH = %q, want %q", got, tc.frontend)
			}
			exp := map[string]string{}
			o.repro.exporterAttrs(s, exp)
			want := map[string]string{}
			if tc.exporter != "" {
				want = map[string]string{"source-date-epoch": tc.exporter, "rewrite-timestamp": "true"}
			}
			if d := cmp.Diff(want, exp); d != "" {
				t.Errorf("exporter attrs (-want +got):\n%s", d)
			}
		})
	}
}

func TestScrubProvenance(t *testing.T) {
	stmt := map[string]any{"predicate": map[string]any{
		"runDetails": map[string]any{"metadata": map[string]any{
			"invocationId": "abc", "startedOn": "2026-01-01T10:00:00Z", "finishedOn": "2026-01-01T10:00:05Z"}},
		"buildDefinition": map[string]any{"externalParameters": map[string]any{"startedOn": "kept",
			"request": map[string]any{"args": map[string]any{"local-sessionid:ctx-app": "r4nd0m", "build-arg:X": "1"},
				"inputs": map[string]any{"base": map[string]any{"args": map[string]any{"local-sessionid:df-base": "r4nd0m"}}}}}},
	}}
	scrubProvenance(stmt, "1970-01-01T00:00:00Z")
	want := map[string]any{"predicate": map[string]any{
		"runDetails": map[string]any{"metadata": map[string]any{
			"startedOn": "1970-01-01T00:00:00Z", "finishedOn": "1970-01-01T00:00:00Z", "buildkit_reproducible": true}},
		"buildDefinition": map[string]any{"externalParameters": map[string]any{"startedOn": "kept",
			"request": map[string]any{"args": map[string]any{"build-arg:X": "1"},
				"inputs": map[string]any{"base": map[string]any{"args": map[string]any{}}}}}},
	}}
	if d := cmp.Diff(want, stmt); d != "" {
		t.Errorf("scrubProvenance (-want +got):\n%s", d)
	}
}

// TestReproduceProvenance: two layouts that differ only in the
// provenance's times and invocation ID get the same root digest, and the
// replaced blobs are gone.
func TestReproduceProvenance(t *testing.T) {
	var roots []ocispecs.Descriptor
	for _, at := range []string{"2026-01-01T10:00:00Z", "2026-02-02T11:00:00Z"} {
		dir := t.TempDir()
		stmt := map[string]any{"_type": "https://in-toto.io/Statement/v1", "predicate": map[string]any{
			"runDetails": map[string]any{"metadata": map[string]any{"invocationId": at, "startedOn": at, "finishedOn": at}}}}
		prov := writeJSONBlob(t, dir, "application/vnd.in-toto+json", stmt)
		prov.Annotations = map[string]string{annotationPredType: "https://slsa.dev/provenance/v1"}
		att := writeJSONBlob(t, dir, ocispecs.MediaTypeImageManifest, ocispecs.Manifest{Layers: []ocispecs.Descriptor{prov}})
		att.Annotations = map[string]string{annotationRefType: attestationRefType}
		root := writeJSONBlob(t, dir, ocispecs.MediaTypeImageIndex, ocispecs.Index{Manifests: []ocispecs.Descriptor{att}})
		if err := writeJSON(filepath.Join(dir, ocispecs.ImageIndexFile), ocispecs.Index{Manifests: []ocispecs.Descriptor{root}}); err != nil {
			t.Fatal(err)
		}
		got, changed, err := reproduceProvenance(dir, "0")
		if err != nil || !changed {
			t.Fatalf("reproduceProvenance = %v, %v, want changed", changed, err)
		}
		for _, old := range []ocispecs.Descriptor{prov, att, root} {
			if p, _ := blobPath(dir, old.Digest); fileExists(p) {
				t.Errorf("the replaced blob %s is still in the layout", old.Digest)
			}
		}
		var idx ocispecs.Index
		if err := readJSON(filepath.Join(dir, ocispecs.ImageIndexFile), &idx); err != nil || idx.Manifests[0].Digest != got.Digest {
			t.Errorf("index.json names %v (%v), want %s", idx.Manifests, err, got.Digest)
		}
		roots = append(roots, got)
	}
	if roots[0].Digest != roots[1].Digest {
		t.Errorf("root digests %s and %s differ, want the same", roots[0].Digest, roots[1].Digest)
	}
}

// TestUnchangedIn: an image is unchanged when every output that can tell
// holds its root under its name; the docker engine is skipped, a tar or a
// missing, other or ambiguous entry is not unchanged.
func TestUnchangedIn(t *testing.T) {
	root := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: digest.Digest("sha256:" + strings.Repeat("a", 64)), Size: 1}
	other := root
	other.Digest = digest.Digest("sha256:" + strings.Repeat("b", 64))
	named := func(d ocispecs.Descriptor, name string) ocispecs.Descriptor {
		d.Annotations = map[string]string{ocispecs.AnnotationRefName: name}
		return d
	}
	layout := func(ms ...ocispecs.Descriptor) string {
		dir := t.TempDir()
		if len(ms) > 0 {
			if err := writeJSON(filepath.Join(dir, "app", ocispecs.ImageIndexFile), ocispecs.Index{Manifests: ms}); err != nil {
				t.Fatal(err)
			}
			if err := writeJSON(filepath.Join(dir, ocispecs.ImageIndexFile), ocispecs.Index{Manifests: ms}); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	staged := layout(root)
	img := &stagedImage{step: &dag.Step{Label: "app", Name: "img:v1"}, dir: filepath.Join(staged, "app")}
	oci := func(dir string) Exporter { return &ociExporter{out: Output{Type: OutputOCI, Dest: dir}} }
	store := func(dir string) Exporter { return &storeExporter{out: Output{Type: OutputStore, Dest: dir}} }
	for _, tc := range []struct {
		name string
		e    []Exporter
		want bool
	}{
		{"oci folder holds it", []Exporter{oci(layout(root))}, true},
		{"oci folder holds another", []Exporter{oci(layout(other))}, false},
		{"oci folder empty", []Exporter{oci(layout())}, false},
		{"oci tar cannot tell", []Exporter{&ociExporter{out: Output{Type: OutputOCI, Dest: layout(root), Tar: true}}}, false},
		{"store holds it by name", []Exporter{store(layout(named(other, "x:v1"), named(root, "img:v1")))}, true},
		{"store has it under another name", []Exporter{store(layout(named(root, "x:v1")))}, false},
		{"docker skipped", []Exporter{&dockerExporter{}, oci(layout(root))}, true},
		{"docker alone cannot tell", []Exporter{&dockerExporter{}}, false},
		{"one output behind", []Exporter{oci(layout(root)), store(layout(named(other, "img:v1")))}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unchangedIn(context.Background(), &multiExporter{exporters: tc.e}, img); got != tc.want {
				t.Errorf("unchangedIn = %v, want %v", got, tc.want)
			}
		})
	}
}
