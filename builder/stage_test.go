package builder

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

// TestChildPath: a label-derived name never leads out of its folder.
func TestChildPath(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for name, target := range map[string]string{"out-link": outside, "in-link": filepath.Join(root, "sub"), "dangling": filepath.Join(root, "nothing")} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"app", true},
		{"app.tar", true},
		{"in-link", true},
		{"", false},
		{".", false},
		{"..", false},
		{"../app", false},
		{"a/b", false},
		{`a\b`, false},
		{"/etc", false},
		{"a\x00b", false},
		{"out-link", false},
		{"dangling", false},
	} {
		got, err := childPath(root, tc.name)
		if tc.ok {
			if err != nil || got != filepath.Join(root, tc.name) {
				t.Errorf("childPath(root, %q) = %q, %v; want %q, nil", tc.name, got, err, filepath.Join(root, tc.name))
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrOutput) {
			t.Errorf("childPath(root, %q) = %q, %v; want an ErrOutput", tc.name, got, err)
		}
	}
}

// TestStagedPathRefusesEscapingLabels: the exporter's paths come through
// childPath, so a label that slipped past the parser still cannot write
// outside the output folder.
func TestStagedPathRefusesEscapingLabels(t *testing.T) {
	dest := t.TempDir()
	r := &run{stage: newStaging()}
	defer r.stage.removeAll()
	for _, label := range []string{"../../etc", "/tmp/x", "a/../../b", ".."} {
		for _, o := range []Output{{Type: OutputOCI, Dest: dest}, {Type: OutputOCI, Dest: dest, Tar: true}, {Type: OutputStore, Dest: dest}} {
			p, err := r.stagedPath(o, &dag.Step{Label: label})
			if err != nil {
				continue
			}
			// ".." + ".tar" is the plain name "...tar": harmless.
			dir, _ := r.stage.dir(dest)
			if o.Tar && filepath.Dir(p) == dir {
				continue
			}
			t.Errorf("stagedPath(%+v, label %q) = %q, want an error", o, label, p)
		}
	}
}

