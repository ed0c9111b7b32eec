package buildflags

import (
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
)

// TestServeDaemons: one --addr is the one daemon, two a pool; an address
// twice or a staging repository with a tag is bad input.
func TestServeDaemons(t *testing.T) {
	c, members, _, err := ServeDaemons([]string{"unix:///one.sock"}, "", "")
	if err != nil || c.Addr != "unix:///one.sock" || members != nil {
		t.Errorf("one --addr: %q, %v, %v; want the one daemon, no pool", c.Addr, members, err)
	}
	_, members, repo, err := ServeDaemons([]string{"unix:///a.sock", "unix:///b.sock"}, "", "127.0.0.1:5000/st")
	if err != nil || len(members) != 2 || repo != "127.0.0.1:5000/st" {
		t.Errorf("two --addr: %v, %q, %v; want a pool of two and the staging", members, repo, err)
	}
	for _, tc := range []struct {
		addrs   []string
		staging string
		want    string
	}{
		{[]string{"unix:///a.sock", "unix:///a.sock"}, "", "named twice"},
		{[]string{"unix:///a.sock", "unix:///b.sock"}, "127.0.0.1:5000/st:latest", "names a tag or digest"},
	} {
		_, _, _, err := ServeDaemons(tc.addrs, "", tc.staging)
		if !builder.IsBadInput(err) || !strings.Contains(err.Error(), tc.want) || strings.Count(err.Error(), "bad input") != 1 {
			t.Errorf("ServeDaemons(%q, %q) = %v, want bad input (said once) containing %q", tc.addrs, tc.staging, err, tc.want)
		}
	}
}
