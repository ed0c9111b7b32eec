package main

import (
	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/display"
)

func init() { subcommands = append(subcommands, newBuildCmd) }

func newBuildCmd(o *rootOptions) *cobra.Command {
	bo := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [flags] [STEP...]",
		Short: "Build the steps (all, or those named and what they need) on BuildKit",
		RunE: func(cmd *cobra.Command, args []string) error {
			f := &bo.Flags
			in, err := f.Resolve(o.log, args)
			if err != nil || in.Labels == nil { // nil: --affected-by-base found nothing to build
				return err
			}
			// What weld prints itself may name a build arg's token (redact.go).
			red, w := in.Redactor, lineRedactor{in.Redactor, cmd.ErrOrStderr()}
			redactLog(o, red, cmd.ErrOrStderr())
			opts, err := f.Options(cmd.Context(), in, o.log)
			if err != nil {
				return err
			}
			c, closeSolver, err := f.Daemons().Solver() // no daemon before the checks pass
			if err != nil {
				return redactErr(red, err)
			}
			defer closeSolver()
			disp := display.NewProgress(cmd.ErrOrStderr(), f.Progress)
			b, err := builder.New(c, append(opts, builder.WithProgress(disp.Write))...)
			if err != nil {
				disp.Wait()
				return redactErr(red, err)
			}
			res, runErr := b.Run(cmd.Context(), in.Plan, in.Labels...)
			disp.Wait()
			written, err := display.End(w, in.Policy, in.Plan.Build(), res, runErr, f.WriteFiles(in, res, runErr))
			if written {
				err = &reportedError{err}
			}
			return redactErr(red, err)
		},
	}
	addBuildFlags(cmd, bo)
	return cmd
}
