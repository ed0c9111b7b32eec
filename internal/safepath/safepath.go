// Package safepath is weld's one gate for turning a name that comes from
// input (a step label, an image's folder) into a path under a folder:
// Join refuses every name that could leave the folder, literally or
// through a symlink that already exists.
package safepath

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnsafe is wrapped by every error Join returns.
var ErrUnsafe = errors.New("unsafe path")

// Join returns filepath.Join(root, name) after proving that the result is
// a single entry directly inside root:
//
//   - name is one path element: not empty, not "." or "..", holding no
//     separator (neither / nor \), no NUL, and not absolute or a volume;
//   - when root/name exists and is a symlink (or root itself leads through
//     symlinks), its real path stays inside root's real path; a symlink that
//     leads nowhere is refused too, since writing through it would create
//     its target wherever it points.
//
// root may be relative and need not exist (then nothing below it does
// either, and only the name is checked). The check holds when Join returns:
// a caller that writes must still not follow a symlink someone creates
// afterwards (os.Root, or creating with O_EXCL, closes that window).
func Join(root, name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("%w: %q %v", ErrUnsafe, name, err)
	}
	p := filepath.Join(root, name)
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return p, nil // absent, or a plain entry of root
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("%w: resolving %s: %v", ErrUnsafe, root, err)
	}
	realRoot, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("%w: resolving %s: %v", ErrUnsafe, root, err)
	}
	target, err := filepath.EvalSymlinks(filepath.Join(abs, name))
	if err != nil {
		return "", fmt.Errorf("%w: %s is a symlink that leads nowhere (%v); remove it", ErrUnsafe, p, err)
	}
	if !inside(realRoot, target) {
		return "", fmt.Errorf("%w: %s is a symlink to %s, outside %s; remove it", ErrUnsafe, p, target, root)
	}
	return p, nil
}

// Name refuses a name that is not one plain path element (the first
// half of Join's check, for a name that is not joined yet).
func Name(name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("%w: %q %v", ErrUnsafe, name, err)
	}
	return nil
}

// checkName says why name is not one plain path element, or returns nil.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("is empty")
	case name == "." || name == "..":
		return errors.New("names a folder itself, not an entry in it")
	case strings.ContainsAny(name, `/\`):
		return errors.New("holds a path separator; give a single name")
	case strings.ContainsRune(name, 0):
		return errors.New("holds a NUL byte")
	case filepath.IsAbs(name) || filepath.VolumeName(name) != "":
		return errors.New("is absolute")
	}
	return nil
}

// inside reports whether p is root or below it; both are clean absolute
// paths, as EvalSymlinks returns them for absolute input.
func inside(root, p string) bool {
	if p == root || root == string(filepath.Separator) {
		return true
	}
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
