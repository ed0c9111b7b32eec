package builder

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/atomicfile"
	"github.com/weld-build/weld/internal/boundedio"
)

// durationsFile holds, per step label, the seconds its last build took in
// a run that succeeded, on one daemon or on a pool: what placement and
// --jobs rank by (fleet.go). A failed run writes nothing: it stopped early,
// and its steps' times do not say how long a whole build takes them.
const durationsFile = dag.StateDir + "/durations.json"

// maxDurations bounds the file: past it, the labels this run did not build
// are dropped (a build file's renamed steps never pile up).
const maxDurations = 2048

// LoadDurations reads the step durations recorded in workDir by earlier
// runs; an absent or unreadable file is no durations (every
// step then counts 1 s).
func LoadDurations(workDir string) map[string]float64 {
	out := map[string]float64{}
	p, err := ownEntry(workDir, durationsFile)
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

// saveDurations records the durations of the steps that built, over the
// earlier ones, atomically.
func saveDurations(workDir string, res *Result) error {
	if res == nil {
		return nil
	}
	all := LoadDurations(workDir)
	before := maps.Clone(all)
	ran := map[string]bool{}
	for _, s := range res.Steps {
		if s.Status == StatusDone && s.Duration > 0 {
			all[s.Label] = time.Duration(s.Duration).Seconds()
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
	p, err := ownEntry(workDir, durationsFile)
	if err != nil {
		return err
	}
	if _, err := ownEntry(workDir, dag.StateDir); err != nil {
		return err
	}
	if err := os.MkdirAll(workDir+"/"+dag.StateDir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(p, append(data, '\n'), 0o644)
}
