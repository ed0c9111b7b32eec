package builder

import (
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
)

// TestSetConfigDigest: a staged index (image + attestation) gets its one
// image's config digest in the response; a response that names one keeps
// it, and a step with platforms gets none.
func TestSetConfigDigest(t *testing.T) {
	f := newFixture(t, "layer")
	for _, tc := range []struct {
		name      string
		have      string
		platforms []string
		want      string
	}{
		{name: "index", want: f.config.Digest.String()},
		{name: "named by BuildKit", have: "sha256:given", want: "sha256:given"},
		{name: "platforms", platforms: []string{"linux/amd64", "linux/arm64"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := f.staged("app")
			img.step.Platforms = tc.platforms
			resp := &client.SolveResponse{ExporterResponse: map[string]string{}}
			if tc.have != "" {
				resp.ExporterResponse[exptypes.ExporterImageConfigDigestKey] = tc.have
			}
			setConfigDigest(img, resp)
			if got := resp.ExporterResponse[exptypes.ExporterImageConfigDigestKey]; got != tc.want {
				t.Errorf("config digest = %q, want %q", got, tc.want)
			}
		})
	}
}
