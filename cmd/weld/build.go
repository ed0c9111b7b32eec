package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/redact"
	"github.com/weld-build/weld/policy"
)

func init() { subcommands = append(subcommands, newBuildCmd) }

func newBuildCmd(o *rootOptions) *cobra.Command {
	bo := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [flags] [STEP...]",
		Short: "Build the steps (all, or those named and what they need) on BuildKit",
		RunE: func(cmd *cobra.Command, args []string) error {
			if bo.metadataFile != "" { // an earlier run's must not pass for this one's
				if err := builder.PrepareMetadataFile(bo.metadataFile); err != nil {
					return err
				}
			}
			p, err := bo.loadPlan(o)
			if err != nil {
				return err
			}
			pol, err := bo.loadPolicy(o, p.Build())
			if err != nil {
				return err
			}
			labels, err := bo.selectSteps(o, p, pol, args)
			if err != nil || labels == nil {
				return err
			}
			// What weld prints itself may name a build arg's token (redact.go).
			red, err := bo.redactor(p, labels)
			if err != nil {
				return err
			}
			redactLog(o, red, cmd.ErrOrStderr())
			bo.reportFile.plan, bo.reportFile.labels, bo.reportFile.red = p, labels, red // build_report.go
			opts, err := bo.builderOptions(cmd.Context(), o, p, pol)
			if err != nil {
				return redactErr(red, err)
			}
			c, closeSolver, err := bo.pool.daemons(bo.connect).Solver() // no daemon before the checks pass
			if err != nil {
				return redactErr(red, err)
			}
			defer closeSolver()
			disp := newProgress(cmd.Context(), cmd.ErrOrStderr(), bo.progress)
			b, err := builder.New(c, append(opts, builder.WithProgress(disp.write))...)
			if err != nil {
				disp.wait()
				return redactErr(red, err)
			}
			res, runErr := b.Run(cmd.Context(), p, labels...)
			disp.wait()
			return redactErr(red, bo.report(lineRedactor{red, cmd.ErrOrStderr()}, pol, p.Build(), res, runErr))
		},
	}
	addBuildFlags(cmd, bo)
	return cmd
}

// redactor redacts the values of the build args that look like secrets.
func (bo *buildOptions) redactor(p *dag.Plan, labels []string) (*redact.Redactor, error) {
	steps, err := p.Select(labels...)
	if err != nil {
		return nil, err
	}
	args, err := parseEnv(bo.buildArgs)
	if err != nil {
		return nil, err
	}
	return argRedactor(steps, args), nil
}

// report writes --metadata-file, prints what stopped the build (refusals,
// Dockerfile check errors, denied sources) and the summary, and returns
// the error weld exits with.
func (bo *buildOptions) report(w io.Writer, pol *policy.Policy, b *dag.Build, res *builder.Result, runErr error) error {
	var metaErr error
	if bo.metadataFile != "" {
		metaErr = builder.WriteMetadata(bo.metadataFile, res)
	}
	metaErr = bo.reportFile.write(metaErr, res, runErr) // build_report.go
	if metaErr != nil && runErr == nil {
		runErr = metaErr
	}
	printed := reportStop(w, pol, b, runErr)
	printSummary(w, res, runErr)
	if metaErr != nil {
		fmt.Fprintf(w, "\nFAILED: %v\n", metaErr)
	}
	if runErr != nil && (res != nil || printed) {
		return &reportedError{runErr}
	}
	return runErr
}

// reportStop prints the refusals, the Dockerfile checks' errors or the
// denied sources (as the refusals name them) that stopped a build; it reports whether it printed any.
func reportStop(w io.Writer, pol *policy.Policy, b *dag.Build, err error) bool {
	var le *builder.LintError
	switch {
	case printRefusals(w, err):
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
