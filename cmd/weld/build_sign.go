package main

import (
	"github.com/spf13/pflag"

	"github.com/weld-build/weld/builder"
)

// signOptions are weld build's signing flags: buildOptions.sign,
// addSignFlags and sign.options() in builderOptions (build_flags.go).
type signOptions struct {
	keys         []string
	passwordFile string
}

func addSignFlags(f *pflag.FlagSet, so *signOptions) {
	f.StringArrayVar(&so.keys, "sign-key", nil, "sign every published image with this private key `FILE` (cosign's encrypted key, password from $COSIGN_PASSWORD or --sign-password-file, or a PEM ECDSA P-256 or ed25519 key); repeatable")
	f.StringVar(&so.passwordFile, "sign-password-file", "", "read the password of encrypted --sign-key files from this `FILE` (default $COSIGN_PASSWORD)")
}

// options map the flags to builder options; the password comes from the
// file, else from $COSIGN_PASSWORD (builder.ReadSignPassword).
func (so *signOptions) options() ([]builder.Option, error) {
	pw, err := builder.ReadSignPassword(so.passwordFile)
	if err != nil {
		return nil, err
	}
	opts := []builder.Option{builder.WithSignPassword(pw)}
	for _, k := range so.keys {
		opts = append(opts, builder.WithSignKey(k))
	}
	return opts, nil
}
