// Package cachedir opens the private folders weld keeps its caches in
// (the rewritten layers, the leak scan's verdicts): made mode 0700 when
// missing, refused when the folder or its parent is a symlink, or when the
// folder is not the user's own or others may write it, and then reached
// only through an os.Root; and a Pruner that throttles how often such a
// folder is pruned.
package cachedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrUnsafe marks a cache folder that Open refuses: a symlink, not a
// folder, not the user's own, or writable by others.
var ErrUnsafe = errors.New("unsafe cache folder")

// Open opens the cache folder dir, making it (mode 0700) when missing. It
// refuses (ErrUnsafe) a dir or parent folder that is a symlink, and a dir
// that is not the user's own or that others may write.
func Open(dir string) (*os.Root, error) {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, err
	}
	if err := notSymlink(parent); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	if err := notSymlink(dir); err != nil {
		return nil, err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if err := safeDir(dir, fi); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if rfi, err := root.Stat("."); err != nil || !os.SameFile(fi, rfi) {
		root.Close()
		return nil, fmt.Errorf("%w: %s changed while it was opened", ErrUnsafe, dir)
	}
	return root, nil
}

// OpenFile opens the regular file name of root for reading, never through
// a symlink.
func OpenFile(root *os.Root, name string) (*os.File, error) {
	fi, err := root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrUnsafe, name)
	}
	return root.OpenFile(name, os.O_RDONLY|NoFollow, 0)
}

func notSymlink(p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: %s is a symlink; remove it", ErrUnsafe, p)
	}
	return nil
}

// safeDir refuses a cache folder that is not a folder of the user's own,
// closed to others' writes.
func safeDir(dir string, fi fs.FileInfo) error {
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a folder", ErrUnsafe, dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w: others may write %s (mode %v)", ErrUnsafe, dir, fi.Mode().Perm())
	}
	if uid, other := ownedByOther(fi); other {
		return fmt.Errorf("%w: %s belongs to user %d, not to this one", ErrUnsafe, dir, uid)
	}
	return nil
}
