package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/sign"
)

func init() { subcommands = append(subcommands, newVerifyCmd) }

// verifyOptions are the flags of weld verify.
type verifyOptions struct {
	keys       []string
	policyFile string
	format     string
}

// errUnsafe is an image weld verify found unsafe: exit 1.
var errUnsafe = errors.New("not safe")

func newVerifyCmd(o *rootOptions) *cobra.Command {
	vo := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [flags] IMAGE...",
		Short: "Check images before they run: signature, weld's labels, base against banned_bases",
		Long: `Check images before they run: a signature that one --key verifies, weld's
labels, and the base recorded in them against the policy's banned_bases.
IMAGE is a registry ref, oci-layout://DIR[:TAG] or docker-daemon:REF (an
image in the engine at $DOCKER_HOST). Exit 0: every image is safe; 1: one
is not (the reason is printed); 2: bad usage.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := vo.options()
			if err != nil {
				return err
			}
			for _, img := range args {
				if strings.Contains(img, "://") && !strings.HasPrefix(img, builder.LayoutPrefix) {
					return fmt.Errorf("%w: %q: name a registry ref, %sDIR[:TAG] or %sREF", errBadInput, img, builder.LayoutPrefix, builder.DockerDaemonPrefix)
				}
			}
			verdicts := make([]builder.Verdict, 0, len(args))
			for _, img := range args {
				verdicts = append(verdicts, builder.VerifyImage(cmd.Context(), img, opts))
			}
			if err := vo.print(cmd.OutOrStdout(), verdicts); err != nil {
				return err
			}
			for _, v := range verdicts {
				if !v.Safe {
					return &reportedError{errUnsafe}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&vo.keys, "key", nil, "public key `FILE` (PEM, as cosign.pub) a signature must verify with; repeatable (one is enough); without it the signature is not checked")
	f.StringVar(&vo.policyFile, "policy", "", "policy file whose banned_bases the images' bases must avoid")
	f.StringVar(&vo.format, "format", "text", "output: text or json")
	return cmd
}

// options check the flags and read the keys and the policy.
func (vo *verifyOptions) options() (builder.VerifyOptions, error) {
	opts := builder.VerifyOptions{Auth: builder.DockerAuth(io.Discard)}
	if vo.format != "text" && vo.format != "json" {
		return opts, fmt.Errorf("%w: --format %q: use text or json", errBadInput, vo.format)
	}
	for _, k := range vo.keys {
		pemBytes, err := boundedio.ReadFile(k, boundedio.MaxPolicyFile)
		if err != nil {
			return opts, fmt.Errorf("%w: --key %s: %v", errBadInput, k, err)
		}
		v, err := sign.ParsePublicKey(k, pemBytes)
		if err != nil {
			return opts, fmt.Errorf("%w: --key %v", errBadInput, err)
		}
		opts.Keys = append(opts.Keys, v)
	}
	if vo.policyFile != "" {
		p, err := policy.Load(vo.policyFile)
		if err != nil {
			return opts, err
		}
		opts.Policy = p
	}
	return opts, nil
}

func (vo *verifyOptions) print(w io.Writer, verdicts []builder.Verdict) error {
	if vo.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"images": verdicts})
	}
	for _, v := range verdicts {
		state := "safe"
		if !v.Safe {
			state = "NOT SAFE: " + v.Reason()
		}
		fmt.Fprintf(w, "%s: %s\n", v.Image, state)
		for _, c := range v.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "  %s %-9s %s\n", mark, c.Name, c.Detail)
		}
	}
	return nil
}
