//go:build integration

package builder

import (
	"context"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestRegistryExporterPushesStagedIndex: the registry exporter pushes a
// staged layout (index, image and attestation manifests, blobs) to the
// real registry scripts/test.sh starts, over plain HTTP on loopback; the
// tag then serves the staged index's digest, and each manifest it names
// is there by digest.
func TestRegistryExporterPushesStagedIndex(t *testing.T) {
	reg := os.Getenv("WELD_TEST_REGISTRY")
	if reg == "" {
		t.Fatal("TestRegistryExporterPushesStagedIndex needs WELD_TEST_REGISTRY (a running registry at 127.0.0.1:PORT); run scripts/test.sh")
	}
	f := newFixture(t, "layer-"+time.Now().String())
	name := reg + "/weld-it/exporter:v1"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := (&registryExporter{}).Publish(ctx, f.staged(name))
	if err != nil || !slices.Equal(got, []string{"registry:" + name}) {
		t.Fatalf("Publish = %q, %v; want [registry:%s]", got, err, name)
	}
	for ref, want := range map[string]ocispecs.Descriptor{"v1": f.root, f.image.Digest.String(): f.image, f.attest.Digest.String(): f.attest} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodHead, "http://"+reg+"/v2/weld-it/exporter/manifests/"+ref, nil)
		req.Header.Set("Accept", ocispecs.MediaTypeImageIndex+", "+ocispecs.MediaTypeImageManifest)
		resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if d := resp.Header.Get("Docker-Content-Digest"); resp.StatusCode != http.StatusOK || d != want.Digest.String() {
			t.Errorf("HEAD manifests/%s = %d %s, want 200 %s", ref, resp.StatusCode, d, want.Digest)
		}
	}
}
