package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

// Every run exports into a staging folder of its own, made on the same
// filesystem as the output (<dest>/.weld-staging/<run>/), and only after the
// publish gate commits what it staged (export_layout.go, export_store.go), under an exclusive lock on
// <dest>/.weld.lock held for the commit only. So concurrent runs on one
// output never write the same file, a reader never sees half an image, and
// a failed or interrupted run removes its own staging folder and nothing
// else.
const (
	stagingDir = ".weld-staging"
	lockName   = ".weld.lock"
)

// staging is one run's staging folders, one per output folder.
type staging struct {
	mu      sync.Mutex
	dirs    map[string]string      // output folder → this run's staging folder
	parents []string               // the .weld-staging folders this run created
	locks   []*flock.Flock         // held on this run's staging folders while it lives (stagereclaim.go)
	temp    string                 // the private folder of images no output folder takes
	commits map[string]*sync.Mutex // output folder → held by this run's commit there
}

// serialize takes this run's turn to commit into dest: the steps of a run
// released together by the publish gate then take the output's lock one
// after the other at once, rather than polling it against each other.
func (st *staging) serialize(dest string) func() {
	st.mu.Lock()
	if st.commits == nil {
		st.commits = map[string]*sync.Mutex{}
	}
	m, ok := st.commits[dest]
	if !ok {
		m = &sync.Mutex{}
		st.commits[dest] = m
	}
	st.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func newStaging() *staging { return &staging{dirs: map[string]string{}} }

// private is this run's private staging folder, for the images of a run
// whose outputs have no folder of their own (registry, docker, tars): made
// on first use, removed with the run.
func (st *staging) private() (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.temp != "" {
		return st.temp, nil
	}
	d, err := os.MkdirTemp("", "weld-staging-")
	if err != nil {
		return "", fmt.Errorf("creating a staging folder: %w", err)
	}
	st.temp = d
	return d, nil
}

// dir is this run's staging folder under dest, made on first use.
func (st *staging) dir(dest string) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if d, ok := st.dirs[dest]; ok {
		return d, nil
	}
	parent, err := ownEntry(dest, stagingDir)
	if err != nil {
		return "", err
	}
	// Another run may remove the (then empty) parent between the two calls.
	for range 3 {
		if _, serr := os.Stat(parent); errors.Is(serr, os.ErrNotExist) {
			st.parents = append(st.parents, parent)
		}
		if err = os.MkdirAll(parent, 0o755); err != nil {
			return "", fmt.Errorf("creating the output folder %s: %w", parent, err)
		}
		var d string
		if d, err = os.MkdirTemp(parent, "run-"); err == nil {
			st.dirs[dest] = d
			return d, st.claim(parent, d)
		}
	}
	return "", fmt.Errorf("creating a staging folder in %s: %w", parent, err)
}

// removeAll removes this run's staging folders: what is left in them was
// never committed, or is what a commit replaced. A .weld-staging folder
// this run created goes too, when no other run is using it.
func (st *staging) removeAll() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for dest, d := range st.dirs {
		_ = os.RemoveAll(d)
		delete(st.dirs, dest)
	}
	if st.temp != "" {
		_ = os.RemoveAll(st.temp)
		st.temp = ""
	}
	st.unlockAll()
	for _, p := range st.parents {
		_ = os.Remove(p) // only if empty: another run's folder stays
	}
	st.parents = nil
}

// outputFile is the name of a step's image in an OCI output folder.
func outputFile(o Output, s *dag.Step) string {
	if o.Tar {
		return s.Label + ".tar"
	}
	return s.Label
}

// stagedPath is where this run's exporter writes the step's image for o.
func (r *run) stagedPath(o Output, s *dag.Step) (string, error) {
	dir, err := r.stage.dir(o.Dest)
	if err != nil {
		return "", err
	}
	return childPath(dir, outputFile(o, s))
}

// lockOutput takes the exclusive lock of an output folder, waiting for
// other runs' commits; the returned function releases it. The lock file
// stays: removing it would let two runs hold "the" lock at once.
func lockOutput(ctx context.Context, dest string) (func(), error) {
	l, err := newLock(dest)
	if err != nil {
		return nil, err
	}
	ok, err := l.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !ok {
		if err == nil {
			err = context.Cause(ctx)
		}
		return nil, fmt.Errorf("locking %s: %w", l.Path(), err)
	}
	return func() { _ = l.Unlock() }, nil
}

// swapInto puts the staged layout folder at final. A folder already there
// must be an OCI layout (or empty): it is exchanged with the staged one in
// one step where the system can (so final never goes missing), else moved
// aside first; either way it ends in this run's staging folder, which is
// removed with the run.
func swapInto(staged, final string) error {
	fi, err := os.Lstat(final)
	if errors.Is(err, os.ErrNotExist) {
		return renameInto(staged, final)
	}
	if err != nil {
		return fmt.Errorf("placing %s: %w", final, err)
	}
	if !fi.IsDir() || !replaceable(final) {
		return fmt.Errorf("%s exists and is not an OCI layout: weld replaces only OCI layouts; move it away", final)
	}
	// The old layout ends in this run's staging folder; removing it is
	// tidying, retried with the run's staging folder, not publishing.
	if err := exchange(staged, final); err == nil {
		_ = os.RemoveAll(staged)
		return nil
	}
	trash, err := os.MkdirTemp(filepath.Dir(staged), ".replaced-")
	if err != nil {
		return fmt.Errorf("placing %s: %w", final, err)
	}
	old := filepath.Join(trash, "old")
	if err := os.Rename(final, old); err != nil {
		return fmt.Errorf("moving the old %s aside: %w", final, err)
	}
	if err := os.Rename(staged, final); err != nil {
		_ = os.Rename(old, final) // put the old one back
		return fmt.Errorf("placing %s: %w", final, err)
	}
	_ = os.RemoveAll(trash)
	return nil
}

func renameInto(staged, final string) error {
	if err := os.Rename(staged, final); err != nil {
		return fmt.Errorf("placing %s: %w", final, err)
	}
	return nil
}

// replaceable says whether dir is an OCI layout (or empty), so that a new
// layout may take its place.
func replaceable(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, ocispecs.ImageLayoutFile)); err == nil {
		return true
	}
	ents, err := os.ReadDir(dir)
	return err == nil && len(ents) == 0
}
