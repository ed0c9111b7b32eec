//go:build integration

package builder_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
)

// TestStagedExportSharesBaseBlobs: two images on one base, exported by
// their sessions into the run's staging (stagedstore.go), hold the base's
// layer as one file: it crossed the session once. Their OCI outputs are
// whole (every blob is its digest).
func TestStagedExportSharesBaseBlobs(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"Dockerfile.a": "FROM busybox\nRUN echo a " + n + " > /a\n",
		"Dockerfile.b": "FROM busybox\nRUN echo b " + n + " > /b\n",
		"build.yml": `build:
  version: 2016-03-14
  steps:
    a:
      name: weld-it-shared-a
      dockerfile: Dockerfile.a
    b:
      name: weld-it-shared-b
      dockerfile: Dockerfile.b
`,
	})
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, e.imageOpt(t, "busybox", "busybox"),
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
	b.mustPass(t)
	da, db := readLayoutDigests(t, filepath.Join(out, "a")), readLayoutDigests(t, filepath.Join(out, "b"))
	inB := map[string]bool{}
	for _, h := range db.Blobs {
		inB[h] = true
	}
	shared := 0
	for _, h := range da.Blobs {
		if !inB[h] {
			continue
		}
		shared++
		fa, err1 := os.Stat(blobFile(filepath.Join(out, "a"), h))
		fb, err2 := os.Stat(blobFile(filepath.Join(out, "b"), h))
		if err1 != nil || err2 != nil || !os.SameFile(fa, fb) {
			t.Errorf("blob %s is in both layouts as two files: exported twice", h)
		}
	}
	if shared == 0 {
		t.Fatal("the two images share no blob: the base layer is missing from one")
	}
	if ents, _ := os.ReadDir(filepath.Join(out, ".weld-staging")); len(ents) != 0 {
		t.Errorf("the run left %d entries in staging", len(ents))
	}
}
