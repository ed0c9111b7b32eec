package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/atomicfile"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/report"
)

// This file is weld build's --report FILE.html|FILE.json. Its hooks:
// buildOptions.report and addReportFlag (build_flags.go), report.options
// appended to the builder options and writeReport after the run (build.go),
// the Dockerfile checks' findings kept (lint, build_checks.go).

// reportOptions is the --report flag, a pflag.Value, and what the build
// found for the report besides its Result.
type reportOptions struct {
	path     string
	findings policy.Findings // the Dockerfile checks' (lint)
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

// options keeps the report out of every build context, as weld's own file.
func (ro *reportOptions) options() []builder.Option {
	if ro.path == "" {
		return nil
	}
	return []builder.Option{builder.WithOwnFiles(ro.path)}
}

// writeReport writes --report for the run that ended with res and runErr
// (res nil: it stopped before the builder ran); it returns prev joined
// with its own failure, so that the build exits 1 when the report could not
// be written.
func (bo *buildOptions) writeReport(prev error, p *dag.Plan, res *builder.Result, runErr error) error {
	path := bo.report.path
	if path == "" {
		return prev
	}
	r := report.Build(p, res, report.WithError(runErr), report.WithRedactor(bo.red.String),
		report.WithFindings(reportFindings(bo.report.findings)...))
	write := r.WriteHTML
	if strings.EqualFold(filepath.Ext(path), ".json") {
		write = r.WriteJSON
	}
	if err := writeAtomic(path, write); err != nil {
		err = fmt.Errorf("the report %s was NOT written: %w", path, err)
		if prev != nil {
			return fmt.Errorf("%w\n%w", prev, err)
		}
		return err
	}
	return prev
}

// reportFindings are the policy's findings in the report's terms.
func reportFindings(fs policy.Findings) []report.Finding {
	out := make([]report.Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, report.Finding{Rule: f.Rule, Severity: string(f.Severity), Step: f.Step, Source: f.Pos.String(), Message: f.Message})
	}
	return out
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
