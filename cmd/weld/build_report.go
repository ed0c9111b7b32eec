package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/atomicfile"
	"github.com/weld-build/weld/internal/redact"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/report"
)

// This file is weld build's --report FILE.html|FILE.json. Its hooks:
// buildOptions.reportFile, addReportFlag, the report in WithOwnFiles and
// reportFile.event in WithEvents (build_flags.go); the plan, selection and
// redactor set before the run, and reportFile.write beside the metadata
// file (build.go).

// reportOptions is the --report flag, a pflag.Value, and what the report
// needs besides the Result.
type reportOptions struct {
	path string
	// plan, labels and red are set before the run: the build's plan, its
	// selection, and the redactor of what weld prints itself.
	plan   *dag.Plan
	labels []string
	red    *redact.Redactor

	mu       sync.Mutex
	warnings []report.Finding // the run's warnings (EventWarning)
}

var _ pflag.Value = (*reportOptions)(nil)

func addReportFlag(f *pflag.FlagSet, ro *reportOptions) {
	f.Var(ro, "report", "write a build report to FILE.html (one self-contained page: timeline, critical path, steps, DAG) or FILE.json (weld report renders it); written also when the build fails or is interrupted")
}

// Set takes FILE.html (.htm) or FILE.json, and removes the report an
// earlier run left there: a build that stops before writing its own must
// not leave one that passes for it.
func (ro *reportOptions) Set(v string) error {
	switch strings.ToLower(filepath.Ext(v)) {
	case ".html", ".htm", ".json":
	default:
		return fmt.Errorf("--report %q: name a FILE.html or a FILE.json", v)
	}
	if fi, err := os.Lstat(v); err == nil && fi.IsDir() {
		return fmt.Errorf("--report %s is a folder; name a file", v)
	}
	if err := os.Remove(v); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("--report %s: removing the earlier report: %w", v, err)
	}
	ro.path = v
	return nil
}

// String implements pflag.Value.
func (ro *reportOptions) String() string { return ro.path }

// Type implements pflag.Value.
func (ro *reportOptions) Type() string { return "FILE" }

// event keeps the run's warnings (the Dockerfile checks' and the
// policy's) for the report.
func (ro *reportOptions) event(e builder.Event) {
	if ro.path == "" || e.Type != builder.EventWarning {
		return
	}
	ro.mu.Lock()
	defer ro.mu.Unlock()
	ro.warnings = append(ro.warnings, warningFinding(e))
}

// warningFinding is a warning event as a finding of the report, its rule
// and Dockerfile position as fields of their own.
func warningFinding(e builder.Event) report.Finding {
	return report.Finding{Severity: string(policy.SeverityWarning), Rule: e.Rule, Step: e.Step, Source: e.Source, Message: e.Message}
}

// write writes --report for the run that ended with res and runErr (res
// nil: it stopped before any step ran); it returns prev joined with its own
// failure, so that the build exits 1 when the report could not be written.
func (ro *reportOptions) write(prev error, res *builder.Result, runErr error) error {
	if ro.path == "" || ro.plan == nil {
		return prev
	}
	ro.mu.Lock()
	findings := slices.Clone(ro.warnings)
	ro.mu.Unlock()
	r := report.Build(ro.plan, res, report.WithError(runErr), report.WithSelection(ro.labels...),
		report.WithRedactor(ro.red.String), report.WithFindings(findings...))
	write := r.WriteHTML
	if strings.EqualFold(filepath.Ext(ro.path), ".json") {
		write = r.WriteJSON
	}
	if err := writeAtomic(ro.path, write); err != nil {
		err = fmt.Errorf("the report %s was NOT written: %w", ro.path, err)
		if prev != nil {
			return fmt.Errorf("%w\n%w", prev, err)
		}
		return err
	}
	return prev
}

// writeAtomic writes path with write, all or nothing.
func writeAtomic(path string, write func(io.Writer) error) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return err
	}
	return f.Close()
}
