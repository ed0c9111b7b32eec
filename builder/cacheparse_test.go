package builder

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestParseCacheToFrom: a local export needs dest=, a local import src=,
// and mode is min or max.
func TestParseCacheToFrom(t *testing.T) {
	for _, tc := range []struct {
		parse func(string) (string, error)
		in    string
		ok    bool
	}{
		{cacheTo, "type=local,dest=d", true},
		{cacheTo, "type=local,src=d", false},
		{cacheFrom, "type=local,src=d", true},
		{cacheFrom, "type=local,dest=d", false},
		{cacheTo, "type=registry,ref=r,mode=max", true},
		{cacheTo, "type=registry,ref=r,mode=mid", false},
		{cacheFrom, "r", true},
	} {
		if typ, err := tc.parse(tc.in); (err == nil) != tc.ok {
			t.Errorf("parsing %q = %q, %v; want ok %v", tc.in, typ, err, tc.ok)
		}
	}
}

func cacheTo(s string) (string, error) {
	e, err := ParseCacheTo(s)
	return e.Type, err
}

func cacheFrom(s string) (string, error) {
	e, err := ParseCacheFrom(s)
	return e.Type, err
}

// TestWithSSHChecks: an agent without $SSH_AUTH_SOCK and a key file that
// is not there are ErrInvalid from New, before any daemon.
func TestWithSSHChecks(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	key := filepath.Join(t.TempDir(), "id")
	for _, spec := range []string{"default", "k=" + key} {
		if _, err := New(&fakeSolver{}, WithSSH(spec)); !errors.Is(err, ErrInvalid) {
			t.Errorf("New(WithSSH(%q)) = %v, want ErrInvalid", spec, err)
		}
	}
	t.Setenv("SSH_AUTH_SOCK", "/run/agent.sock")
	if _, err := New(&fakeSolver{}, WithSSH("default")); err != nil {
		t.Errorf("New(WithSSH(default)) with an agent = %v, want nil", err)
	}
}
