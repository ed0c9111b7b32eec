package main

import (
	"errors"
	"fmt"
	"strings"

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
			if err := args(cmd, a); err != nil && !errors.Is(err, errBadInput) {
				return fmt.Errorf("%w: %w", errBadInput, err)
			} else if err != nil {
				return err
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

// strictHelp makes weld help TOPIC a usage error (exit 2) when TOPIC names
// no command; cobra's own help prints "Unknown help topic" and exits 0.
func strictHelp(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() != "help" || c.Run == nil {
			continue
		}
		run := c.Run
		c.Run = nil
		c.RunE = func(c *cobra.Command, args []string) error {
			if found, rest, err := root.Find(args); err != nil || found == nil || len(rest) > 0 {
				return fmt.Errorf("%w: unknown help topic %q (run weld --help for the list)", errBadInput, strings.Join(args, " "))
			}
			run(c, args)
			return nil
		}
	}
}
