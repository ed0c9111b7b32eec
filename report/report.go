package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Version is the version of the JSON document this package writes and
// reads. It changes only when a field changes meaning or goes away.
const Version = 1

// The build's statuses in Report.Status.
const (
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
	// StatusRunning is a report made while the build runs (WithRunning):
	// its steps so far.
	StatusRunning = "running"
)

// MaxJSON bounds the JSON document Read accepts: 64 MiB.
const MaxJSON = 64 << 20

// Report is a build, as the report shows it.
type Report struct {
	// Version is the document's version (Version).
	Version int `json:"version"`
	// File is the build file, as the user named it.
	File string `json:"file"`
	// Status is StatusSucceeded, StatusFailed or StatusInterrupted, or
	// StatusRunning for a report of a build that has not ended.
	Status string `json:"status"`
	// Error is what the build ended with, when it did not succeed.
	Error string `json:"error,omitempty"`
	// Start and End bound the build: its first phase's start, and the
	// last phase's end (or when the report was made, for a build that
	// stopped).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// WallSeconds is End - Start.
	WallSeconds float64 `json:"wall_seconds"`
	// CriticalPath are the labels of the chain of dependent steps whose
	// own build time (Step.Own) adds up to the most, in build order.
	CriticalPath []string `json:"critical_path"`
	// CriticalSeconds is that sum: the least wall time the build could
	// take with every step as long as it was this time.
	CriticalSeconds float64 `json:"critical_seconds"`
	// PublishSeconds is the time from the last step built (exported once
	// and checked) to the end: publishing.
	PublishSeconds float64 `json:"publish_seconds"`
	// Steps are the build's steps, in build order.
	Steps []Step `json:"steps"`
	// Edges are the dependencies between those steps.
	Edges []Edge `json:"edges"`
	// Findings are the policy's findings (base images, Dockerfile checks).
	Findings []Finding `json:"findings,omitempty"`
	// Gates are the results of the gates run on the images.
	Gates []GateResult `json:"gates,omitempty"`
}

// Step is one step of the build.
type Step struct {
	// Label is the step's key under steps:.
	Label string `json:"label"`
	// Image is the step's image name (name:), if any.
	Image string `json:"image,omitempty"`
	// Status is the builder's status of the step ("done", "failed"…), or
	// "not run".
	Status string `json:"status"`
	// Error is the step's failure.
	Error string `json:"error,omitempty"`
	// Source is the Dockerfile FILE:LINE of the failing instruction.
	Source string `json:"source,omitempty"`
	// SourceLine is that line's text.
	SourceLine string `json:"source_line,omitempty"`
	// Tail is the last lines of the failing instruction's output.
	Tail []string `json:"tail,omitempty"`
	// Digest is the published image's manifest digest.
	Digest string `json:"digest,omitempty"`
	// Platforms are a multi-platform step's manifests, one per platform
	// of its index (Digest); absent for a step of the daemon's platform.
	Platforms []PlatformImage `json:"platforms,omitempty"`
	// Outputs are where the image was written or pushed.
	Outputs []string `json:"outputs"`
	// Daemon is the BuildKit daemon the step ran on, when known.
	Daemon string `json:"daemon,omitempty"`
	// Seconds is the step's build and checks (builder's Duration).
	Seconds float64 `json:"seconds"`
	// Vertices and CachedVertices count the BuildKit vertices the step ran
	// and the ones the cache answered.
	Vertices       int `json:"vertices"`
	CachedVertices int `json:"cached_vertices"`
	// Phases say where the step's time went, in order.
	Phases []Phase `json:"phases"`
	// Own is the part of the step's build after the last of its
	// dependencies had built: what the step adds to a chain; nil when the
	// step did not build.
	Own *Span `json:"own,omitempty"`
	// Critical says the step is on the critical path.
	Critical bool `json:"critical"`
	// DependsOn are the labels of the steps it needs.
	DependsOn []string `json:"depends_on"`
}

// PlatformImage is one platform's image manifest of a step's index.
type PlatformImage struct {
	// Platform is os/arch[/variant].
	Platform string `json:"platform"`
	// Digest is its image manifest's digest.
	Digest string `json:"digest"`
	// Daemon is the daemon that built it, when a pool split the step's
	// platforms over several.
	Daemon string `json:"daemon,omitempty"`
}

// Phase is a span of a step's time spent on one thing: queued, frontend,
// solve, checks, wait, export or publish (builder's Phase constants).
type Phase struct {
	// Name is the phase's name.
	Name string `json:"name"`
	Span
}

// Span is a stretch of time.
type Span struct {
	// Start and End bound it.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Seconds is the span's length, never negative.
func (s Span) Seconds() float64 { return max(0, s.End.Sub(s.Start).Seconds()) }

// Edge is a dependency: To needs From.
type Edge struct {
	// From and To are step labels.
	From string `json:"from"`
	To   string `json:"to"`
	// Image says To builds FROM From's image.
	Image bool `json:"image,omitempty"`
	// Artifacts are the paths From hands on.
	Artifacts []string `json:"artifacts,omitempty"`
}

// Finding is one finding of the policy.
type Finding struct {
	// Rule is the check's ID.
	Rule string `json:"rule"`
	// Severity is error, warning or info.
	Severity string `json:"severity"`
	// Step is the step's label.
	Step string `json:"step,omitempty"`
	// Source is the FILE:LINE:COL it is about.
	Source string `json:"source,omitempty"`
	// Message says what is wrong and how to fix it.
	Message string `json:"message"`
}

// GateResult is the outcome of one gate on one step's image.
type GateResult struct {
	// Step is the step's label.
	Step string `json:"step"`
	// Gate is the gate's command.
	Gate string `json:"gate"`
	// Source is where the gate is defined.
	Source string `json:"source,omitempty"`
	// Passed says the gate let the image through.
	Passed bool `json:"passed"`
	// Message is what the gate said when it refused.
	Message string `json:"message,omitempty"`
	// Seconds is how long it ran.
	Seconds float64 `json:"seconds"`
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Read reads a report that WriteJSON wrote: at most MaxJSON bytes, of a
// version this package reads.
func Read(rd io.Reader) (*Report, error) {
	dt, err := io.ReadAll(io.LimitReader(rd, MaxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("reading the report: %w", err)
	}
	if len(dt) > MaxJSON {
		return nil, fmt.Errorf("reading the report: larger than %d MiB", MaxJSON>>20)
	}
	var r Report
	if err := json.Unmarshal(dt, &r); err != nil {
		return nil, fmt.Errorf("decoding the report: %w", err)
	}
	if r.Version != Version {
		return nil, fmt.Errorf("decoding the report: version %d; this weld reads version %d (render it with the weld that wrote it)", r.Version, Version)
	}
	return &r, nil
}
