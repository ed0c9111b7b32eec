package serve

import (
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
)

// TestScrubberHidesThePool: the pool's TLS files and unix sockets (and
// the one daemon's) show as placeholders in what a tenant sees.
func TestScrubberHidesThePool(t *testing.T) {
	t.Setenv("BUILDKIT_HOST", "unix:///srv/default/buildkitd.sock")
	r := &builderRunner{cfg: BuilderConfig{StateDir: t.TempDir(), Pool: []builder.PoolMember{
		{Connect: builder.ConnectOptions{Addr: "unix:///srv/bk1/buildkitd.sock"}},
		{Connect: builder.ConnectOptions{Addr: "tcp://10.0.0.2:1234", TLSCACert: "/etc/weld/certs/ca.pem",
			TLSCert: "/etc/weld/certs/client.pem", TLSKey: "/etc/weld/certs/client-key.pem"}},
	}}}
	job := &Job{ID: "x", Tenant: "a", Dir: t.TempDir(), File: "build.yml"}
	got := r.scrubber(job).String("at unix:///srv/bk1/buildkitd.sock and unix:///srv/default/buildkitd.sock: open /etc/weld/certs/ca.pem; " +
		"open /etc/weld/certs/client.pem; open /etc/weld/certs/client-key.pem; tcp://10.0.0.2:1234")
	want := "at unix://[daemon] and unix://[daemon]: open [tls]; open [tls]; open [tls]; tcp://10.0.0.2:1234"
	if got != want {
		t.Errorf("scrubbed:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(got, "/srv/") || strings.Contains(got, "/etc/") {
		t.Errorf("a server path is left: %s", got)
	}
}
