package builder

import (
	"fmt"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/internal/safepath"
)

// childPath joins name, which comes from input (a step's label), to root
// through safepath.Join, the one gate every file or folder name weld
// derives from input passes: the result is always root's direct child.
// Its errors wrap ErrOutput.
func childPath(root, name string) (string, error) {
	p, err := safepath.Join(root, name)
	if err != nil {
		return "", fmt.Errorf("%w: %w (in %s)", ErrOutput, err, root)
	}
	return p, nil
}

// checkLabels refuses, before anything builds, a step label that cannot
// name a folder, when the run derives folders from labels (OCI outputs,
// local cache folders).
func (r *run) checkLabels() error {
	derives := false
	for _, o := range r.o.outputs {
		derives = derives || o.Type == OutputOCI || o.Type == OutputStore
	}
	for _, e := range append(append([]client.CacheOptionsEntry{}, r.o.cacheTo...), r.o.cacheFrom...) {
		derives = derives || e.Type == "local"
	}
	if !derives {
		return nil
	}
	for _, s := range r.steps {
		if err := safepath.Name(s.Label); err != nil {
			return fmt.Errorf("step %q: %w: %w", s.Label, ErrOutput, err)
		}
	}
	return nil
}
