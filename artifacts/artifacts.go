package artifacts

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client/llb"

	"github.com/weld-build/weld/dag"
)

// Placement says where one artifact appears in a dependent's context.
type Placement struct {
	// Artifact is the spec from build.yml.
	Artifact dag.Artifact
	// Path is the slash path inside the context ("secretapp", "bin/app").
	Path string
}

// Place works out where each artifact lands in a build context rooted at
// contextDir, given the work dir. Artifacts that land outside that context are
// left out: the dependent cannot see them, exactly as with Habitus.
func Place(arts []dag.Artifact, workDir, contextDir string) (placed, outside []Placement) {
	for _, a := range arts {
		landing := filepath.Join(workDir, filepath.FromSlash(a.Path()))
		rel, err := filepath.Rel(contextDir, landing)
		p := Placement{Artifact: a, Path: filepath.ToSlash(rel)}
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || rel == "." {
			outside = append(outside, p)
			continue
		}
		placed = append(placed, p)
	}
	return placed, outside
}

// Layer returns a state holding the placed artifacts, copied from the
// producer's result, at their paths. It is merged over the local context.
// label names the producing step in progress output.
func Layer(from llb.State, placed []Placement, label string) llb.State {
	st := llb.Scratch()
	for _, p := range placed {
		st = st.File(
			llb.Copy(from, p.Artifact.Source, "/"+p.Path, &llb.CopyInfo{
				CreateDestPath: true,
				FollowSymlinks: true,
			}),
			llb.WithCustomName(fmt.Sprintf("artifact %s from %s → %s", p.Artifact.Source, label, path.Clean(p.Path))),
		)
	}
	return st
}
