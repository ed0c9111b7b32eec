package artifacts_test

import (
	"context"
	"slices"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"

	"github.com/weld-build/weld/artifacts"
	"github.com/weld-build/weld/dag"
)

// ops marshals st and returns its ops in definition order (the last one is
// the output's) with each op's custom name.
func ops(t *testing.T, st llb.State) ([]*pb.Op, []string) {
	t.Helper()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var out []*pb.Op
	var names []string
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatalf("unmarshalling an op: %v", err)
		}
		out = append(out, &op)
	}
	for _, md := range def.Metadata {
		if n := md.Description["llb.customname"]; n != "" {
			names = append(names, n)
		}
	}
	return out, names
}

func TestPlace(t *testing.T) {
	arts := []dag.Artifact{{Source: "/out/app", Dest: "."}, {Source: "/out/lib", Dest: "sub/bin"}, {Source: "/etc/x", Dest: "other"}}
	tests := []struct {
		name, contextDir string
		placed, outside  []string
	}{
		{"work dir", "/w", []string{"app", "sub/bin/lib", "other/x"}, nil},
		{"sub folder", "/w/sub", []string{"bin/lib"}, []string{"../app", "../other/x"}},
		{"elsewhere", "/w/none", nil, []string{"../app", "../sub/bin/lib", "../other/x"}},
	}
	paths := func(ps []artifacts.Placement) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Path)
		}
		return out
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			placed, outside := artifacts.Place(arts, "/w", tc.contextDir)
			if got := paths(placed); !slices.Equal(got, tc.placed) {
				t.Errorf("Place(..., %q) placed %q, want %q", tc.contextDir, got, tc.placed)
			}
			if got := paths(outside); !slices.Equal(got, tc.outside) {
				t.Errorf("Place(..., %q) outside %q, want %q", tc.contextDir, got, tc.outside)
			}
		})
	}
}

func TestLayer(t *testing.T) {
	from := llb.Image("docker.io/library/busybox:latest")
	placed, _ := artifacts.Place([]dag.Artifact{{Source: "/out/app", Dest: "bin"}}, "/w", "/w")
	all, names := ops(t, artifacts.Layer(from, placed, "compile"))
	var cp *pb.FileActionCopy
	for _, op := range all {
		if f := op.GetFile(); f != nil {
			cp = f.Actions[0].GetCopy()
		}
	}
	if cp == nil || cp.Src != "/out/app" || cp.Dest != "/bin/app" || !cp.CreateDestPath || !cp.FollowSymlink {
		t.Fatalf("Layer copy = %+v, want /out/app → /bin/app, creating the path, following symlinks", cp)
	}
	if !slices.Contains(names, "artifact /out/app from compile → bin/app") {
		t.Errorf("Layer names %q, want the artifact named with its step", names)
	}
}

func TestContext(t *testing.T) {
	local := llb.Local("ctx-app")
	plain, _ := ops(t, artifacts.Context(local, nil, "app"))
	alone, _ := ops(t, local)
	if len(plain) != len(alone) {
		t.Errorf("Context with no layers has %d ops, want the local source's %d", len(plain), len(alone))
	}
	layer := llb.Scratch().File(llb.Mkfile("/a", 0o644, []byte("a")))
	merged, names := ops(t, artifacts.Context(local, []llb.State{layer, layer.File(llb.Mkfile("/b", 0o644, nil))}, "app"))
	m := merged[len(merged)-2].GetMerge() // the last op is the output's
	if m == nil || len(m.Inputs) != 3 {
		t.Fatalf("Context with two layers: op %+v, want a merge of the local files and both layers", merged[len(merged)-2])
	}
	if !slices.Contains(names, "[app] build context with artifacts") {
		t.Errorf("Context names %q, want the merge named for the step", names)
	}
}

func TestCleanup(t *testing.T) {
	base := llb.Image("docker.io/library/busybox:latest")
	built := base.Run(llb.Args([]string{"/bin/sh", "-c", "touch /junk /keep"})).Root()
	st := artifacts.Cleanup(built, base, []string{"rm /junk", "rm -rf /tmp/*"}, artifacts.Image{Env: []string{"A=1", "PATH=/bin"}, WorkingDir: "/w"}, "tidy")
	all, names := ops(t, st)
	var runs [][]string
	var merge *pb.MergeOp
	var diffs, flattens int
	for _, op := range all {
		switch {
		case op.GetExec() != nil:
			m := op.GetExec().Meta
			runs = append(runs, m.Args)
			if len(runs) > 1 && (!slices.Contains(m.Env, "A=1") || m.Cwd != "/w") {
				t.Errorf("cleanup command %q runs with env %q in %q, want the image's A=1 in /w", m.Args, m.Env, m.Cwd)
			}
		case op.GetDiff() != nil:
			diffs++
		case op.GetMerge() != nil:
			merge = op.GetMerge()
		case op.GetFile() != nil:
			if cp := op.GetFile().Actions[0].GetCopy(); cp != nil && cp.Src == "/" && cp.DirCopyContents {
				flattens++
			}
		}
	}
	want := [][]string{{"/bin/sh", "-c", "touch /junk /keep"}, {"/bin/sh", "-c", "rm /junk"}, {"/bin/sh", "-c", "rm -rf /tmp/*"}}
	if !slices.EqualFunc(runs, want, slices.Equal) {
		t.Errorf("exec ops %q, want the build, then each cleanup command in order: %q", runs, want)
	}
	if flattens != 1 || diffs != 1 || merge == nil || len(merge.Inputs) != 2 {
		t.Errorf("flattens %d, diffs %d, merge %+v; want one flatten into scratch, one diff and Merge(base, diff)", flattens, diffs, merge)
	}
	for _, n := range []string{"[tidy] cleanup: rm /junk", "[tidy] cleanup: flatten", "[tidy] cleanup: squash onto the base"} {
		if !slices.Contains(names, n) {
			t.Errorf("Cleanup names %q, want %q", names, n)
		}
	}
}
