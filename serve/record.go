package serve

import (
	"encoding/json"
	"time"
)

// Status is where a build stands.
type Status string

// The statuses of a build.
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCanceled  Status = "canceled"
)

// statuses lists every status, for /metrics.
var statuses = []Status{StatusQueued, StatusRunning, StatusSucceeded, StatusFailed, StatusCanceled}

// done reports whether s is final.
func (s Status) done() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCanceled
}

// Record is a build as GET /v1/builds/{id} shows it, and as it is kept on
// disk.
type Record struct {
	// ID names the build.
	ID string `json:"id"`
	// Tenant owns it.
	Tenant string `json:"-"`
	// IdempotencyKey is the request's Idempotency-Key header.
	IdempotencyKey string `json:"-"`
	// Status is where it stands.
	Status Status `json:"status"`
	// File is the build file's path in the upload.
	File string `json:"file"`
	// Steps are the steps asked for (empty: all).
	Steps []string `json:"steps"`
	// NoCache says the build ran without the cache.
	NoCache bool `json:"no_cache"`
	// Created, Started and Finished say when it was submitted, started
	// running and ended.
	Created  time.Time  `json:"created"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	// Error says why it failed or was canceled.
	Error string `json:"error,omitempty"`
	// Result holds the per-step results in weld build --metadata-file's
	// shape, once the build has ended.
	Result json.RawMessage `json:"result,omitempty"`
}

// diskRecord is a Record with its tenant, as stored.
type diskRecord struct {
	Record
	Tenant         string `json:"tenant"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// Event is one entry of a build's event stream, sent as a Server-Sent
// Event: id is its sequence number (from 1), Type its event name.
type Event struct {
	ID   int             `json:"id"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// The event types.
const (
	// EventStep is a builder.Event: a step started, was built, published,
	// failed, or a warning.
	EventStep = "step"
	// EventVertex is a BuildKit vertex that started or completed.
	EventVertex = "vertex"
	// EventLog is a vertex's output (redacted by the library).
	EventLog = "log"
	// EventStatus is a change of the build's status.
	EventStatus = "status"
	// EventResult is the last event: the build's record.
	EventResult = "result"
)
