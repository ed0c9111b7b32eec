package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/policy"
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if lo.format != "text" && lo.format != "json" {
				return fmt.Errorf("%w: --format %q: use text or json", errBadInput, lo.format)
			}
			in, p, err := lo.input(o, args)
			if err != nil {
				return err
			}
			red := argRedactor(in.Steps, in.BuildArgs) // redact.go
			redactLog(o, red, cmd.ErrOrStderr())
			_, findings, err := checkPolicy(cmd.Context(), o, lineRedactor{red, cmd.ErrOrStderr()}, in, p)
			if err != nil {
				return redactErr(red, err)
			}
			// weld build refuses these before building; lint reports them.
			secretArgs, _ := policy.CheckBuildArgs(p, in.Steps, in.BuildArgs)
			findings = append(policy.BuildArgFindings(secretArgs), findings...)
			err = redactedTo(red, cmd.OutOrStdout(), func(w io.Writer) error {
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
		},
	}
	addFileFlags(cmd.Flags(), &lo.fileOptions)
	addPolicyFlags(cmd.Flags(), &lo.policyOptions)
	cmd.Flags().StringVar(&lo.format, "format", "text", "output format: text or json")
	cmd.Flags().StringArrayVar(&lo.buildArgs, "build", nil, "build arg K=V for every step, as weld build takes it (repeatable)")
	return cmd
}

// input loads the build file, the policy and the selected steps.
func (lo *lintOptions) input(o *rootOptions, args []string) (policy.Input, *policy.Policy, error) {
	var in policy.Input
	plan, err := lo.loadPlan(o)
	if err != nil {
		return in, nil, err
	}
	steps, err := plan.Select(args...)
	if err != nil {
		return in, nil, err
	}
	buildArgs, err := parseEnv(lo.buildArgs)
	if err != nil {
		return in, nil, err
	}
	p, err := lo.loadPolicy(o, plan.Build())
	if err != nil {
		return in, nil, err
	}
	return policy.Input{Build: plan.Build(), Steps: steps, BuildArgs: buildArgs, Selected: args}, p, nil
}
