package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
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
		"help nosuch",                       // a help topic that is no command
		"help build nosuch",                 // nor is this
		"report",                            // a command's own argument check
		"build --ssh k=/nonexistent/key",    // a flag the library refuses
		"build --addr http://x",             // the same
		"build --builders /nonexistent.yml", // the same
		"build --build NOEQUALS",            // values buildflags parses
		"build --env NOEQUALS",
		"build --allow fs.write=/x",
		"build --image busybox",
		"build -o bad:x",
		"build --secret src=/x",
		"build --cache-to type=local",
		"build --cache-from type=local,dest=x",
		"build --progress fancy",
		"build --affected-by-base busybox a",
		"build --report r.txt",
		"plan --env NOEQUALS",
		"lint --build NOEQUALS",
	} {
		t.Run(args, func(t *testing.T) {
			cmd := newRootCmd()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(strings.Fields(args))
			dir := t.TempDir() // a build file that loads: the library's own checks speak
			t.Chdir(dir)
			writeUsageProject(t)
			err := cmd.ExecuteContext(context.Background())
			if !errors.Is(err, errBadInput) && !builder.IsBadInput(err) {
				t.Errorf("weld %s: error = %v, want bad input (exit 2)", args, err)
			}
			if err != nil && strings.Count(err.Error(), "bad input") > 1 {
				t.Errorf("weld %s: error = %q, want \"bad input\" said once", args, err)
			}
		})
	}
	for _, args := range []string{"", "daemon", "help", "help build", "help daemon status", "version"} {
		cmd := newRootCmd()
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs(strings.Fields(args))
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Errorf("weld %s: error = %v, want none", args, err)
		}
	}
}

// writeUsageProject writes a build file with one step and its Dockerfile
// into the working directory.
func writeUsageProject(t *testing.T) {
	t.Helper()
	for name, text := range map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    a:\n      name: a\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\n",
	} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
