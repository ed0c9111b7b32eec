package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/containers"
)

func init() { subcommands = append(subcommands, newContainersCmd) }

// containersOptions are the flags of weld containers.
type containersOptions struct {
	base, host, format string
	exec               bool
	timeout            time.Duration
}

func newContainersCmd(o *rootOptions) *cobra.Command {
	co := &containersOptions{}
	cmd := &cobra.Command{
		Use:   "containers --base REF [--exec -- CMD...]",
		Short: "List the running containers of a Docker engine built on a base image, and run a command in each",
		Long: "List the running containers whose image weld built on REF (by the image's org.opencontainers.image.base.name/.digest labels;\n" +
			"a ref without a tag means every tag, a digest matches the base's digest). --exec -- CMD... runs CMD in each of them, and in no\n" +
			"other container, and reports each exit code: exit 1 if any failed.",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			base, command, err := co.check(cmd, args)
			if err != nil {
				return err
			}
			cs, err := containers.List(cmd.Context(), co.host, base)
			if err != nil {
				return err
			}
			if len(cs) == 0 && co.format == "text" {
				o.log.Info("no running container was built on " + co.base)
			}
			if !co.exec {
				return co.printList(cmd.OutOrStdout(), cs)
			}
			res := containers.Exec(cmd.Context(), co.host, cs, command, co.timeout)
			if err := co.printExec(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			for _, r := range res {
				if r.Failed() {
					return &reportedError{err: errors.New("the command failed in a container")}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&co.base, "base", "", "the base image: REF (every tag), REF:TAG, REF@sha256:… or sha256:…")
	f.StringVar(&co.host, "host", "", "the Docker engine: unix://PATH or tcp://HOST:PORT (default $DOCKER_HOST, else unix:///var/run/docker.sock)")
	f.StringVar(&co.format, "format", "text", "output format: text or json")
	f.BoolVar(&co.exec, "exec", false, "run the command after -- in every matching container")
	f.DurationVar(&co.timeout, "timeout", 0, "with --exec: stop waiting for a container's command after this long (0: no limit); it counts as failed")
	return cmd
}

// check validates the flags and returns the base and the command.
func (co *containersOptions) check(cmd *cobra.Command, args []string) (containers.Base, []string, error) {
	if co.format != "text" && co.format != "json" {
		return containers.Base{}, nil, fmt.Errorf("%w: --format %q: use text or json", errBadInput, co.format)
	}
	if co.base == "" {
		return containers.Base{}, nil, fmt.Errorf("%w: give --base REF, the base image to look for", errBadInput)
	}
	base, err := containers.ParseBase(co.base)
	if err != nil {
		return base, nil, fmt.Errorf("%w: --base: %w", errBadInput, err)
	}
	dash := cmd.ArgsLenAtDash()
	switch {
	case !co.exec && len(args) > 0:
		return base, nil, fmt.Errorf("%w: arguments %q: a command is given after --exec --", errBadInput, args)
	case co.exec && (dash != 0 || len(args) == 0):
		return base, nil, fmt.Errorf("%w: --exec needs a command after --: weld containers --base %s --exec -- CMD ARG...", errBadInput, co.base)
	}
	return base, args, nil
}

func (co *containersOptions) printList(w io.Writer, cs []containers.Container) error {
	if co.format == "json" {
		return writeJSON(w, append([]containers.Container{}, cs...))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTAINER\tNAME\tIMAGE\tSTEP\tBASE")
	for _, c := range cs {
		fmt.Fprintf(tw, "%.12s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.Image, c.Step, baseText(c))
	}
	return tw.Flush()
}

func (co *containersOptions) printExec(w io.Writer, rs []containers.Result) error {
	if co.format == "json" {
		return writeJSON(w, append([]containers.Result{}, rs...))
	}
	for _, r := range rs {
		status := fmt.Sprintf("exit %d", r.ExitCode)
		if r.Error != "" {
			status = "error: " + r.Error
		}
		fmt.Fprintf(w, "%.12s %s (%s): %s\n", r.ID, r.Name, r.Image, status)
		for _, l := range strings.Split(strings.TrimRight(r.Output, "\n"), "\n") {
			if l != "" {
				fmt.Fprintf(w, "  %s\n", printable(l))
			}
		}
	}
	return nil
}

// printable replaces the control characters of a container's output (a
// container may print terminal escapes) with U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || (r >= 0x20 && r != 0x7f && (r < 0x80 || r > 0x9f)) {
			return r
		}
		return '\uFFFD'
	}, s)
}

func baseText(c containers.Container) string {
	if c.BaseDigest == "" {
		return c.BaseName
	}
	return c.BaseName + "@" + c.BaseDigest
}

func writeJSON(w io.Writer, v any) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(v)
}
