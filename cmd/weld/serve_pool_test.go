package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
)

// TestServePoolFlags: weld serve takes weld build's pool flags; a bad
// builders file, an address named twice or a staging repository with a
// tag is exit 2 before the server starts.
func TestServePoolFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tokens := write("tokens", "serve-token-a-0123456789abcdef a\n")
	good := write("good.yml", "- addr: unix:///a.sock\n- addr: tcp://127.0.0.1:1234\n  tls: {ca: ca.pem}\n  platforms: [linux/arm64]\n")
	bad := write("bad.yml", "- addr: unix:///a.sock\n  capacty: 2\n")
	opts := func(po poolOptions) *serveOptions {
		return &serveOptions{tokens: tokens, state: filepath.Join(dir, "state"), pool: po}
	}

	bc, err := opts(poolOptions{builders: good, staging: "127.0.0.1:5000/st"}).builderConfig()
	if err != nil || len(bc.Pool) != 2 || bc.Staging != "127.0.0.1:5000/st" || bc.Pool[1].Connect.TLSCACert != filepath.Join(dir, "ca.pem") ||
		bc.Pool[1].Platforms[0] != "linux/arm64" {
		t.Errorf("--builders good.yml: %+v, %v; want its two daemons (the CA beside the file, arm64) and the staging", bc, err)
	}
	if bc, err = opts(poolOptions{addrs: []string{"unix:///one.sock"}}).builderConfig(); err != nil || bc.Connect.Addr != "unix:///one.sock" || bc.Pool != nil {
		t.Errorf("one --addr: Connect %q Pool %v, %v; want the one daemon, no pool", bc.Connect.Addr, bc.Pool, err)
	}
	for _, tc := range []struct {
		name string
		po   poolOptions
		want string
	}{
		{"a bad builders file", poolOptions{builders: bad}, "bad.yml:2:3: unknown key \"capacty\""},
		{"an address twice", poolOptions{addrs: []string{"unix:///a.sock", "unix:///a.sock"}}, "named twice"},
		{"a bad address", poolOptions{addrs: []string{"http://x"}}, "address \"http://x\""},
		{"both", poolOptions{addrs: []string{"unix:///a.sock"}, builders: good}, "not both"},
		{"a staging tag", poolOptions{addrs: []string{"unix:///a.sock", "unix:///b.sock"}, staging: "127.0.0.1:5000/st:latest"}, "names a tag or digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := opts(tc.po).config()
			if !(errors.Is(err, errBadInput) || builder.IsBadInput(err)) || !strings.Contains(err.Error(), tc.want) { // exit 2
				t.Errorf("config() = %v, want a bad-input error (exit 2) containing %q", err, tc.want)
			}
		})
	}
}
