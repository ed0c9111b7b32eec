package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newAffectedCmd) }

// affectedOptions are the flags of weld affected.
type affectedOptions struct {
	fileOptions
	policyOptions
	base    string
	changed []string
	format  string
}

func newAffectedCmd(o *rootOptions) *cobra.Command {
	ao := &affectedOptions{}
	cmd := &cobra.Command{
		Use:   "affected [flags] (--base REF | --changed PATH...)",
		Short: "List the steps built on a base image, or whose context holds changed paths, and everything downstream",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && len(ao.changed) == 0 {
				return fmt.Errorf("%w: arguments are changed paths: give them after --changed", errBadInput)
			}
			changed := append(ao.changed, args...)
			if (ao.base == "") == (len(changed) == 0) {
				return fmt.Errorf("%w: give one of --base REF or --changed PATH (one or more)", errBadInput)
			}
			if ao.format != "text" && ao.format != "json" {
				return fmt.Errorf("%w: --format %q: use text or json", errBadInput, ao.format)
			}
			p, err := ao.loadPlan(o)
			if err != nil {
				return err
			}
			for _, c := range changed {
				if !filepath.IsAbs(c) {
					c = filepath.Join(p.Build().WorkDir, c)
				}
				if _, err := os.Lstat(c); err != nil {
					o.log.Warn(fmt.Sprintf("--changed %s: no such file; taken as deleted", c))
				}
			}
			labels := p.AffectedByPaths(changed...)
			if ao.base != "" {
				pol, err := ao.loadPolicy(o, p.Build())
				if err != nil {
					return err
				}
				if labels, err = pol.AffectedByBase(p, ao.base); err != nil {
					return err
				}
			}
			return ao.print(cmd, labels, changed)
		},
	}
	addFileFlags(cmd.Flags(), &ao.File)
	addPolicyFlag(cmd.Flags(), &ao.policyFile)
	cmd.Flags().StringVar(&ao.base, "base", "", "list the steps built on this image (a ref without a tag means every tag), and their dependents")
	cmd.Flags().StringArrayVar(&ao.changed, "changed", nil, "list the steps whose context holds these paths (relative to the work dir), and their dependents; more paths may follow as arguments")
	cmd.Flags().StringVar(&ao.format, "format", "text", "output format: text (one label per line) or json")
	return cmd
}

func (ao *affectedOptions) print(cmd *cobra.Command, labels, changed []string) error {
	if labels == nil {
		labels = []string{}
	}
	if ao.format == "json" {
		out := struct {
			Base    string   `json:"base,omitempty"`
			Changed []string `json:"changed,omitempty"`
			Steps   []string `json:"steps"`
		}{ao.base, changed, labels}
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, l := range labels {
		fmt.Fprintln(cmd.OutOrStdout(), l)
	}
	return nil
}
