//go:build integration

package builder_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/builder"
)

// TestProvenanceLinearInChain: the provenance of the last step of a chain
// of FROM <step> grows with the chain, not doubling at each link (a
// Dockerfile passed as a frontend input once made a 10-link chain's
// provenance 4.6 MB: BuildKit records each input's own request).
func TestProvenanceLinearInChain(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	size := func(links int) int64 {
		files := map[string]string{}
		yml := "build:\n  version: 2016-03-14\n  steps:\n"
		for i := 1; i <= links; i++ {
			from := "busybox"
			if i > 1 {
				from = fmt.Sprintf("prov-%s-%d", n[:8], i-1)
			}
			yml += fmt.Sprintf("    s%d:\n      name: prov-%s-%d\n      dockerfile: Dockerfile.s%d\n", i, n[:8], i, i)
			if i < links {
				yml += "      publish: false\n"
			}
			files[fmt.Sprintf("Dockerfile.s%d", i)] = fmt.Sprintf("FROM %s\nCOPY --from=busybox /bin/busybox /bb%d\nRUN echo %d %s >>/chain\n", from, i, i, n)
		}
		files["build.yml"] = yml
		dir := writeProject(t, files)
		out := filepath.Join(t.TempDir(), "out")
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir,
			builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
		b.mustPass(t)
		return provenanceSize(t, filepath.Join(out, fmt.Sprintf("s%d", links)))
	}
	short, long := size(3), size(7)
	if short == 0 || long == 0 {
		t.Fatalf("no provenance found: %d and %d bytes", short, long)
	}
	// Linear: about 7/3. Doubling per link: 16.
	if long > 4*short {
		t.Errorf("the provenance of a 7-link chain is %d bytes, of a 3-link one %d: it grows faster than the chain", long, short)
	}
}

// provenanceSize is the size of the provenance layer of the layout at dir.
func provenanceSize(t *testing.T, dir string) int64 {
	t.Helper()
	read := func(d string, v any) {
		dt, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", d))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(dt, v); err != nil {
			t.Fatal(err)
		}
	}
	var layout, idx ocispecs.Index
	dt, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(dt, &layout); err != nil || len(layout.Manifests) != 1 {
		t.Fatalf("index.json of %s: %v", dir, err)
	}
	read(layout.Manifests[0].Digest.Encoded(), &idx)
	for _, m := range idx.Manifests {
		if m.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
			continue
		}
		var man ocispecs.Manifest
		read(m.Digest.Encoded(), &man)
		for _, l := range man.Layers {
			if l.Annotations["in-toto.io/predicate-type"] == "https://slsa.dev/provenance/v1" {
				return l.Size
			}
		}
	}
	return 0
}
