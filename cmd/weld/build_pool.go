package main

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/internal/poolfile"
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
	f.StringArrayVar(&po.addrs, "addr", nil, "BuildKit address: unix://, tcp://, docker-container://, kube-pod://, podman-container:// or ssh:// (default $BUILDKIT_HOST, else weld's own local daemon); repeat it for a pool of daemons")
	f.StringVar(&po.builders, "builders", "", "a YAML `FILE` listing a pool of BuildKit daemons (- addr:, tls: {ca, cert, key, server_name}, capacity:, platforms:)")
	f.StringVar(&po.staging, "staging", "", "`REGISTRY/PREFIX` through which a pool's daemons hand results over, by digest (nothing is tagged there)")
}

// inputError is a bad-input error shown as it is (FILE:LINE:COL: …).
type inputError struct{ error }

func (e inputError) Is(target error) bool { return target == errBadInput }
func (e inputError) Unwrap() error        { return e.error }

// members are the daemons of a pool, or nil for one daemon.
func (po *poolOptions) members(tls builder.ConnectOptions) ([]builder.PoolMember, error) {
	if po.builders != "" && len(po.addrs) > 0 {
		return nil, fmt.Errorf("%w: give --builders FILE or --addr, not both (list every daemon in the file)", errBadInput)
	}
	if po.builders != "" {
		data, err := boundedio.ReadFile(po.builders, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("%w: --builders: %v", errBadInput, err)
		}
		list, err := poolfile.Parse(po.builders, data)
		if err != nil {
			return nil, inputError{err}
		}
		var out []builder.PoolMember
		for _, b := range list {
			m := builder.PoolMember{Connect: builder.ConnectOptions{Addr: b.Addr}, Capacity: b.Capacity, Platforms: b.Platforms}
			if b.TLS != nil {
				m.Connect.TLSCACert, m.Connect.TLSCert, m.Connect.TLSKey, m.Connect.TLSServerName = b.TLS.CA, b.TLS.Cert, b.TLS.Key, b.TLS.ServerName
			}
			out = append(out, m)
		}
		return out, nil
	}
	if len(po.addrs) < 2 {
		return nil, nil
	}
	var out []builder.PoolMember
	for _, a := range po.addrs {
		m := tls
		m.Addr = a
		out = append(out, builder.PoolMember{Connect: m, Capacity: 1})
	}
	return out, nil
}

// solver is the Solver a build runs on: a lazily connected client of the
// one daemon, or the pool.
func (bo *buildOptions) solver() (builder.Solver, func() error, error) {
	members, err := bo.pool.members(bo.connect)
	if err != nil {
		return nil, nil, err
	}
	if members == nil {
		if len(bo.pool.addrs) == 1 {
			bo.connect.Addr = bo.pool.addrs[0]
		}
		c := builder.ConnectLazily(bo.connect) // no daemon before the checks pass
		return c, c.Close, nil
	}
	p, err := builder.NewPool(members...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errBadInput, err)
	}
	return p, p.Close, nil
}

// checkAddrs checks every --addr before any daemon is contacted.
func (po *poolOptions) checkAddrs() error {
	var errs []error
	for _, a := range po.addrs {
		if !poolfile.ValidAddr(a) {
			errs = append(errs, fmt.Errorf("%w: --addr %q: use unix://PATH, tcp://HOST:PORT, docker-container://NAME, kube-pod://POD, podman-container://NAME or ssh://USER@HOST", errBadInput, a))
		}
	}
	return errors.Join(errs...)
}

// daemons are what weld serve builds on: one daemon (connect), or a pool
// of two or more (members), and the pool's staging repository; checked
// before the server starts (exit 2).
func (po *poolOptions) daemons() (connect builder.ConnectOptions, members []builder.PoolMember, staging string, err error) {
	if err = po.checkAddrs(); err != nil {
		return connect, nil, "", err
	}
	if members, err = po.members(builder.ConnectOptions{}); err != nil {
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
