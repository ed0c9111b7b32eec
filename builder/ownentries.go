package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"

	"github.com/weld-build/weld/dag"
)

// weld keeps entries of its own in every output folder (its staging folder
// and its lock; in a store also the blobs, the index and the layout file),
// and by default keeps its store in the project, <work dir>/.weld/images.
// A project folder is input: a symlink planted at one of those names would
// make weld create, move or lock files wherever it points. So none of them
// may be a symlink: the run is refused (ErrOutput, before anything builds)
// and each is checked again where weld writes it.

// ownNames are weld's entries in every OCI or store output folder.
var ownNames = []string{stagingDir, lockName}

// storeNames are weld's further entries in a store (OutputStore).
var storeNames = []string{"blobs", "blobs/sha256", "index.json", "oci-layout"}

// ownEntry returns dest/name (name is weld's own, "/"-separated) after
// checking that no element of it below dest is a symlink; what does not
// exist yet is weld's to create.
func ownEntry(dest, name string) (string, error) {
	p := dest
	for _, el := range strings.Split(name, "/") {
		p = filepath.Join(p, el)
		fi, err := os.Lstat(p)
		if err != nil {
			break
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return "", fmt.Errorf("%w: %s is a symlink: weld keeps its own %s there and never writes through a link in its place; remove it", ErrOutput, p, name)
		}
	}
	return filepath.Join(dest, name), nil
}

// checkOwnEntries refuses, before anything builds, an output folder whose
// weld entries are symlinks, or where a published step's folder or tar is
// a symlink that leads out (commitOne checks it again).
func (r *run) checkOwnEntries() error {
	for _, o := range r.o.outputs {
		if o.Type != OutputOCI && o.Type != OutputStore {
			continue
		}
		names := ownNames
		if o.Type == OutputStore {
			names = append(append([]string{}, ownNames...), storeNames...)
		}
		for _, n := range names {
			if _, err := ownEntry(o.Dest, n); err != nil {
				return err
			}
		}
		for _, s := range r.steps {
			if _, err := childPath(o.Dest, outputFile(o, s)); o.Type == OutputOCI && r.publish[s.Label] && err != nil {
				return fmt.Errorf("step %q: %w", s.Label, err)
			}
		}
	}
	return nil
}

// newLock is the lock of an output folder: never a symlink, and opened
// without following one (where the system can), so a link planted after
// the check creates nothing where it points.
func newLock(dest string) (*flock.Flock, error) {
	p, err := ownEntry(dest, lockName)
	if err != nil {
		return nil, err
	}
	return flock.New(p, flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow)), nil
}

// DefaultStore is the default image store of a work dir,
// <workDir>/.weld/images. It is derived from the project folder, which is
// input: .weld and images may be symlinks only to folders inside the work
// dir (the error wraps ErrOutput).
func DefaultStore(workDir string) (string, error) {
	state, err := childPath(workDir, dag.StateDir)
	if err != nil {
		return "", err
	}
	return childPath(state, "images")
}
