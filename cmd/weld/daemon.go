package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
)

func init() { subcommands = append(subcommands, newDaemonCmd) }

// newDaemonCmd manages weld's own local buildkitd, the one weld build starts
// when neither --addr nor $BUILDKIT_HOST names a daemon.
func newDaemonCmd(_ *rootOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "daemon status|start|stop",
		Short: "Manage weld's own local buildkitd",
	}
	run := func(name, short string, f func(cmd *cobra.Command, d *builder.Daemon) error) *cobra.Command {
		return &cobra.Command{
			Use: name, Short: short, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				d, err := builder.LocalDaemon()
				if err != nil {
					return err
				}
				return f(cmd, d)
			},
		}
	}
	cmd.AddCommand(
		run("status", "Say whether the local daemon runs, and where", func(cmd *cobra.Command, d *builder.Daemon) error {
			state := "stopped"
			if pid := d.PID(); pid != 0 && d.Ping(cmd.Context()) == nil {
				state = fmt.Sprintf("running (pid %d)", pid)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "buildkitd: %s\naddress:   %s\nstate:     %s\nlog:       %s\n", state, d.Addr(), d.Root, d.LogFile())
			return nil
		}),
		run("start", "Start the local daemon (weld build does this on demand)", func(cmd *cobra.Command, d *builder.Daemon) error {
			if err := d.Start(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "buildkitd running at %s\n", d.Addr())
			return nil
		}),
		run("stop", "Stop the local daemon", func(cmd *cobra.Command, d *builder.Daemon) error {
			if d.PID() == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "buildkitd is not running")
				return nil
			}
			if err := d.Stop(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "buildkitd stopped")
			return nil
		}),
	)
	return cmd
}
