package builder

import (
	"context"
	"fmt"

	"github.com/moby/buildkit/frontend/subrequests/lint"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/redact"
	"github.com/weld-build/weld/policy"
)

// LintError stops a run (WithPolicy) whose Dockerfile checks found
// error-severity findings: nothing was built. It wraps policy.ErrLint.
type LintError struct {
	// Findings are every finding of the checks, of every severity (the
	// warnings were also sent as EventWarnings).
	Findings policy.Findings
}

// Error implements error.
func (e *LintError) Error() string { return fmt.Sprintf("%v; nothing was built", e.Findings.Err()) }

// Unwrap returns policy.ErrLint.
func (e *LintError) Unwrap() error { return policy.ErrLint }

// lintGate runs the Dockerfile checks before the build: BuildKit's through
// Lint, then policy.Lint over its results and weld's own rules.
func (b *Builder) lintGate(ctx context.Context, p *dag.Plan, in policy.Input, sec runSecrets) error {
	bk, err := b.lintRun(ctx, p, in.Selected, sec, func(ctx context.Context, r *run) (map[string]*lint.LintResults, error) {
		return r.lint(ctx, daemonFetcher{r})
	})
	if err != nil {
		return err
	}
	in.BuildKit = bk
	findings, err := policy.Lint(ctx, in, b.o.policy)
	if err != nil {
		return err
	}
	events, err := lintVerdict(redactFindings(redact.NewSecrets(b.o.redact...), findings))
	emitAll(b.o, events)
	return err
}

// lintVerdict turns the findings into the gate's verdict: every warning an
// EventWarning, and a *LintError when one has error severity.
func lintVerdict(fs policy.Findings) ([]Event, error) {
	var events []Event
	for _, f := range fs {
		if f.Severity != policy.SeverityError {
			events = append(events, Event{Step: f.Step, Type: EventWarning, Message: f.String(), Rule: f.Rule, Source: f.Pos.String()})
		}
	}
	if fs.Errors() > 0 {
		return events, &LintError{Findings: fs}
	}
	return events, nil
}

// redactFindings redacts the findings' text (a base's name may hold a build
// arg's token).
func redactFindings(red *redact.Redactor, fs policy.Findings) policy.Findings {
	if red.Empty() {
		return fs
	}
	out := make(policy.Findings, len(fs))
	for i, f := range fs {
		f.Message, f.Pos.File = red.String(f.Message), red.String(f.Pos.File)
		out[i] = f
	}
	return out
}
