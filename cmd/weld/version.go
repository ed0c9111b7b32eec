package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newVersionCmd) }

func newVersionCmd(_ *rootOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print weld's version and the BuildKit client it speaks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			version, bk := "(devel)", "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				if bi.Main.Version != "" {
					version = bi.Main.Version
				}
				for _, d := range bi.Deps {
					if d.Path == "github.com/moby/buildkit" {
						bk = d.Version
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "weld %s (buildkit client %s)\n", version, bk)
			return nil
		},
	}
}
