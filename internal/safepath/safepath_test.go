package safepath

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestJoin(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for _, l := range []struct{ name, target string }{
		{"out", outside}, // a folder outside
		{"out-file", filepath.Join(outside, "x")},     // a file outside, absent
		{"in", filepath.Join(root, "sub")},            // inside, to a folder
		{"rel-in", "sub"},                             // inside, relative
		{"rel-out", filepath.Join("..", "elsewhere")}, // outside, relative, absent
		{"loop", "loop"},                              // leads to itself
	} {
		if err := os.Symlink(l.target, filepath.Join(root, l.name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"app", true},
		{"a.b-c_d", true},
		{"..a", true}, // a name, not a parent (labels refuse it; Join need not)
		{"sub", true},
		{"in", true},
		{"rel-in", true},
		{"new-entry", true},
		{"", false},
		{".", false},
		{"..", false},
		{"a/b", false},
		{`a\b`, false},
		{"../x", false},
		{"../../../../victim", false},
		{"/etc", false},
		{"a\x00b", false},
		{"out", false},
		{"out-file", false},
		{"rel-out", false},
		{"loop", false},
	}
	for _, tc := range tests {
		got, err := Join(root, tc.name)
		if tc.ok {
			if want := filepath.Join(root, tc.name); err != nil || got != want {
				t.Errorf("Join(root, %q) = %q, %v; want %q, nil", tc.name, got, err, want)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrUnsafe) {
			t.Errorf("Join(root, %q) = %q, %v; want an error wrapping ErrUnsafe", tc.name, got, err)
		}
		if got != "" {
			t.Errorf("Join(root, %q) returned %q with an error; want \"\"", tc.name, got)
		}
	}
}

func TestJoinRelativeAndMissingRoot(t *testing.T) {
	tests := []struct {
		root, name string
		ok         bool
	}{
		{"no/such/root", "app", true},
		{"no/such/root", "..", false},
		{".", "app", true},
		{"", "app", true},
	}
	for _, tc := range tests {
		got, err := Join(tc.root, tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("Join(%q, %q) = %q, %v; want ok=%v", tc.root, tc.name, got, err, tc.ok)
		}
	}
}

// TestJoinSymlinkedRoot checks that a root reached through a symlink is
// compared by its real path: an entry that points back inside it is fine.
func TestJoinSymlinkedRoot(t *testing.T) {
	real := t.TempDir()
	if err := os.Mkdir(filepath.Join(real, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real, "a"), filepath.Join(real, "b")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "root")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if got, err := Join(link, "b"); err != nil || got != filepath.Join(link, "b") {
		t.Errorf("Join(link, b) = %q, %v; want %q, nil", got, err, filepath.Join(link, "b"))
	}
}
