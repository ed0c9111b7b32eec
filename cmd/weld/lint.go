package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/buildflags"
	"github.com/weld-build/weld/display"
)

func init() { subcommands = append(subcommands, newLintCmd) }

// lintOptions are the flags of weld lint.
type lintOptions struct {
	fileOptions
	policyOptions
	format    string
	buildArgs []string
}

func newLintCmd(o *rootOptions) *cobra.Command {
	lo := &lintOptions{}
	cmd := &cobra.Command{
		Use:   "lint [flags] [STEP...]",
		Short: "Check the steps' base images against the policy and their Dockerfiles, without building",
		RunE:  func(cmd *cobra.Command, args []string) error { return lo.run(cmd, o, args) },
	}
	addFileFlags(cmd.Flags(), &lo.File)
	addPolicyFlag(cmd.Flags(), &lo.policyFile)
	cmd.Flags().StringVar(&lo.format, "format", "text", "output format: text or json")
	cmd.Flags().StringArrayVar(&lo.buildArgs, "build", nil, "build arg K=V for every step, as weld build takes it (repeatable)")
	return cmd
}

// run checks the selected steps as weld build would before it builds.
func (lo *lintOptions) run(cmd *cobra.Command, o *rootOptions, args []string) error {
	if lo.format != "text" && lo.format != "json" {
		return fmt.Errorf("%w: --format %q: use text or json", errBadInput, lo.format)
	}
	plan, err := lo.loadPlan(o)
	if err != nil {
		return err
	}
	steps, err := plan.Select(args...)
	if err != nil {
		return err
	}
	buildArgs, err := buildflags.ParseEnv("--build", lo.buildArgs)
	if err != nil {
		return err
	}
	pol, err := lo.loadPolicy(o, plan.Build())
	if err != nil {
		return err
	}
	red := buildflags.ArgRedactor(steps, buildArgs)
	redactLog(o, red, cmd.ErrOrStderr())
	// The checks weld build runs before it builds; no daemon (the
	// registry's credentials for require_signed_bases, as weld build).
	b, err := builder.New(builder.ConnectLazily(builder.ConnectOptions{}), builder.WithPolicy(pol), builder.WithBuildArgs(buildArgs),
		builder.WithRegistryAuth(builder.DockerAuth(io.Discard)))
	if err != nil {
		return err
	}
	findings, err := b.Check(cmd.Context(), plan, args...)
	if display.Refusals(red.Writer(cmd.ErrOrStderr()), err) {
		return &reportedError{red.Error(err)}
	} else if err != nil {
		return red.Error(err)
	}
	err = red.WriteAll(cmd.OutOrStdout(), func(w io.Writer) error {
		if lo.format == "json" {
			return findings.WriteJSON(w)
		}
		return findings.WriteText(w)
	})
	if err != nil {
		return err
	}
	if err := findings.Err(); err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "weld: "+red.String(err.Error()))
		return &reportedError{err}
	}
	return nil
}
