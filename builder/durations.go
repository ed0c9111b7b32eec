package builder

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/atomicfile"
	"github.com/weld-build/weld/internal/boundedio"
)

// durationsFile holds, per step label, the seconds its last build that did
// work took: what placement and --jobs rank by (fleet.go). A step's
// duration is its own work (tracker.workFor: how long its vertices that
// the cache did not answer ran, each from when it got a slot of the
// daemon), not its wall time, which on one daemon is mostly waiting for
// the others; a step the cache answered whole keeps its earlier duration.
// Every run that succeeded writes it, on one daemon or on a pool; a failed
// run writes nothing: it stopped early.
const durationsFile = dag.StateDir + "/durations.json"

// maxDurations bounds the file: past it, the labels this run did not build
// are dropped (a build file's renamed steps never pile up).
const maxDurations = 2048

// durationsAt is where a run keeps its durations: the file name
// ("/"-separated) under dir, none of whose elements may be a symlink.
type durationsAt struct{ dir, name string }

// WithDurations keeps the step durations (what placement and --jobs rank
// by, durationsFile) in the file name ("/"-separated, relative) under dir
// instead of <work dir>/.weld/durations.json: a service whose work folders
// do not outlive a build keeps them there (weld serve: per tenant and
// build file, in its state folder). No element of name below dir may be a
// symlink: weld then neither reads nor writes it.
func WithDurations(dir, name string) Option {
	return func(o *options) error {
		if dir == "" || name == "" || filepath.IsAbs(name) || !filepath.IsLocal(filepath.FromSlash(name)) {
			return fmt.Errorf("%w: WithDurations(%q, %q): give a folder and a relative file name inside it", ErrInvalid, dir, name)
		}
		o.durations = &durationsAt{dir: dir, name: name}
		return nil
	}
}

// durationsOf is where the run of plan p keeps its durations.
func (o *options) durationsOf(p *dag.Plan) durationsAt {
	if o.durations != nil {
		return *o.durations
	}
	return durationsAt{dir: p.Build().WorkDir, name: durationsFile}
}

// LoadDurations reads the step durations recorded in workDir by earlier
// runs; an absent or unreadable file is no durations (every
// step then counts 1 s).
func LoadDurations(workDir string) map[string]float64 {
	return durationsAt{dir: workDir, name: durationsFile}.load()
}

// load reads the durations; an absent, unreadable or linked file is none.
func (d durationsAt) load() map[string]float64 {
	out := map[string]float64{}
	p, err := ownEntry(d.dir, d.name)
	if err != nil {
		return out
	}
	data, err := boundedio.ReadFile(p, 4<<20)
	if err != nil {
		return out
	}
	var in map[string]float64
	if json.Unmarshal(data, &in) != nil {
		return out
	}
	for k, v := range in {
		if v > 0 && v < 1e6 {
			out[k] = v
		}
	}
	return out
}

// saveDurations records the work of the steps that built (work, by
// label), over the earlier durations, atomically.
func saveDurations(at durationsAt, res *Result, work map[string]time.Duration) error {
	if res == nil {
		return nil
	}
	all := at.load()
	before := maps.Clone(all)
	ran := map[string]bool{}
	for _, s := range res.Steps {
		if w := work[s.Label]; s.Status == StatusDone && w > 0 {
			all[s.Label] = w.Seconds()
			ran[s.Label] = true
		}
	}
	if len(all) > maxDurations {
		for _, l := range slices.Sorted(maps.Keys(all)) {
			if len(all) <= maxDurations {
				break
			}
			if !ran[l] {
				delete(all, l)
			}
		}
	}
	if maps.Equal(all, before) {
		return nil
	}
	p, err := ownEntry(at.dir, at.name) // every element, its folders too
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if p, err = ownEntry(at.dir, at.name); err != nil { // the folders it made
		return err
	}
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(p, append(data, '\n'), 0o644)
}

// workDone is the work of each step that ran, by label.
func (r *run) workDone() map[string]time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.work)
}
