package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/charmbracelet/log"
	"github.com/spf13/cobra"

	"github.com/weld-build/weld/dag"
)

// Exit codes weld promises to CI.
const (
	exitOK          = 0
	exitFailed      = 1
	exitBadInput    = 2
	exitInterrupted = 130
)

// errBadInput marks command-line mistakes found before any work starts.
var errBadInput = errors.New("bad input")

// rootOptions are the flags every command shares.
type rootOptions struct {
	debug bool
	log   *log.Logger
}

func newRootCmd() *cobra.Command {
	o := &rootOptions{}
	cmd := &cobra.Command{
		Use:           "weld",
		Short:         "Build a graph of Dockerfile steps on BuildKit",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			o.log = log.NewWithOptions(cmd.ErrOrStderr(), log.Options{Prefix: "weld"})
			if o.debug {
				o.log.SetLevel(log.DebugLevel)
			}
		},
	}
	cmd.PersistentFlags().BoolVar(&o.debug, "debug", false, "log debug messages")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: %w", errBadInput, err)
	})
	for _, add := range subcommands {
		cmd.AddCommand(add(o))
	}
	return cmd
}

// subcommands lists the constructors of weld's commands; each command's file
// adds itself in an init function, so commands stay independent.
var subcommands []func(*rootOptions) *cobra.Command

// exitCode prints err and maps it to weld's exit codes.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	var list dag.ErrorList
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			fmt.Fprintln(os.Stderr, e.Error())
		}
	default:
		fmt.Fprintln(os.Stderr, "weld: "+err.Error())
	}
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, dag.ErrInvalid), errors.Is(err, errBadInput):
		return exitBadInput
	}
	return exitFailed
}
