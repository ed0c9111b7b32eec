package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"
)

// childPath joins name, which comes from input (a step's label), to root:
// the one gate every folder or file name weld derives from input passes
// before use. It refuses an empty, absolute, "." or ".." name, one with a
// separator, and one that is a symlink leading out of root, so the result
// is always root's direct child.
func childPath(root, name string) (string, error) {
	if err := plainName(name); err != nil {
		return "", fmt.Errorf("%w (in %s)", err, root)
	}
	p := filepath.Join(root, name)
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return p, nil
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", root, err)
	}
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("%w: %s is a symlink that cannot be resolved (%v): weld will not write through it", ErrOutput, p, err)
	}
	if rel, err := filepath.Rel(realRoot, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %s is a symlink to %s, outside %s: weld will not write through it", ErrOutput, p, target, root)
	}
	return p, nil
}

// plainName refuses a name that is not one plain path element.
func plainName(name string) error {
	if name == "" || name == "." || name == ".." || filepath.IsAbs(name) ||
		strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) {
		return fmt.Errorf("%w: %q cannot name a file or folder: want a plain name, no separator, . or ..", ErrOutput, name)
	}
	return nil
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
		if err := plainName(s.Label); err != nil {
			return fmt.Errorf("step %q: %w", s.Label, err)
		}
	}
	return nil
}
