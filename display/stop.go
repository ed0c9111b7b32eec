package display

import (
	"errors"
	"fmt"
	"io"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// Stop writes what stopped a build before or as it ran, as the policy
// names it: the refusals (Refusals), the Dockerfile checks' errors of a
// *builder.LintError, or the sources the daemon's source policy denied. It
// reports whether it wrote any.
func Stop(w io.Writer, pol *policy.Policy, b *dag.Build, err error) bool {
	var le *builder.LintError
	switch {
	case Refusals(w, err):
		return true
	case errors.As(err, &le):
		for _, f := range le.Findings {
			if f.Severity == policy.SeverityError {
				fmt.Fprintln(w, f.String())
			}
		}
		fmt.Fprintln(w, "weld: "+le.Error()+" (weld lint shows them; the policy's rules: set their severity)")
		return true
	}
	denials := builder.Denials(err) // the daemon's source policy's
	for _, de := range denials {
		fmt.Fprintln(w, de.Refusal(pol, b))
	}
	return len(denials) > 0
}

// Refusals writes each refusal of the policy (the static checks' in
// builder.Run and builder.Check) on a line of its own; it reports whether
// err held any.
func Refusals(w io.Writer, err error) bool {
	var rs policy.Refusals
	if !errors.As(err, &rs) {
		return false
	}
	for _, r := range rs {
		fmt.Fprintln(w, r.Error())
	}
	return true
}

// End writes how a run ended with res and runErr, as weld build does:
// what stopped it (Stop), the summary (Summary) and, last, filesErr (the
// metadata or report file that was not written, which fails a run that
// succeeded). It returns whether it wrote the run's error already, so that
// the caller prints it no more, and that error (runErr, else filesErr).
func End(w io.Writer, pol *policy.Policy, b *dag.Build, res *builder.Result, runErr, filesErr error) (written bool, err error) {
	if filesErr != nil && runErr == nil {
		runErr = filesErr
	}
	printed := Stop(w, pol, b, runErr)
	Summary(w, res, runErr)
	if filesErr != nil {
		fmt.Fprintf(w, "\nFAILED: %v\n", filesErr)
	}
	return runErr != nil && (res != nil || printed), runErr
}
