package builder

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/attestation"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/placement"
)

// splitFleet is a fleet of daemons native for the given platforms, with
// step app placed on daemon home.
func splitFleet(home int, native ...[]string) *fleet {
	f := &fleet{pool: &Pool{}, plan: placement.Plan{Slots: map[string]placement.Slot{"app": {Daemon: home}}},
		tasks: map[string]placement.Task{"app": {ID: "app", Key: "app\x00/ctx"}}}
	for i, n := range native {
		f.daemons = append(f.daemons, &poolDaemon{Client: &Client{addr: "unix:///d" + string(rune('0'+i))}, native: n})
	}
	return f
}

func splitRun(s *dag.Step, o options) *run {
	cfg := &runConfig{byLabel: map[string]*dag.Step{s.Label: s}, publish: map[string]bool{s.Label: true}, opts: &o}
	return &run{Builder: &Builder{o: &o}, runConfig: cfg}
}

func TestPartsByNativePlatform(t *testing.T) {
	amd, arm := []string{"linux/amd64"}, []string{"linux/arm64"}
	s := &dag.Step{Label: "app", Platforms: []string{"linux/amd64", "linux/arm64", "linux/riscv64"}}
	r := splitRun(s, options{})

	// Placed on the amd64 daemon: arm64 goes to the arm64 one, riscv64
	// (native nowhere) stays home, under emulation.
	got := splitFleet(0, amd, arm).parts(r, s)
	want := []part{{0, []string{"linux/amd64", "linux/riscv64"}}, {1, []string{"linux/arm64"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("placed on amd64: parts = %v, want %v", got, want)
	}
	// Placed on the arm64 daemon: the same split, the other way round.
	got = splitFleet(1, amd, arm).parts(r, s)
	want = []part{{0, []string{"linux/amd64"}}, {1, []string{"linux/arm64", "linux/riscv64"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("placed on arm64: parts = %v, want %v", got, want)
	}
	// Of two amd64 daemons, the placed one builds amd64, whichever it is.
	for home := range 2 {
		if got := splitFleet(home, amd, amd, arm).parts(r, s); len(got) != 2 || got[0].daemon != home {
			t.Errorf("two amd64 daemons, placed on %d: parts = %v, want amd64 on %d", home, got, home)
		}
	}
	// Of two arm64 daemons, one builds it, the same one every time; a lost
	// one never does.
	f := splitFleet(0, amd, arm, arm)
	first := f.parts(r, s)
	if len(first) != 2 || !slices.Equal(f.parts(r, s)[1].platforms, []string{"linux/arm64"}) || !reflect.DeepEqual(f.parts(r, s), first) {
		t.Fatalf("two arm64 daemons: parts = %v, want one of them, always the same", first)
	}
	f.daemons[first[1].daemon].lost = true
	if again := f.parts(r, s); len(again) != 2 || again[1].daemon == first[1].daemon {
		t.Errorf("its arm64 daemon lost: parts = %v, want the other arm64 daemon", again)
	}
}

func TestPartsNotSplit(t *testing.T) {
	amd, arm := []string{"linux/amd64"}, []string{"linux/arm64"}
	two := []string{"linux/amd64", "linux/arm64"}
	cases := []struct {
		name string
		step dag.Step
		opts options
		f    *fleet
		mod  func(r *run)
	}{
		{"one platform", dag.Step{Platforms: []string{"linux/arm64"}}, options{}, splitFleet(0, amd, arm), nil},
		{"no daemon native for another", dag.Step{Platforms: two}, options{}, splitFleet(0, two, []string{"linux/s390x"}), nil},
		{"--cache-to", dag.Step{Platforms: two}, options{cacheTo: []client.CacheOptionsEntry{{Type: "local"}}}, splitFleet(0, amd, arm), nil},
		{"after_build_command", dag.Step{Platforms: two, AfterBuildCommand: "true"}, options{afterBuild: true}, splitFleet(0, amd, arm), nil},
		{"--artifacts-dir", dag.Step{Platforms: two, Artifacts: []dag.Artifact{{Source: "/a"}}}, options{artifactsDir: "/tmp/a"}, splitFleet(0, amd, arm), nil},
		{"placed daemon lost", dag.Step{Platforms: two}, options{}, splitFleet(0, amd, arm), func(r *run) {}},
	}
	for _, c := range cases {
		s := c.step
		s.Label = "app"
		r := splitRun(&s, c.opts)
		if c.mod != nil {
			c.mod(r)
		}
		if c.name == "placed daemon lost" {
			c.f.daemons[0].lost = true
		}
		if got := c.f.parts(r, &s); got != nil {
			t.Errorf("%s: parts = %v, want no split", c.name, got)
		}
	}
	// What a split allows: an after_build_command that does not run,
	// artifacts with no --artifacts-dir, a step not published.
	s := dag.Step{Label: "app", Platforms: two, AfterBuildCommand: "true", Artifacts: []dag.Artifact{{Source: "/a"}}}
	r := splitRun(&s, options{})
	if got := splitFleet(0, amd, arm).parts(r, &s); len(got) != 2 {
		t.Errorf("after_build_command off, no --artifacts-dir: parts = %v, want 2", got)
	}
	r.publish["app"] = false
	if got := splitFleet(0, amd, arm).parts(r, &s); len(got) != 2 {
		t.Errorf("a step not published: parts = %v, want 2", got)
	}
}

// partLayout writes, into the layout dir, an index like the one a part's
// session exports: an image per platform, then an attestation of each;
// it returns that part's exporter response.
func partLayout(t *testing.T, dir string, plats ...string) *client.SolveResponse {
	t.Helper()
	idx := ocispecs.Index{MediaType: ocispecs.MediaTypeImageIndex, Annotations: map[string]string{"org.opencontainers.image.created": "1970-01-01T00:00:00Z"}}
	idx.SchemaVersion = 2
	var atts []ocispecs.Descriptor
	for _, p := range plats {
		os, arch, _ := strings.Cut(p, "/")
		img := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageManifest, Digest: digest.FromString("image " + p), Size: 100, Platform: &ocispecs.Platform{OS: os, Architecture: arch}}
		idx.Manifests = append(idx.Manifests, img)
		atts = append(atts, ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageManifest, Digest: digest.FromString("att " + p), Size: 50,
			Annotations: map[string]string{annotationRefType: attestationRefType, attestation.DockerAnnotationReferenceDigest: img.Digest.String()},
			Platform:    &ocispecs.Platform{OS: "unknown", Architecture: "unknown"}})
	}
	idx.Manifests = append(idx.Manifests, atts...)
	dt, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	root := ocispecs.Descriptor{MediaType: idx.MediaType, Digest: digest.FromBytes(dt), Size: int64(len(dt)), Annotations: map[string]string{"io.containerd.image.name": "docker.io/library/app:latest"}}
	if err := writeBlobBytes(dir, root.Digest, dt); err != nil {
		t.Fatal(err)
	}
	resp := &client.SolveResponse{ExporterResponse: map[string]string{"image.name": "app"}}
	if err := setExportedRoot(resp, root); err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestMergePartsIsOneSessionsIndex: the index merged from the parts (arm64
// built on one daemon, amd64 and riscv64 on another) is, byte for byte,
// the one a single session would have exported for the three platforms.
func TestMergePartsIsOneSessionsIndex(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	order := []string{"linux/amd64", "linux/arm64", "linux/riscv64"}
	single := partLayout(t, dir, order...)
	parts := []*client.SolveResponse{partLayout(t, dir, "linux/arm64"), partLayout(t, dir, "linux/amd64", "linux/riscv64")}
	got, err := mergeParts(dir, order, parts)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := exportedRoot(single)
	root, err := exportedRoot(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(root, want) || got.ExporterResponse["containerimage.digest"] != want.Digest.String() {
		t.Errorf("merged root = %+v (digest %s), want the single session's %+v", root, got.ExporterResponse["containerimage.digest"], want)
	}
	if got.ExporterResponse["image.name"] != "app" {
		t.Errorf("merged response lost the part's image name: %v", got.ExporterResponse)
	}
	if parts[0].ExporterResponse["containerimage.digest"] == want.Digest.String() {
		t.Error("mergeParts changed the first part's own response")
	}

	// A platform no part built, or one two parts built, is an error.
	if _, err := mergeParts(dir, order, parts[:1]); err == nil {
		t.Error("merge without the amd64 part: no error")
	}
	if _, err := mergeParts(dir, []string{"linux/arm64"}, []*client.SolveResponse{parts[0], partLayout(t, dir, "linux/arm64")}); err == nil || !strings.Contains(err.Error(), "two parts built platform linux/arm64") {
		t.Errorf("merge of arm64 twice: %v, want an error naming it", err)
	}
	if _, err := mergeParts(dir, order, []*client.SolveResponse{parts[0], {ExporterResponse: map[string]string{}}}); err == nil {
		t.Error("merge of a part that exported nothing: no error")
	}
	// A daemon that exports a platform it was not asked for does not get it
	// into the step's index.
	extra := []*client.SolveResponse{partLayout(t, dir, "linux/arm64", "linux/s390x"), parts[1]}
	if _, err := mergeParts(dir, order, extra); err == nil || !strings.Contains(err.Error(), "no part built platform linux/riscv64") && !strings.Contains(err.Error(), "the parts built 4 platforms, the step has 3") {
		t.Errorf("merge with an s390x image nobody asked for: %v, want an error", err)
	}
}
