package builder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
)

// A run killed outright (SIGKILL, a lost machine) cannot remove its staging
// folder. So each run holds a lock on a file in its staging folder for as
// long as it lives, and a run that makes its own staging folder removes the
// folders beside it whose lock it can take: their run is gone, since the
// system drops a dead process's locks. A folder without that lock file
// (not weld's, or a run killed before it took its lock) is left alone.

// runLockName is the lock a live run holds in its staging folder.
const runLockName = ".run.lock"

// claim reclaims the staging folders of dead runs in parent, then locks d
// as this run's. The lock file is locked under a temporary name and only
// then renamed into place, so no other run ever sees it unlocked while this
// run lives. The caller holds st.mu.
func (st *staging) claim(parent, d string) error {
	reclaim(parent)
	tmp := filepath.Join(d, runLockName+".new")
	l := flock.New(tmp, flock.SetFlag(os.O_CREATE|os.O_RDONLY|noFollow))
	ok, err := l.TryLock()
	if err == nil && !ok {
		err = fmt.Errorf("%s is locked by another process", tmp)
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(d, runLockName))
	}
	if err != nil {
		_ = l.Close()
		return fmt.Errorf("locking the staging folder %s: %w", d, err)
	}
	st.locks = append(st.locks, l)
	return nil
}

// reclaim removes the staging folders in parent whose run is gone.
func reclaim(parent string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "run-") {
			continue // a symlink is never a folder of weld's
		}
		d := filepath.Join(parent, e.Name())
		l := flock.New(filepath.Join(d, runLockName), flock.SetFlag(os.O_RDONLY|noFollow))
		if ok, err := l.TryLock(); err != nil || !ok {
			continue // a live run's, or no lock file at all
		}
		_ = os.RemoveAll(d)
		_ = l.Close()
	}
}

// unlockAll releases this run's staging locks; the caller holds st.mu.
func (st *staging) unlockAll() {
	for _, l := range st.locks {
		_ = l.Close()
	}
	st.locks = nil
}
