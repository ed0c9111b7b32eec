package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/redact"
	"github.com/weld-build/weld/report"
)

// This file is weld build's --report FILE.html|FILE.json (report.PrepareFile,
// report.Warnings, Report.WriteFile). Its hooks: buildOptions.reportFile,
// addReportFlag, the report in WithOwnFiles and warnings.Event in
// WithEvents (build_flags.go); the plan, selection and redactor set before
// the run, and reportFile.write beside the metadata file (build.go).

// reportOptions is the --report flag, a pflag.Value, and what the report
// needs besides the Result.
type reportOptions struct {
	path string
	// plan, labels and red are set before the run: the build's plan, its
	// selection, and the redactor of what weld prints itself.
	plan     *dag.Plan
	labels   []string
	red      *redact.Redactor
	warnings report.Warnings // the run's warnings (EventWarning)
}

var _ pflag.Value = (*reportOptions)(nil)

func addReportFlag(f *pflag.FlagSet, ro *reportOptions) {
	f.Var(ro, "report", "write a build report to FILE.html (one self-contained page: timeline, critical path, steps, DAG) or FILE.json (weld report renders it); written also when the build fails or is interrupted")
}

// Set takes FILE.html (.htm) or FILE.json, and removes the report an
// earlier run left there.
func (ro *reportOptions) Set(v string) error {
	if err := report.PrepareFile(v); err != nil {
		return fmt.Errorf("--%w", err)
	}
	ro.path = v
	return nil
}

// String implements pflag.Value.
func (ro *reportOptions) String() string { return ro.path }

// Type implements pflag.Value.
func (ro *reportOptions) Type() string { return "FILE" }

// event keeps the run's warnings for the report.
func (ro *reportOptions) event(e builder.Event) {
	if ro.path != "" {
		ro.warnings.Event(e)
	}
}

// write writes --report for the run that ended with res and runErr (res
// nil: it stopped before any step ran); it returns prev joined with its own
// failure, so that the build exits 1 when the report could not be written.
func (ro *reportOptions) write(prev error, res *builder.Result, runErr error) error {
	if ro.path == "" || ro.plan == nil {
		return prev
	}
	r := report.Build(ro.plan, res, report.WithError(runErr), report.WithSelection(ro.labels...),
		report.WithRedactor(ro.red.String), report.WithFindings(ro.warnings.Findings()...))
	if err := r.WriteFile(ro.path); err != nil {
		err = fmt.Errorf("the report %s was NOT written: %w", ro.path, err)
		if prev != nil {
			return fmt.Errorf("%w\n%w", prev, err)
		}
		return err
	}
	return prev
}
