package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// usageErrors makes every command's argument mistakes usage errors (exit 2),
// as flag mistakes are (SetFlagErrorFunc): an unknown command, in weld or
// in a command group such as weld daemon, and an argument a command does not
// take. Call it once every command is added.
func usageErrors(c *cobra.Command) {
	for _, sub := range c.Commands() {
		usageErrors(sub)
	}
	if c.HasSubCommands() {
		c.Args = unknownCommand
		if !c.Runnable() {
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
		return
	}
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return fmt.Errorf("%w: %w", errBadInput, err)
			}
			return nil
		}
	}
}

// unknownCommand is the argument check of a command that has subcommands:
// an argument that names none of them is an unknown command.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: unknown command %q for %s (run %s --help for the list)", errBadInput, args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}
