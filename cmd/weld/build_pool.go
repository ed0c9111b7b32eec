package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/builder"
)

// poolOptions are the flags that name the daemons of a build: one
// (--addr, or none: $BUILDKIT_HOST, else weld's own) or a pool (--addr
// given more than once, or --builders FILE), and the staging registry
// through which a pool's daemons hand results over.
type poolOptions struct {
	addrs    []string
	builders string
	staging  string
}

func addPoolFlags(f *pflag.FlagSet, po *poolOptions) {
	bindPoolFlags(f, &po.addrs, &po.builders, &po.staging)
}

// bindPoolFlags declares --addr, --builders and --staging.
func bindPoolFlags(f *pflag.FlagSet, addrs *[]string, builders, staging *string) {
	f.StringArrayVar(addrs, "addr", nil, "BuildKit address: unix://, tcp://, docker-container://, kube-pod://, podman-container:// or ssh:// (default $BUILDKIT_HOST, else weld's own local daemon); repeat it for a pool of daemons")
	f.StringVar(builders, "builders", "", "a YAML `FILE` listing a pool of BuildKit daemons (- addr:, tls: {ca, cert, key, server_name}, capacity:, platforms:)")
	f.StringVar(staging, "staging", "", "`REGISTRY/PREFIX` through which a pool's daemons hand results over, by digest (nothing is tagged there)")
}

// daemons are the daemons the flags name (builder.Daemons: the pool file,
// the Solver).
func (po *poolOptions) daemons(tls builder.ConnectOptions) builder.Daemons {
	return builder.Daemons{Connect: tls, Addrs: po.addrs, BuildersFile: po.builders}
}

// serveDaemons are what weld serve builds on: one daemon (connect), or a
// pool of two or more (members), and the pool's staging repository; checked
// before the server starts (exit 2).
func (po *poolOptions) serveDaemons() (connect builder.ConnectOptions, members []builder.PoolMember, staging string, err error) {
	if members, err = po.daemons(builder.ConnectOptions{}).Members(); err != nil { // builder.ErrInvalid
		return connect, nil, "", err
	}
	switch {
	case members != nil:
		if _, err = builder.NewPool(members...); err != nil { // an address named twice
			return connect, nil, "", fmt.Errorf("%w: %v", errBadInput, err)
		}
	case len(po.addrs) == 1:
		connect.Addr = po.addrs[0]
	}
	if staging, err = builder.ParseStaging(po.staging); err != nil {
		return connect, nil, "", fmt.Errorf("%w: %w", errBadInput, err)
	}
	return connect, members, staging, nil
}
