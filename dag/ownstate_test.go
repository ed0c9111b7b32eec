package dag

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/moby/patternmatcher"
)

func TestContextFilter(t *testing.T) {
	tests := []struct {
		name         string
		dockerignore string   // "" for none
		own          []string // relative to the context; made absolute
		sent         []string // paths (relative to the context) that are sent
		left         []string // and those left out
		named        []string
	}{
		{name: "no .dockerignore", sent: []string{"main.go", ".welding", "weld/x", "a/b.weld"},
			left: []string{".weld", ".weld/images/index.json", "sub/.weld/images/blobs/x", "a/b/.weld"}},
		{name: "a .dockerignore that re-includes everything", dockerignore: "*\n!*\n!.*\n!**\n",
			sent: []string{"main.go"}, left: []string{".weld/images/index.json", "sub/.weld/x"}},
		{name: "!**/.weld names every .weld", dockerignore: "!**/.weld\n",
			sent: []string{".weld/x", "sub/.weld/x"}, named: []string{"**/.weld"}},
		{name: "a ! line naming .weld brings it back", dockerignore: "tmp\n!.weld\n",
			sent: []string{".weld/images/x", "main.go"}, left: []string{"tmp/x", "sub/.weld/x"}, named: []string{".weld"}},
		{name: "a ! line naming a file in .weld brings back that file only", dockerignore: "!.weld/token\n",
			sent: []string{".weld/token"}, left: []string{".weld/images/x", ".weld/tokens"}, named: []string{".weld/token"}},
		{name: "its exclusions inside .weld keep their order", dockerignore: "!.weld\n.weld/images\n",
			sent: []string{".weld/token"}, left: []string{".weld/images/x"}, named: []string{".weld"}},
		{name: "outputs and files of this run", own: []string{"out/app", "out/app.tar", "m.json", "../elsewhere", "."},
			sent: []string{"out/other", "main.go", "m.json.bak"}, left: []string{"out/app/index.json", "out/app.tar", "m.json"}},
		{name: "own paths with pattern characters are literal", own: []string{"o[1]/*", "!x"},
			sent: []string{"o1/a", "o[1]/b", "x"}, left: []string{"o[1]/*", "o[1]/*/index.json", "!x"}},
		{name: "a ! line naming an output brings it back", dockerignore: "!out/app\n", own: []string{"out/app"},
			sent: []string{"out/app/index.json"}, left: []string{".weld/x"}, named: []string{"out/app"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := &Step{Label: "s", Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile")}
			if tc.dockerignore != "" {
				if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte(tc.dockerignore), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			own := make([]string, len(tc.own))
			for i, o := range tc.own {
				own[i] = filepath.Join(dir, o)
			}
			f, err := s.ContextFilter(own...)
			if err != nil {
				t.Fatalf("ContextFilter = %v", err)
			}
			m, err := patternmatcher.New(f.Excludes)
			if err != nil {
				t.Fatalf("patternmatcher.New(%q) = %v", f.Excludes, err)
			}
			for _, want := range []struct {
				paths    []string
				excluded bool
			}{{tc.sent, false}, {tc.left, true}} {
				for _, p := range want.paths {
					if got, err := m.MatchesOrParentMatches(p); err != nil || got != want.excluded {
						t.Errorf("excludes %q: %s excluded = %v (%v), want %v", f.Excludes, p, got, err, want.excluded)
					}
				}
			}
			if !cmp.Equal(f.Named, tc.named, cmpopts.EquateEmpty()) {
				t.Errorf("Named = %q, want %q", f.Named, tc.named)
			}
		})
	}
}

// TestContextFilterUnreadableIgnore: a .dockerignore that cannot be read is
// an error, and weld's own state is still left out.
func TestContextFilterUnreadableIgnore(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".dockerignore"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Step{Label: "s", Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile")}
	f, err := s.ContextFilter()
	if err == nil {
		t.Errorf("ContextFilter with a folder for .dockerignore = nil error, want one")
	}
	if ok, _ := patternmatcher.MatchesOrParentMatches(".weld/x", f.Excludes); !ok {
		t.Errorf("excludes %q send .weld/x", f.Excludes)
	}
}

func TestAffectedByPathsLeavesOutWeldState(t *testing.T) {
	p := affectedPlan(t)
	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"weld's state in a context", []string{"src/.weld/images/index.json", "src/.weld"}, nil},
		{"the work dir's store", []string{".weld/images/blobs/sha256/x"}, nil},
		{"a folder only named like it", []string{"src/.welding/x"}, []string{"compile", "runtime"}},
		{"named by the context's .dockerignore", []string{"docs/.weld/keep"}, []string{"docs"}},
		{"not named by it", []string{"docs/.weld/images/x"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.AffectedByPaths(tc.paths...); !cmp.Equal(got, tc.want, cmpopts.EquateEmpty()) {
				t.Errorf("AffectedByPaths(%q) = %v, want %v", tc.paths, got, tc.want)
			}
		})
	}
}

func TestInStateDir(t *testing.T) {
	for rel, want := range map[string]bool{
		".weld": true, ".weld/bin/app": true, "a/.weld/x": true, "./.weld": true,
		"app": false, ".welding/x": false, "bin/weld": false,
	} {
		if got := InStateDir(rel); got != want {
			t.Errorf("InStateDir(%q) = %v, want %v", rel, got, want)
		}
	}
}
