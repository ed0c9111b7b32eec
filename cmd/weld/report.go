package main

import (
	"bytes"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/report"
)

func init() { subcommands = append(subcommands, newReportCmd) }

func newReportCmd(_ *rootOptions) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report FILE.json [-o FILE.html]",
		Short: "Render a build report saved with weld build --report FILE.json as one HTML page",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: weld report takes one FILE.json (written by weld build --report FILE.json)", errBadInput)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dt, err := boundedio.ReadFile(args[0], report.MaxJSON)
			if err != nil {
				return fmt.Errorf("%w: %v", errBadInput, err)
			}
			r, err := report.Read(bytes.NewReader(dt))
			if err != nil {
				return fmt.Errorf("%w: %s: %v", errBadInput, args[0], err)
			}
			if out == "" || out == "-" {
				return r.WriteHTML(cmd.OutOrStdout())
			}
			if err := r.WriteFile(out); err != nil { // FILE.json: the document again
				return fmt.Errorf("writing %s: %w", out, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the HTML file to write (default: standard output)")
	return cmd
}
