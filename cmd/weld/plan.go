package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/buildflags"
	"github.com/weld-build/weld/dag"
)

func init() { subcommands = append(subcommands, newPlanCmd) }

// planOptions are the flags of weld plan.
type planOptions struct {
	fileOptions
	format string
	pool   poolOptions // --builders (plan_pool.go)
}

func newPlanCmd(o *rootOptions) *cobra.Command {
	po := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan [flags] [STEP...]",
		Short: "Show the steps a build runs, in build order, with their dependencies",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(dag.Formats, po.format) {
				return fmt.Errorf("%w: --format %q: use one of %s", errBadInput, po.format, strings.Join(dag.Formats, ", "))
			}
			p, err := po.loadPlan(o)
			if err != nil {
				return err
			}
			steps, err := p.Select(args...)
			if err != nil {
				return err
			}
			var opts []dag.RenderOption
			if po.format == "text" || po.format == "json" {
				opts = append(opts, dag.WithContextSizes(contextSizes(cmd.Context(), o, steps)))
			}
			// A base's name may hold a build arg's token (redact.go).
			members, err := po.pool.daemons(builder.ConnectOptions{}).Members()
			if err != nil {
				return err
			}
			if members != nil && po.format != "text" {
				return fmt.Errorf("%w: --builders shows the placement with --format text only", errBadInput)
			}
			return redactedTo(buildflags.ArgRedactor(steps, nil), cmd.OutOrStdout(), func(w io.Writer) error {
				if err := p.Render(w, po.format, steps, opts...); err != nil || members == nil {
					return err
				}
				return printPlacement(w, p, steps, members)
			})
		},
	}
	addFileFlags(cmd.Flags(), &po.File)
	cmd.Flags().StringVar(&po.format, "format", "text", "output format: "+strings.Join(dag.Formats, ", "))
	cmd.Flags().StringVar(&po.pool.builders, "builders", "", "also show where a build on the pool of daemons in this YAML `FILE` would run each step")
	return cmd
}
