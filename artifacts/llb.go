package artifacts

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/client/llb"
)

// Context is a step's build context: its local files with the artifact
// layers of the steps it needs merged over them, in order; with no layers
// it is the local files alone. label names the step in progress output.
func Context(local llb.State, layers []llb.State, label string) llb.State {
	if len(layers) == 0 {
		return local
	}
	return llb.Merge(append([]llb.State{local}, layers...),
		llb.WithCustomName(fmt.Sprintf("[%s] build context with artifacts", label)))
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
