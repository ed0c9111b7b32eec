package builder

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/moby/buildkit/exporter/containerimage/exptypes"
)

// ErrNoDocker says that loading into Docker was asked for but no Docker
// engine answers; it is found before anything builds.
var ErrNoDocker = errors.New("no Docker engine to load into")

// ErrOutput marks outputs that cannot work together, found before anything
// builds.
var ErrOutput = errors.New("bad output")

// ErrDependencyFailed marks a step that did not build because a step it
// needs failed; the failure is reported once, against that step.
var ErrDependencyFailed = errors.New("dependency failed")

// ErrNotPublished marks a step whose publishing was held back because another
// step, command or test failed: weld publishes all or nothing.
var ErrNotPublished = errors.New("not published: another step failed")

// Status is how a step ended.
type Status string

// The statuses of a step.
const (
	StatusDone             Status = "done"
	StatusFailed           Status = "failed"
	StatusDependencyFailed Status = "dependency failed"
	StatusCanceled         Status = "canceled"
	// StatusHeldBack: built and verified, but not published because
	// another step, command, test or check failed.
	StatusHeldBack Status = "built, not published"
	// StatusPublishFailed: built and verified, but not published because
	// publishing failed (this step's or, for a held-back one, another's).
	StatusPublishFailed Status = "publish failed"
)

// EventType says what happened to a step.
type EventType string

// The events a run reports.
const (
	EventStarted   EventType = "started"
	EventBuilt     EventType = "built"
	EventPublished EventType = "published"
	EventFailed    EventType = "failed"
	EventWarning   EventType = "warning"
	// EventInfo is a notice from before the build (the policy replaced a
	// base); Step is empty for one about the whole run.
	EventInfo EventType = "info"
)

// Event is one thing that happened to a step, for the caller's display or log.
type Event struct {
	// Time is when it happened.
	Time time.Time
	// Step is the step's label.
	Step string
	// Type says what happened.
	Type EventType
	// Message is a human-readable detail (a digest for EventPublished).
	Message string
	// Err is the failure, for EventFailed.
	Err error
	// Rule and Source are a warning's check ID and position (a Dockerfile
	// check's rule and Dockerfile FILE:LINE:COL), when it has them.
	Rule, Source string
}

// Result is the outcome of a run, per step in build order.
type Result struct {
	// Steps are the selected steps' outcomes, in build order.
	Steps []*StepResult
}

// Step returns the result of the step with that label, or nil.
func (r *Result) Step(label string) *StepResult {
	for _, s := range r.Steps {
		if s.Label == label {
			return s
		}
	}
	return nil
}

// StepResult is what one step produced.
type StepResult struct {
	// Label is the step's key under steps: (the key of the metadata file).
	Label string `json:"-"`
	// ImageName is the step's name:, the name it is exported under.
	ImageName string `json:"image.name,omitempty"`
	// Digest is the exported image's manifest digest.
	Digest string `json:"containerimage.digest,omitempty"`
	// ConfigDigest is the exported image's config digest.
	ConfigDigest string `json:"containerimage.config.digest,omitempty"`
	// Status says how the step ended.
	Status Status `json:"status"`
	// Error is the failure message, when the step failed.
	Error string `json:"error,omitempty"`
	// Source is the Dockerfile FILE:LINE of a failing instruction.
	Source string `json:"source,omitempty"`
	// Outputs are where the image was written or pushed.
	Outputs []string `json:"outputs"`
	// Unchanged says that every output that can tell (not the docker
	// engine, not an OCI tar) already held the image's digest under its
	// name before it was published: a rebuild that changed nothing.
	Unchanged bool `json:"unchanged,omitempty"`
	// Duration is the wall time of the step's build and checks (not the
	// wait for the other steps before publishing, nor the publish).
	Duration Duration `json:"duration"`
	// Vertices and CachedVertices count the BuildKit vertices the session
	// ran and the ones answered from the cache.
	Vertices       int `json:"vertices"`
	CachedVertices int `json:"cached_vertices"`
	// Phases say where the step's time went, in order (see Phase).
	Phases []Phase `json:"phases,omitempty"`
	// Artifacts are the paths, relative to the work dir, of the artifacts
	// the step hands on.
	Artifacts []string `json:"artifacts"`
	// ExporterResponse is BuildKit's exporter response. In JSON its keys
	// stand at the top level, as in buildx's metadata file, with
	// containerimage.descriptor decoded.
	ExporterResponse map[string]string `json:"-"`
	// Bases are the step's bases and the digests they were built from,
	// with a policy (WithPolicy); nil without one.
	Bases []BasePin `json:"weld.bases,omitempty"`
	// Gates are the policy gates run on the step's image, in order (the
	// first refusal ends them).
	Gates []GateResult `json:"gates,omitempty"`
	// Daemon is the BuildKit daemon the step ran on, as RedactAddr shows
	// it; "" when the Solver does not say.
	Daemon string `json:"daemon,omitempty"`
	// Platforms are a multi-platform step's image manifests, one per
	// platform (os/arch[/variant]) of its index, in the index's order; nil
	// for a step built for the daemon's platform only.
	Platforms []PlatformImage `json:"weld.platforms,omitempty"`

	err    error
	folded bool // the step ended in its host's session (fold.go)
}

// Err returns the step's error, or nil.
func (s *StepResult) Err() error { return s.err }

// GateResult is how one policy gate judged a step's image.
type GateResult struct {
	// Name is the gate's command.
	Name string `json:"name"`
	// Source is where the gate is defined (weld.policy.yml:4:5).
	Source string `json:"source,omitempty"`
	// Passed says the gate let the image through.
	Passed bool `json:"passed"`
	// Message is why it refused (its error and last output line).
	Message string `json:"message,omitempty"`
	// Duration is how long it ran.
	Duration Duration `json:"duration"`
}

// Duration is a time.Duration that marshals to JSON as seconds.
type Duration time.Duration

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(d).Seconds(), 'f', 3, 64), nil
}

// MarshalJSON writes the step in buildx's metadata shape: the exporter
// response's keys at the top level (containerimage.descriptor decoded from
// base64), then weld's own fields.
func (s *StepResult) MarshalJSON() ([]byte, error) {
	type plain StepResult
	own, err := json.Marshal((*plain)(s))
	if err != nil {
		return nil, err
	}
	if len(s.ExporterResponse) == 0 {
		return own, nil
	}
	m := map[string]json.RawMessage{}
	for k, v := range s.ExporterResponse {
		if k == exptypes.ExporterImageDescriptorKey {
			if dt, err := base64.StdEncoding.DecodeString(v); err == nil && json.Valid(dt) {
				m[k] = dt
				continue
			}
		}
		if m[k], err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(own, &fields); err != nil {
		return nil, err
	}
	for k, v := range fields {
		m[k] = v
	}
	return json.Marshal(m)
}
