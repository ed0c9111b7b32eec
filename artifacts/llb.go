package artifacts

import (
	"fmt"
	"path"
	"strings"

	"github.com/moby/buildkit/client/llb"
)

// From is the artifacts of one step placed in a dependent's context.
type From struct {
	// State is the producing step's result.
	State llb.State
	// Placed are its artifacts, where they land (Place).
	Placed []Placement
	// Label names the producing step in progress output.
	Label string
}

// Context is a step's build context: its local files with the artifacts of
// the steps it needs copied in, in order, each step's in one file op on top
// of the local files (no intermediate layer, no merge: the fewest ops on the
// critical path); with none it is the local files alone.
func Context(local llb.State, froms []From) llb.State {
	st := local
	for _, f := range froms {
		if len(f.Placed) == 0 {
			continue
		}
		var fa *llb.FileAction
		var dests []string
		for _, p := range f.Placed {
			cp := llb.Copy(f.State, p.Artifact.Source, "/"+p.Path, &llb.CopyInfo{CreateDestPath: true, FollowSymlinks: true})
			if fa == nil {
				fa = cp
			} else {
				fa = fa.Copy(f.State, p.Artifact.Source, "/"+p.Path, &llb.CopyInfo{CreateDestPath: true, FollowSymlinks: true})
			}
			dests = append(dests, p.Artifact.Source+" → "+path.Clean(p.Path))
		}
		st = st.File(fa, llb.WithCustomName(fmt.Sprintf("artifacts from %s: %s", f.Label, strings.Join(dests, ", "))))
	}
	return st
}

// Image is what a cleanup runs in: the image config's environment
// ("K=V" entries) and working directory.
type Image struct {
	Env        []string
	WorkingDir string
}

// Cleanup runs each command (through /bin/sh -c, in img's environment and
// working directory) on built, then squashes every layer above base into
// one. Merge(base, Diff(base, cleaned)) alone would keep the old layers,
// since BuildKit reuses the layers between an ancestor and its descendant,
// and a removed file would stay in a lower layer; so the cleaned filesystem
// is first flattened into scratch, then diffed against base.
func Cleanup(built, base llb.State, commands []string, img Image, label string) llb.State {
	st := built
	for _, c := range commands {
		opts := []llb.RunOption{
			llb.Args([]string{"/bin/sh", "-c", c}),
			llb.WithCustomName(fmt.Sprintf("[%s] cleanup: %s", label, c)),
		}
		for _, e := range img.Env {
			k, v, _ := strings.Cut(e, "=")
			opts = append(opts, llb.AddEnv(k, v))
		}
		if img.WorkingDir != "" {
			opts = append(opts, llb.Dir(img.WorkingDir))
		}
		st = st.Run(opts...).Root()
	}
	flat := llb.Scratch().File(
		llb.Copy(st, "/", "/", &llb.CopyInfo{CopyDirContentsOnly: true}),
		llb.WithCustomName(fmt.Sprintf("[%s] cleanup: flatten", label)),
	)
	return llb.Merge([]llb.State{base, llb.Diff(base, flat)},
		llb.WithCustomName(fmt.Sprintf("[%s] cleanup: squash onto the base", label)))
}
