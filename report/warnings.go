package report

import (
	"sync"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/policy"
)

// Warnings gathers a build's warnings (the Dockerfile checks' and the
// policy's) from its events, for WithFindings: pass its Event to
// builder.WithEvents. It is safe for concurrent use.
type Warnings struct {
	mu   sync.Mutex
	list []Finding
}

// Event keeps e when it is a warning.
func (w *Warnings) Event(e builder.Event) {
	if e.Type != builder.EventWarning {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, Finding{Severity: string(policy.SeverityWarning), Rule: e.Rule, Step: e.Step, Source: e.Source, Message: e.Message})
}

// Findings are the warnings so far, in the order they came.
func (w *Warnings) Findings() []Finding {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Finding(nil), w.list...)
}
