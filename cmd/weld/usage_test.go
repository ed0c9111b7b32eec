package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// TestUsageErrorsAreBadInput: every kind of usage mistake is bad input
// (exit 2), found before any work: no daemon, no build file.
func TestUsageErrorsAreBadInput(t *testing.T) {
	for _, args := range []string{
		"nosuch",                 // unknown command
		"daemon nosuch",          // unknown command of a group
		"build --nosuch",         // unknown flag
		"build --jobs abc",       // bad flag value
		"build -j",               // a flag without its value
		"version extra",          // an argument a command does not take
		"daemon status extra",    // the same, in a group
		"completion bash extra",  // the same, in cobra's own commands
		"plan --format nosuch",   // a flag value the command refuses
		"lint --format nosuch",   // the same
		"affected --format json", // neither --base nor --changed
		"plan --platform arm64",  // a platform without its os
		"build --platform linux/amd64,linux/x86_64", // a platform twice
	} {
		t.Run(args, func(t *testing.T) {
			cmd := newRootCmd()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(strings.Fields(args))
			t.Chdir(t.TempDir())
			err := cmd.ExecuteContext(context.Background())
			if !errors.Is(err, errBadInput) {
				t.Errorf("weld %s: error = %v, want bad input (exit 2)", args, err)
			}
		})
	}
	for _, args := range []string{"", "daemon", "help", "version"} {
		cmd := newRootCmd()
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs(strings.Fields(args))
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Errorf("weld %s: error = %v, want none", args, err)
		}
	}
}
