package builder

import (
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
)

// setConfigDigest makes the exporter response in resp (when there is one)
// name the config of the staged image of a step without platforms, as
// BuildKit's response does for a single manifest: with an attestation the
// root is an index, and BuildKit's response then names no config. It is
// the image ID a docker engine gives the loaded image, whatever the
// outputs. A layout it cannot read leaves the response as it is: the
// checks, which read every blob, report it.
func setConfigDigest(img *stagedImage, resp *client.SolveResponse) {
	if resp == nil || resp.ExporterResponse == nil || len(img.step.Platforms) > 0 {
		return
	}
	if resp.ExporterResponse[exptypes.ExporterImageConfigDigestKey] != "" {
		return
	}
	if m, err := imageManifest(img); err == nil { // export_docker.go
		resp.ExporterResponse[exptypes.ExporterImageConfigDigestKey] = m.Config.Digest.String()
	}
}
