package builder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gofrs/flock"
)

// TestStagingReclaimsDeadRuns: making a staging folder removes the folders
// of runs that are gone (their lock is free), and leaves a live run's, a
// folder without a lock file and a symlink alone.
func TestStagingReclaimsDeadRuns(t *testing.T) {
	dest := t.TempDir()
	parent := filepath.Join(dest, stagingDir)
	dead := filepath.Join(parent, "run-dead")
	live := filepath.Join(parent, "run-live")
	bare := filepath.Join(parent, "run-bare")
	victim := t.TempDir()
	for _, d := range []string{dead, live, bare} {
		mkdir(t, filepath.Join(d, "app", "blobs"))
	}
	for _, d := range []string{dead, live} {
		if err := os.WriteFile(filepath.Join(d, runLockName), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	link(t, victim, filepath.Join(parent, "run-link"))
	if err := os.WriteFile(filepath.Join(victim, runLockName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	held := flock.New(filepath.Join(live, runLockName))
	if ok, err := held.TryLock(); !ok || err != nil {
		t.Fatalf("locking the live run's lock: %v %v", ok, err)
	}
	defer held.Close()

	st := newStaging()
	d, err := st.dir(dest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead run's staging folder is still there (%v)", err)
	}
	for _, p := range []string{live, bare, filepath.Join(victim, runLockName), d, filepath.Join(d, runLockName)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s is gone: %v", p, err)
		}
	}
	// Another run sees this one live, and reclaims it once it is done.
	other := newStaging()
	if _, err := other.dir(dest); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d); err != nil {
		t.Errorf("a second run removed the first one's live staging folder: %v", err)
	}
	st.unlockAll() // as if this run died without removing its folder
	third := newStaging()
	if _, err := third.dir(dest); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d); !os.IsNotExist(err) {
		t.Errorf("the staging folder of a run that is gone was not reclaimed (%v)", err)
	}
	for _, s := range []*staging{other, third} {
		s.removeAll()
	}
}
