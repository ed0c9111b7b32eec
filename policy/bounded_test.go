package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/internal/itest"
)

// TestLoadBounded checks that a policy file is read only when it is a
// regular file within boundedio.MaxPolicyFile, and that a refusal is bad
// input (dag.ErrInvalid, exit 2) at the file.
func TestLoadBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := itest.FIFO(t, filepath.Join(dir, "fifo.yml"))
	zero := itest.Symlink(t, "/dev/zero", filepath.Join(dir, "zero.yml"))
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, []byte("#"+strings.Repeat("x", boundedio.MaxPolicyFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{fifo, "reading the policy file: it is a named pipe (FIFO), not a regular file"},
		{zero, "reading the policy file: it is a character device"},
		{big, "reading the policy file: it is 1048577 bytes (1.0 MiB), over weld's limit of 1048576 bytes"},
	} {
		start := time.Now()
		_, err := Load(tc.path)
		if time.Since(start) > 5*time.Second {
			t.Errorf("Load(%s) took %v", tc.path, time.Since(start))
		}
		var list dag.ErrorList
		if !errors.As(err, &list) || !errors.Is(err, dag.ErrInvalid) || !strings.Contains(err.Error(), tc.want) || list[0].Pos.File != tc.path {
			t.Errorf("Load(%s) = %v; want an ErrInvalid at the file holding %q", tc.path, err, tc.want)
		}
	}
}
