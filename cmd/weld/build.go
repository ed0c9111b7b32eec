package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
)

func init() { subcommands = append(subcommands, newBuildCmd) }

func newBuildCmd(o *rootOptions) *cobra.Command {
	bo := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [flags] [STEP...]",
		Short: "Build the steps (all, or those named and what they need) on BuildKit",
		RunE: func(cmd *cobra.Command, args []string) error {
			// A metadata file from an earlier run must not pass for this
			// one's, whatever happens below.
			if bo.metadataFile != "" {
				if fi, err := os.Lstat(bo.metadataFile); err == nil && fi.IsDir() {
					return fmt.Errorf("%w: --metadata-file %s is a folder; name a file", errBadInput, bo.metadataFile)
				}
				if err := os.Remove(bo.metadataFile); err != nil && !os.IsNotExist(err) {
					return err
				}
			}
			p, err := bo.loadPlan(o)
			if err != nil {
				return err
			}
			labels, err := bo.selectSteps(o, p, args)
			if err != nil || labels == nil {
				return err
			}
			if err := bo.checkPolicy(o, cmd.ErrOrStderr(), p, labels); err != nil {
				return err
			}
			opts, err := bo.builderOptions(cmd.Context(), o, p)
			if err != nil {
				return err
			}
			opts = append(opts, bo.report.options()...) // build_report.go
			c, err := builder.Connect(cmd.Context(), bo.connect)
			if err != nil {
				return err
			}
			defer c.Close()
			if opts, err = bo.pinBases(cmd.Context(), c, opts); err != nil {
				return err
			}
			disp := newProgress(cmd.Context(), cmd.ErrOrStderr(), bo.progress)
			b, err := builder.New(c, append(opts, builder.WithProgress(disp.write))...)
			if err != nil {
				disp.wait()
				return err
			}
			if err := bo.lint(cmd.Context(), o, lineRedactor{bo.red, cmd.ErrOrStderr()}, b, p, labels); err != nil {
				disp.wait()
				return err
			}
			res, runErr := b.Run(cmd.Context(), p, labels...)
			disp.wait()
			metaErr := bo.writeMetadata(res)
			metaErr = bo.writeReport(metaErr, p, res, runErr) // build_report.go
			if metaErr != nil && runErr == nil {
				runErr = metaErr
			}
			reportDenials(lineRedactor{bo.red, cmd.ErrOrStderr()}, bo.pol, p.Build(), runErr)
			printSummary(cmd.ErrOrStderr(), res, runErr)
			if metaErr != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "\nFAILED: %v\n", metaErr)
			}
			if runErr != nil && res != nil {
				return &reportedError{runErr}
			}
			return runErr
		},
	}
	addBuildFlags(cmd, bo)
	run := cmd.RunE // what it returns may name a build arg's token (redact.go)
	cmd.RunE = func(c *cobra.Command, args []string) error { return redactErr(bo.red, run(c, args)) }
	return cmd
}
