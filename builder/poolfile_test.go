package builder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDaemons: the daemons weld build's flags name, as an embedder gets
// them: a builders file (TLS files next to it), several addresses, one;
// every mistake is ErrInvalid before any daemon is contacted.
func TestDaemons(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "b.yml")
	if err := os.WriteFile(file, []byte("- addr: tcp://127.0.0.1:1234\n  tls: {ca: ca.pem}\n  capacity: 3\n- addr: unix:///run/b.sock\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("- addr: http://x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tls := ConnectOptions{TLSCACert: "ca"}
	for _, tc := range []struct {
		name    string
		d       Daemons
		want    []PoolMember
		wantErr string
	}{
		{name: "file", d: Daemons{BuildersFile: file}, want: []PoolMember{
			{Connect: ConnectOptions{Addr: "tcp://127.0.0.1:1234", TLSCACert: filepath.Join(dir, "ca.pem")}, Capacity: 3},
			{Connect: ConnectOptions{Addr: "unix:///run/b.sock"}, Capacity: 1}}},
		{name: "addrs", d: Daemons{Connect: tls, Addrs: []string{"unix:///a", "unix:///b"}}, want: []PoolMember{
			{Connect: ConnectOptions{Addr: "unix:///a", TLSCACert: "ca"}, Capacity: 1},
			{Connect: ConnectOptions{Addr: "unix:///b", TLSCACert: "ca"}, Capacity: 1}}},
		{name: "one addr", d: Daemons{Addrs: []string{"unix:///a"}}},
		{name: "none", d: Daemons{}},
		{name: "both", d: Daemons{BuildersFile: file, Addrs: []string{"unix:///a"}}, wantErr: "not both"},
		{name: "bad addr", d: Daemons{Addrs: []string{"unix:///a", "http://b"}}, wantErr: `address "http://b"`},
		{name: "bad file", d: Daemons{BuildersFile: bad}, wantErr: "bad.yml:1:9:"},
		{name: "missing file", d: Daemons{BuildersFile: filepath.Join(dir, "none.yml")}, wantErr: "none.yml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.d.Members()
			if tc.wantErr != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Members() error = %v, want ErrInvalid naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Members() (-want +got):\n%s", diff)
			}
			s, closeSolver, err := tc.d.Solver()
			if err != nil {
				t.Fatal(err)
			}
			defer closeSolver()
			if _, isPool := s.(*Pool); isPool != (tc.want != nil) {
				t.Errorf("Solver() = %T, want a *Pool: %v", s, tc.want != nil)
			}
		})
	}
}
