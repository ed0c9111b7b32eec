package ctxsize

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weld-build/weld/dag"
)

// tree writes files (path → content; a content "->TARGET" makes a symlink)
// under a new folder.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(c, "->"); ok {
			err = os.Symlink(target, full)
		} else {
			err = os.WriteFile(full, []byte(c), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSteps(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files map[string]string
		own   []string // relative to the context
		want  dag.ContextSize
		named []string
	}{
		{name: "weld's store is left out", files: map[string]string{
			"main.go": "package main\n", "Dockerfile": "FROM scratch\n",
			".weld/images/blobs/sha256/aa": strings.Repeat("x", 5000), "sub/.weld/x": "yy",
		}, want: dag.ContextSize{Files: 2, Bytes: 13 + 13}},
		{name: "the .dockerignore cannot bring it back with a glob", files: map[string]string{
			".dockerignore": "*\n!*\n!.*\n", "a": "1", ".weld/images/x": "2222",
		}, want: dag.ContextSize{Files: 2, Bytes: 9 + 1}},
		{name: "a ! line naming it brings back just that", files: map[string]string{
			".dockerignore": "!.weld/keep\n", ".weld/keep": "k", ".weld/images/x": "2222",
		}, want: dag.ContextSize{Files: 2, Bytes: 12 + 1}, named: []string{".weld/keep"}},
		{name: "outputs of this run are left out", files: map[string]string{
			"a": "1", "out/app/index.json": "{}", "m.json": "{}",
		}, own: []string{"out/app", "m.json"}, want: dag.ContextSize{Files: 1, Bytes: 1}},
		{name: "a symlink is counted, never followed", files: map[string]string{
			"link": "->" + big, "dirlink": "->" + filepath.Dir(big),
		}, want: dag.ContextSize{Files: 2, Bytes: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tree(t, tc.files)
			own := make([]string, len(tc.own))
			for i, o := range tc.own {
				own[i] = filepath.Join(dir, o)
			}
			s := &dag.Step{Label: "s", Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile")}
			var named []string
			got := Steps(context.Background(), []*dag.Step{s}, own, func(label, msg string) { named = append(named, msg) })
			if got["s"] != tc.want {
				t.Errorf("Steps()[s] = %+v, want %+v", got["s"], tc.want)
			}
			if len(named) != len(tc.named) {
				t.Errorf("warnings %q, want %d naming %q", named, len(tc.named), tc.named)
			}
			for i := range min(len(named), len(tc.named)) {
				if !strings.Contains(named[i], tc.named[i]) {
					t.Errorf("warning %q does not name %s", named[i], tc.named[i])
				}
			}
		})
	}
}

func TestMeasureHardLinkOnce(t *testing.T) {
	dir := tree(t, map[string]string{"a": "12345"})
	if err := os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	got, err := Measure(context.Background(), dir, nil, 0)
	if want := (dag.ContextSize{Files: 2, Bytes: 5}); err != nil || got != want {
		t.Errorf("Measure = %+v, %v; want %+v", got, err, want)
	}
}

func TestMeasureStopsAtLimit(t *testing.T) {
	dir := tree(t, map[string]string{"a": "1", "b": "1", "c/d": "1", "c/e": "1"})
	got, err := Measure(context.Background(), dir, nil, 3)
	if want := (dag.ContextSize{Files: 3, Bytes: 3, More: true}); err != nil || got != want {
		t.Errorf("Measure(limit 3) = %+v, %v; want %+v", got, err, want)
	}
	got, err = Measure(context.Background(), dir, nil, 4)
	if want := (dag.ContextSize{Files: 4, Bytes: 4}); err != nil || got != want {
		t.Errorf("Measure(limit 4) = %+v, %v; want %+v", got, err, want)
	}
}

func TestMeasureMissingContext(t *testing.T) {
	if _, err := Measure(context.Background(), filepath.Join(t.TempDir(), "gone"), nil, 0); err == nil {
		t.Error("Measure of a missing folder = nil error, want one")
	}
}

// TestStepsUnmeasurable: a context that cannot be walked is a warning and
// no figure, not a failed plan.
func TestStepsUnmeasurable(t *testing.T) {
	dir := t.TempDir()
	gone := &dag.Step{Label: "gone", Context: filepath.Join(dir, "gone"), Dockerfile: filepath.Join(dir, "Dockerfile")}
	ok := &dag.Step{Label: "ok", Context: tree(t, map[string]string{"a": "1"}), Dockerfile: filepath.Join(dir, "Dockerfile")}
	var warnings []string
	got := Steps(context.Background(), []*dag.Step{gone, ok}, nil, func(label, msg string) { warnings = append(warnings, label+": "+msg) })
	if _, has := got["gone"]; has || got["ok"] != (dag.ContextSize{Files: 1, Bytes: 1}) {
		t.Errorf("Steps = %+v, want no figure for gone and 1 file for ok", got)
	}
	if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "gone: ") {
		t.Errorf("warnings = %q, want one for gone", warnings)
	}
}
