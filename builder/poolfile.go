package builder

import (
	"errors"
	"fmt"

	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/internal/poolfile"
)

// The daemons of a pool, as weld build names them: a builders file
// (--builders FILE) or several addresses (--addr repeated). An embedder
// gets the same pool as weld build from the same file.

// maxPoolFile bounds a builders file.
const maxPoolFile = 1 << 20

// ReadPoolFile reads the builders file at path (a YAML list of `- addr:`,
// `tls: {ca, cert, key, server_name}`, `capacity:`, `platforms:`; TLS
// files relative to the file's folder) and returns its daemons for
// NewPool. A file that cannot be used is an error that matches ErrInvalid,
// FILE:LINE:COL where it has a position.
func ReadPoolFile(path string) ([]PoolMember, error) {
	data, err := boundedio.ReadFile(path, maxPoolFile)
	if err != nil {
		return nil, fmt.Errorf("%w: builders file: %w", ErrInvalid, err)
	}
	list, err := poolfile.Parse(path, data)
	if err != nil {
		return nil, invalidPoolFile{err}
	}
	out := make([]PoolMember, 0, len(list))
	for _, b := range list {
		m := PoolMember{Connect: ConnectOptions{Addr: b.Addr}, Capacity: b.Capacity, Platforms: b.Platforms}
		if b.TLS != nil {
			m.Connect.TLSCACert, m.Connect.TLSCert, m.Connect.TLSKey, m.Connect.TLSServerName = b.TLS.CA, b.TLS.Cert, b.TLS.Key, b.TLS.ServerName
		}
		out = append(out, m)
	}
	return out, nil
}

// invalidPoolFile is a builders file's FILE:LINE:COL error, shown as it
// is; it matches ErrInvalid.
type invalidPoolFile struct{ error }

func (e invalidPoolFile) Is(target error) bool { return target == ErrInvalid }
func (e invalidPoolFile) Unwrap() error        { return e.error }

// PoolAddrs are the daemons at addrs as the members of a pool, each with
// the TLS files of tls and a capacity of 1; nil for fewer than two
// addresses (one daemon is not a pool). An address weld cannot use is an
// error that matches ErrInvalid (CheckAddrs).
func PoolAddrs(tls ConnectOptions, addrs ...string) ([]PoolMember, error) {
	if err := CheckAddrs(addrs...); err != nil {
		return nil, err
	}
	if len(addrs) < 2 {
		return nil, nil
	}
	out := make([]PoolMember, 0, len(addrs))
	for _, a := range addrs {
		m := tls
		m.Addr = a
		out = append(out, PoolMember{Connect: m, Capacity: 1})
	}
	return out, nil
}

// CheckAddrs checks BuildKit addresses without contacting any: each is
// unix://, tcp://HOST:PORT, docker-container://, kube-pod://,
// podman-container:// or ssh://. A bad one matches ErrInvalid.
func CheckAddrs(addrs ...string) error {
	var errs []error
	for _, a := range addrs {
		if !poolfile.ValidAddr(a) {
			errs = append(errs, fmt.Errorf("%w: address %q: use unix://PATH, tcp://HOST:PORT, docker-container://NAME, kube-pod://POD, podman-container://NAME or ssh://USER@HOST", ErrInvalid, a))
		}
	}
	return errors.Join(errs...)
}

// Daemons name the daemons a build runs on, as weld build's flags do: one
// (Connect, with Addrs holding at most its address; none: $BUILDKIT_HOST,
// else weld's own) or a pool (Addrs with two or more, or BuildersFile).
type Daemons struct {
	// Connect is the one daemon, and the TLS files of every Addrs member.
	Connect ConnectOptions
	// Addrs are addresses: one replaces Connect.Addr, more make a pool.
	Addrs []string
	// BuildersFile is a builders file (ReadPoolFile); not with Addrs.
	BuildersFile string
}

// Members are the daemons of the pool, or nil for one daemon. Nothing is
// contacted; a bad address or file matches ErrInvalid.
func (d Daemons) Members() ([]PoolMember, error) {
	if d.BuildersFile != "" && len(d.Addrs) > 0 {
		return nil, fmt.Errorf("%w: give a builders file or addresses, not both (list every daemon in the file)", ErrInvalid)
	}
	if d.BuildersFile != "" {
		return ReadPoolFile(d.BuildersFile)
	}
	return PoolAddrs(d.Connect, d.Addrs...)
}

// Solver is the Solver a build runs on: a lazily connected client of the
// one daemon (ConnectLazily: no daemon before Run's checks pass), or the
// pool (NewPool); close it when the build is done.
func (d Daemons) Solver() (Solver, func() error, error) {
	members, err := d.Members()
	if err != nil {
		return nil, nil, err
	}
	if members == nil {
		c := d.Connect
		if len(d.Addrs) == 1 {
			c.Addr = d.Addrs[0]
		}
		lc := ConnectLazily(c)
		return lc, lc.Close, nil
	}
	p, err := NewPool(members...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return p, p.Close, nil
}
