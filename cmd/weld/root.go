package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/log"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/display"
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
			// BuildKit's client and containerd's content store log through
			// logrus's global logger; only weld's own logger speaks, unless
			// --debug.
			logrus.SetOutput(io.Discard)
			if o.debug {
				o.log.SetLevel(log.DebugLevel)
				logrus.SetOutput(cmd.ErrOrStderr())
			}
		},
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	cmd.PersistentFlags().BoolVar(&o.debug, "debug", false, "log debug messages")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: %w", errBadInput, err)
	})
	for _, add := range subcommands {
		cmd.AddCommand(add(o))
	}
	cmd.InitDefaultCompletionCmd()
	strictHelp(cmd)  // weld help nosuch: exit 2 (usage.go)
	usageErrors(cmd) // an unknown command or an extra argument: exit 2 (usage.go)
	return cmd
}

// subcommands lists the constructors of weld's commands; each command's file
// adds itself in an init function, so commands stay independent.
var subcommands []func(*rootOptions) *cobra.Command

// reportedError is an error that the command has already printed (as its
// closing summary); exitCode only maps it to an exit code.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// exitCode prints err and maps it to weld's exit codes.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	if rep := (*reportedError)(nil); !errors.As(err, &rep) { // else its summary was the last thing printed
		display.Error(os.Stderr, err)
	}
	switch {
	case context.Cause(ctx) != nil || errors.Is(err, context.Canceled):
		return interruptedCode(ctx)
	case errors.Is(err, errBadInput), builder.IsBadInput(err):
		return exitBadInput
	}
	return exitFailed
}
