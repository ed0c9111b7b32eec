package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestWorkDirOutputs: with no engine, the work dir's store; a .weld that
// leads out of the work dir is ErrOutput.
func TestWorkDirOutputs(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	dir := t.TempDir()
	outs, err := WorkDirOutputs(context.Background(), dir)
	if err != nil || len(outs) != 1 || outs[0].Type != OutputStore || outs[0].Dest != filepath.Join(dir, ".weld", "images") {
		t.Errorf("WorkDirOutputs = %+v, %v; want the store %s/.weld/images", outs, err, dir)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, ".weld")); err != nil {
		t.Fatal(err)
	}
	if outs, err := WorkDirOutputs(context.Background(), dir); !errors.Is(err, ErrOutput) {
		t.Errorf("WorkDirOutputs(.weld elsewhere) = %+v, %v; want ErrOutput", outs, err)
	}
}