// writeLayout writes a minimal OCI layout with one blob and an index
// naming it; it returns the blob's descriptor.
func writeLayout(t *testing.T, dir, content string) ocispecs.Descriptor {
	t.Helper()
	d := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageManifest, Size: int64(len(content))}
	d.Digest = digest.FromString(content)
	blob := filepath.Join(dir, "blobs", "sha256", d.Digest.Encoded())
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(dir, ocispecs.ImageIndexFile), ocispecs.Index{Manifests: []ocispecs.Descriptor{d}}); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(dir, ocispecs.ImageLayoutFile), ocispecs.ImageLayout{Version: ocispecs.ImageLayoutVersion}); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMergeLayout: the store names one image per name, and every blob it
// names is there.
func TestMergeLayout(t *testing.T) {
	store := t.TempDir()
	var last ocispecs.Descriptor
	for i, content := range []string{"first", "second"} {
		src := filepath.Join(t.TempDir(), "staged")
		last = writeLayout(t, src, content)
		if err := mergeLayout(src, store, "img:v1"); err != nil {
			t.Fatalf("mergeLayout #%d: %v", i, err)
		}
	}
	if err := mergeLayout(filepath.Join(t.TempDir(), "nope"), store, "x"); err == nil {
		t.Errorf("mergeLayout of a missing layout = nil, want an error")
	}
	var idx ocispecs.Index
	if err := readJSON(filepath.Join(store, ocispecs.ImageIndexFile), &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != last.Digest || idx.Manifests[0].Annotations[ocispecs.AnnotationRefName] != "img:v1" {
		dt, _ := json.Marshal(idx)
		t.Fatalf("index = %s, want only img:v1 at %s", dt, last.Digest)
	}
	dt, err := os.ReadFile(filepath.Join(store, "blobs", "sha256", last.Digest.Encoded()))
	if err != nil || string(dt) != "second" {
		t.Errorf("the named blob holds %q, %v; want %q", dt, err, "second")
	}
}

// TestSwapInto: a staged layout replaces an old layout (which ends in the
// staging folder), and never a folder that is not a layout.
func TestSwapInto(t *testing.T) {
	for _, tc := range []struct {
		name    string
		before  func(t *testing.T, final string) // what is at final first
		wantErr bool
	}{
		{name: "nothing there", before: func(*testing.T, string) {}},
		{name: "an old layout", before: func(t *testing.T, final string) { writeLayout(t, final, "old") }},
		{name: "an empty folder", before: func(t *testing.T, final string) { _ = os.Mkdir(final, 0o755) }},
		{name: "a user's folder", wantErr: true, before: func(t *testing.T, final string) {
			_ = os.Mkdir(final, 0o755)
			_ = os.WriteFile(filepath.Join(final, "precious"), []byte("keep"), 0o644)
		}},
		{name: "a file", wantErr: true, before: func(t *testing.T, final string) { _ = os.WriteFile(final, []byte("keep"), 0o644) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stage, dest := t.TempDir(), t.TempDir()
			staged, final := filepath.Join(stage, "app"), filepath.Join(dest, "app")
			want := writeLayout(t, staged, "new")
			tc.before(t, final)
			err := swapInto(staged, final)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "is not an OCI layout") {
					t.Fatalf("swapInto = %v, want an error saying it is not an OCI layout", err)
				}
				if _, err := os.Stat(filepath.Join(final, "precious")); err != nil && !strings.Contains(tc.name, "file") {
					t.Errorf("the user's file is gone: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("swapInto = %v", err)
			}
			var idx ocispecs.Index
			if err := readJSON(filepath.Join(final, ocispecs.ImageIndexFile), &idx); err != nil || idx.Manifests[0].Digest != want.Digest {
				t.Errorf("final index = %+v, %v; want %s", idx, err, want.Digest)
			}
			if ents, _ := os.ReadDir(stage); len(ents) != 0 {
				t.Errorf("the staging folder still holds %v", ents)
			}
		})
	}
}

// TestCommitOutputsLocks: a commit waits for the output's lock and gives
// up with the context.
func TestCommitOutputsLocks(t *testing.T) {
	dest := t.TempDir()
	unlock, err := lockOutput(context.Background(), dest)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := lockOutput(ctx, dest); err == nil {
		t.Errorf("lockOutput while another holds the lock, with a canceled context = nil, want an error")
	}
}

// TestStagingRemovesOnlyItsOwn: removeAll removes this run's staging folder
// and leaves another run's.
func TestStagingRemovesOnlyItsOwn(t *testing.T) {
	dest := t.TempDir()
	a, b := newStaging(), newStaging()
	da, err := a.dir(dest)
	if err != nil {
		t.Fatal(err)
	}
	db, err := b.dir(dest)
	if err != nil {
		t.Fatal(err)
	}
	if da == db || filepath.Dir(da) != filepath.Join(dest, stagingDir) {
		t.Fatalf("staging folders %q and %q: want two distinct folders in %s", da, db, stagingDir)
	}
	a.removeAll()
	if _, err := os.Stat(da); !os.IsNotExist(err) {
		t.Errorf("after removeAll, %s: Stat = %v, want not exist", da, err)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("another run's staging folder %s is gone: %v", db, err)
	}
	b.removeAll()
	// a created .weld-staging, but b was in it then; b did not create it.
	if ents, err := os.ReadDir(filepath.Join(dest, stagingDir)); err != nil || len(ents) != 0 {
		t.Errorf("%s after both runs: %v, %v; want it empty", stagingDir, ents, err)
	}
	c := newStaging()
	if _, err := c.dir(dest); err != nil {
		t.Fatal(err)
	}
	c.removeAll()
	if _, err := os.Stat(filepath.Join(dest, stagingDir)); err != nil {
		t.Errorf("a run removed the %s it did not create: %v", stagingDir, err)
	}
	fresh := t.TempDir()
	if _, err := c.dir(fresh); err != nil {
		t.Fatal(err)
	}
	c.removeAll()
	if _, err := os.Stat(filepath.Join(fresh, stagingDir)); !os.IsNotExist(err) {
		t.Errorf("the %s a run created and emptied is left: Stat = %v", stagingDir, err)
	}
}

// TestRunCommitsStagedOutputs: with the fake solver (which writes what the
// OCI exporter would), a run places each image at Dest/<label> and removes
// its staging folder; a failed run leaves the earlier images alone.
func TestRunCommitsStagedOutputs(t *testing.T) {
	dest := t.TempDir()
	outs := WithOutputs(Output{Type: OutputOCI, Dest: dest}, Output{Type: OutputOCI, Dest: dest, Tar: true})
	for _, tc := range []struct {
		name string
		fail map[string]error
	}{
		{name: "published"},
		{name: "failed", fail: map[string]error{"b": errBoom}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := New(&fakeSolver{fail: tc.fail}, outs)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.Run(context.Background(), testPlan(t, nil, "a", "b"))
			if (err != nil) != (tc.fail != nil) {
				t.Fatalf("Run() = %v, want failure %v", err, tc.fail != nil)
			}
			for _, p := range []string{"a/oci-layout", "b/oci-layout", "a.tar", "b.tar"} {
				if _, err := os.Stat(filepath.Join(dest, p)); err != nil {
					t.Errorf("%s: %v, want the first run's output there", p, err)
				}
			}
			if _, err := os.Stat(filepath.Join(dest, stagingDir)); !os.IsNotExist(err) {
				t.Errorf("%s left after the run: Stat = %v", stagingDir, err)
			}
		})
	}
}

// TestRunRefusesLabelsThatEscape: a label that is not a plain name is
// refused before anything builds when outputs derive folders from labels.
func TestRunRefusesLabelsThatEscape(t *testing.T) {
	for _, label := range []string{"../evil", "a/b", ".."} {
		dir := t.TempDir()
		df := filepath.Join(dir, "Dockerfile")
		if err := os.WriteFile(df, []byte("FROM scratch\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := dag.NewPlan(&dag.Build{File: "build.yml", WorkDir: dir, Version: "2016-03-14", Steps: []*dag.Step{{
			Label: label, Name: "img", Dockerfile: df, Context: dir, Publish: true, FinalBase: dag.FinalBase{Scratch: true},
		}}})
		if err != nil {
			t.Fatalf("NewPlan: %v", err)
		}
		f := &fakeSolver{}
		dest := filepath.Join(dir, "out", "sub")
		b, err := New(f, WithOutputs(Output{Type: OutputOCI, Dest: dest}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Run(context.Background(), p); !errors.Is(err, ErrOutput) {
			t.Errorf("Run with label %q = %v, want an ErrOutput", label, err)
		}
		if len(f.exported) > 0 {
			t.Errorf("label %q: exported %v, want nothing", label, f.exported)
		}
		if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
			t.Errorf("label %q: the run created %s/out (Stat = %v), want nothing written", label, dir, err)
		}
	}
}
