package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// childPath joins name, which comes from input (a step's label), to root:
// the one gate every folder or file name weld derives from input passes
// before use. It refuses an empty, absolute, "." or ".." name, one with a
// separator, and one that is a symlink leading out of root, so the result
// is always root's direct child.
func childPath(root, name string) (string, error) {
	if name == "" || name == "." || name == ".." || filepath.IsAbs(name) ||
		strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: %q cannot name a file in %s: want a plain name, no separator, . or ..", ErrOutput, name, root)
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
