package buildflags

import (
	"fmt"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/report"
)

// event keeps the run's warnings for the report (Options' WithEvents).
func (in *Input) event(e builder.Event) { in.warnings.Event(e) }

// WriteFiles writes the files the flags ask for once the run ended with res
// and runErr (res nil: it stopped before any step ran): --metadata-file
// (builder.WriteMetadata) and --report (report.Build, also for a failed or
// interrupted build). Its error says what was not written; the build then
// exits 1.
func (f *Flags) WriteFiles(in *Input, res *builder.Result, runErr error) error {
	var err error
	if f.MetadataFile != "" {
		err = builder.WriteMetadata(f.MetadataFile, res)
	}
	if f.Report == "" {
		return err
	}
	r := report.Build(in.Plan, res, report.WithError(runErr), report.WithSelection(in.Labels...),
		report.WithRedactor(in.Redactor.String), report.WithFindings(in.warnings.Findings()...))
	if rerr := r.WriteFile(f.Report); rerr != nil {
		rerr = fmt.Errorf("the report %s was NOT written: %w", f.Report, rerr)
		if err != nil {
			return fmt.Errorf("%w\n%w", err, rerr)
		}
		return rerr
	}
	return err
}
