package builder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/session/secrets/secretsprovider"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/boundedio"
)

// TestSecretLimitIsBuildKits checks that weld refuses exactly the secrets
// BuildKit would refuse to serve, before anything builds.
func TestSecretLimitIsBuildKits(t *testing.T) {
	if boundedio.MaxSecret != secretsprovider.MaxSecretSize {
		t.Errorf("boundedio.MaxSecret = %d, want BuildKit's secretsprovider.MaxSecretSize %d", boundedio.MaxSecret, secretsprovider.MaxSecretSize)
	}
}

// TestReadSecretsBounded checks that a secret file that is a FIFO, a device
// or too big is refused at once, as ErrSecret, from build.yml or --secret.
func TestReadSecretsBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", boundedio.MaxSecret+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := filepath.Join(dir, "ok")
	if err := os.WriteFile(ok, []byte(strings.Repeat("x", boundedio.MaxSecret)), 0o600); err != nil {
		t.Fatal(err)
	}
	none := func(string) (string, bool) { return "", false }
	tests := []struct {
		name string
		src  string
		want string // "" for no error
	}{
		{"fifo", fifo, "named pipe"},
		{"/dev/zero", "/dev/zero", "character device"},
		{"too big", big, "over weld's limit of 512000 bytes"},
		{"at the limit", ok, ""},
	}
	for _, tc := range tests {
		for _, global := range []bool{false, true} {
			step := &dag.Step{Label: "a"}
			var specs []SecretSpec
			if global {
				specs = []SecretSpec{{ID: "t", Src: tc.src}}
			} else {
				step.Secrets = []dag.Secret{{ID: "t", Type: dag.SecretFile, Value: tc.src}}
			}
			start := time.Now()
			perStep, glob, err := readSecrets([]*dag.Step{step}, specs, none)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s (global %v): readSecrets took %v", tc.name, global, d)
			}
			if tc.want == "" {
				if err != nil || len(perStep["a"]["t"])+len(glob["t"]) != boundedio.MaxSecret {
					t.Errorf("%s (global %v): readSecrets = %v, want the whole secret", tc.name, global, err)
				}
				continue
			}
			if !errors.Is(err, ErrSecret) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s (global %v): readSecrets = %v, want ErrSecret holding %q", tc.name, global, err, tc.want)
			}
		}
	}
}
