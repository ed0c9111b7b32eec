package builder

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/patternmatcher"

	"github.com/weld-build/weld/dag"
)

// excludesSolver is a fakeSolver that records, per step, the exclude
// patterns of the local context its own Dockerfile solve sends.
type excludesSolver struct {
	fakeSolver
	mu       sync.Mutex
	excludes map[string][]string
}

func (f *excludesSolver) Build(ctx context.Context, opt client.SolveOpt, p string, fn gateway.BuildFunc, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	return f.fakeSolver.Build(ctx, opt, p, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		return fn(ctx, &excludesClient{Client: c, f: f})
	}, ch)
}

type excludesClient struct {
	gateway.Client
	f *excludesSolver
}

func (c *excludesClient) Solve(ctx context.Context, req gateway.SolveRequest) (*gateway.Result, error) {
	if def := req.FrontendInputs["context"]; def != nil {
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.Unmarshal(dt); err != nil || op.GetSource() == nil {
				continue
			}
			src := op.GetSource()
			label, ok := strings.CutPrefix(src.Identifier, "local://ctx-")
			if !ok {
				continue
			}
			var ex []string
			if v := src.Attrs[pb.AttrExcludePatterns]; v != "" {
				if err := json.Unmarshal([]byte(v), &ex); err != nil {
					return nil, err
				}
			}
			c.f.mu.Lock()
			c.f.excludes[label] = ex
			c.f.mu.Unlock()
		}
	}
	return c.Client.Solve(ctx, req)
}

// TestRunContextLeavesOutWeldState: every file and folder weld writes in a
// run, and .weld/, are in the exclude patterns of the context each step
// sends, after the .dockerignore's; a ! line naming one brings back only
// that, with a warning.
func TestRunContextLeavesOutWeldState(t *testing.T) {
	p := testPlan(t, nil, "app")
	dir := p.Build().WorkDir
	if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("!.weld/keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &excludesSolver{excludes: map[string][]string{}}
	var warnings []string
	var mu sync.Mutex
	b, err := New(f,
		WithOutputs(Output{Type: OutputOCI, Dest: filepath.Join(dir, "out")}),
		WithArtifactsDir(filepath.Join(dir, "arts")),
		WithCacheTo(client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"dest": filepath.Join(dir, "cache")}}),
		WithOwnFiles(filepath.Join(dir, "m.json")),
		WithEvents(func(e Event) {
			if e.Type == EventWarning {
				mu.Lock()
				warnings = append(warnings, e.Step+": "+e.Message)
				mu.Unlock()
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(context.Background(), p); err != nil {
		t.Fatalf("Run = %v", err)
	}
	ex, ok := f.excludes["app"]
	if !ok {
		t.Fatalf("no local context seen; got %v", f.excludes)
	}
	m, err := patternmatcher.New(ex)
	if err != nil {
		t.Fatal(err)
	}
	for path, left := range map[string]bool{
		".weld/images/index.json": true, "sub/.weld/x": true, "out/app/index.json": true, "out/app.tar": true,
		"arts/app": true, "cache/index.json": true, "m.json": true, "out/notes.txt": true,
		".weld/keep": false, "app": false, "outside/notes.txt": false, ".dockerignore": false,
	} {
		if got, _ := m.MatchesOrParentMatches(path); got != left {
			t.Errorf("context excludes %q: %s left out = %v, want %v", ex, path, got, left)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "app: ") || !strings.Contains(warnings[0], ".weld/keep") {
		t.Errorf("warnings = %q, want one for step app naming .weld/keep", warnings)
	}
}

// TestRunRefusesArtifactInWeldState: an artifact that would land in weld's
// own state, in a context or under --artifacts-dir, is bad output, found
// before anything builds.
func TestRunRefusesArtifactInWeldState(t *testing.T) {
	tests := []struct {
		name, dest string
		arts       string // --artifacts-dir, relative to the work dir
		out        string // the OCI output, relative to the work dir; "out" when empty
		refused    bool
	}{
		{name: "an output at the work dir holds every landing", dest: "bin", out: ".", refused: false},
		{name: "but not its steps' image folders", dest: "app", out: ".", refused: true},
		{name: "an output that holds the artifacts folder", dest: "bin", arts: "arts", out: ".", refused: false},
		{name: "in .weld", dest: ".weld/bin", refused: true},
		{name: "in a nested .weld", dest: "sub/.weld", refused: true},
		{name: "in an output", dest: "out/app", refused: true},
		{name: "under the artifacts folder, into .weld", dest: ".weld", arts: ".", refused: true},
		{name: "an ordinary dest", dest: "bin"},
		{name: "the artifacts folder is where artifacts go", dest: ".", arts: "arts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPlan(t, nil, "app")
			dir := p.Build().WorkDir
			p.Build().Steps[0].Artifacts = []dag.Artifact{{Source: "/usr/bin/tool", Dest: tc.dest}}
			if tc.out == "" {
				tc.out = "out"
			}
			opts := []Option{WithOutputs(Output{Type: OutputOCI, Dest: filepath.Join(dir, tc.out)})}
			if tc.arts != "" {
				opts = append(opts, WithArtifactsDir(filepath.Join(dir, tc.arts)))
			}
			f := &fakeSolver{delay: map[string]time.Duration{}}
			b, err := New(f, opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.Run(context.Background(), p)
			if got := errors.Is(err, ErrOutput); got != tc.refused {
				t.Errorf("Run with an artifact to %s = %v, want refused %v", tc.dest, err, tc.refused)
			}
			if tc.refused && len(f.evaluated) > 0 {
				t.Errorf("evaluated %v before refusing", f.evaluated)
			}
		})
	}
}
