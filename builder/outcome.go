package builder

import (
	"time"

	"github.com/moby/buildkit/exporter/containerimage/exptypes"

	"github.com/weld-build/weld/dag"
)

// outcome is what one step produced, as a value: its session returns it,
// and finish alone writes the step's result from it.
type outcome struct {
	err    error
	clock  *clock // its phases and durations; nil when it never started
	folded bool   // it ended in its host's session (fold.go)
	// vertices and cached count the session's vertices that are the step's.
	vertices, cached int
	// hosted are the vertex counts of the steps its session hosted.
	hosted map[string][2]int
	// work is, for the step and those it hosted, how long their uncached
	// vertices ran (tracker.workFor): what durations.go records.
	work map[string]time.Duration
	// exporter is a published step's exporter response; outputs say where
	// it went (also, in part, when publishing failed).
	exporter map[string]string
	outputs  []string
	// unchanged: every output already held the published digest.
	unchanged bool
	// gates are the results of the gates run on its image.
	gates []GateResult
	// daemon is the redacted address of the daemon it ran on.
	daemon string
	// platforms are the manifests of a multi-platform step's index.
	platforms []PlatformImage
}

// failed is the outcome of a step that stopped with err.
func failed(c *clock, err error) outcome { return outcome{err: err, clock: c} }

// record writes the step's result from its outcome.
func (r *run) record(s *dag.Step, o outcome, status Status, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.results[s.Label]
	res.Status = status
	if err != nil {
		res.err, res.Error = err, err.Error()
	}
	if o.clock != nil {
		res.Duration = Duration(o.clock.duration())
		res.Phases = o.clock.phases
	}
	res.folded = o.folded
	if !o.folded {
		res.Vertices, res.CachedVertices = o.vertices, o.cached
	}
	for label, w := range o.work {
		r.work[label] = w
	}
	for label, n := range o.hosted {
		if h := r.results[label]; h.folded {
			h.Vertices, h.CachedVertices = n[0], n[1]
		}
	}
	if o.exporter != nil {
		res.ExporterResponse = o.exporter
		res.Digest = o.exporter[exptypes.ExporterImageDigestKey]
		res.ConfigDigest = o.exporter[exptypes.ExporterImageConfigDigestKey]
	}
	if o.outputs != nil {
		res.Outputs = o.outputs
	}
	res.Unchanged = o.unchanged
	res.Gates = o.gates
	if o.daemon != "" {
		res.Daemon = o.daemon
	}
	res.Platforms = o.platforms
}
