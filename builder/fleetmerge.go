package builder

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/util/attestation"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// mergeParts writes into the staged layout dir, where the sessions of a
// split step's parts exported their indexes (resps, one per part), the
// index one session would have exported for all of the step's platforms,
// as BuildKit's exporter lays it out (exporter/containerimage/writer.go):
// the image manifests in the step's platform order, then their
// attestation manifests in the same order, indented as BuildKit writes
// it, with the first part's annotations. It returns the first part's
// exporter response naming that index.
func mergeParts(dir string, stepPlatforms []string, resps []*client.SolveResponse) (*client.SolveResponse, error) {
	images := map[string]ocispecs.Descriptor{}        // by platform
	atts := map[digest.Digest][]ocispecs.Descriptor{} // by the image they describe
	var first ocispecs.Index
	var firstRoot ocispecs.Descriptor
	for i, resp := range resps {
		root, err := exportedRoot(resp)
		if err != nil {
			return nil, err
		}
		var idx ocispecs.Index
		if err := readBlob(dir, root, &idx); err != nil {
			return nil, fmt.Errorf("reading the index of part %d: %w", i+1, err)
		}
		if i == 0 {
			first, firstRoot = idx, root
		}
		for _, m := range idx.Manifests {
			if m.Annotations[annotationRefType] == attestationRefType {
				ref := digest.Digest(m.Annotations[attestation.DockerAnnotationReferenceDigest])
				atts[ref] = append(atts[ref], m)
				continue
			}
			if m.Platform == nil {
				return nil, fmt.Errorf("part %d's index has a manifest %s without a platform", i+1, m.Digest)
			}
			k := platformKey(platforms.Format(*m.Platform))
			if _, dup := images[k]; dup {
				return nil, fmt.Errorf("two parts built platform %s", k)
			}
			images[k] = m
		}
	}
	if len(images) != len(stepPlatforms) {
		return nil, fmt.Errorf("the parts built %d platforms, the step has %d", len(images), len(stepPlatforms))
	}
	merged := first
	merged.Manifests = nil
	var tail []ocispecs.Descriptor
	for _, p := range stepPlatforms {
		m, ok := images[platformKey(p)]
		if !ok {
			return nil, fmt.Errorf("no part built platform %s", p)
		}
		merged.Manifests = append(merged.Manifests, m)
		tail = append(tail, atts[m.Digest]...)
	}
	merged.Manifests = append(merged.Manifests, tail...)
	dt, err := json.MarshalIndent(merged, "", "  ")
	if err != nil {
		return nil, err
	}
	root := firstRoot
	root.Digest, root.Size = digest.FromBytes(dt), int64(len(dt))
	if err := writeBlobBytes(dir, root.Digest, dt); err != nil {
		return nil, err
	}
	out := &client.SolveResponse{ExporterResponse: maps.Clone(resps[0].ExporterResponse)}
	return out, setExportedRoot(out, root)
}

// errNoPart marks an exporter response that names no image.
var errNoPart = errors.New("the session exported no image")

// exportedRoot is the root descriptor an image exporter's response names.
func exportedRoot(resp *client.SolveResponse) (ocispecs.Descriptor, error) {
	var desc ocispecs.Descriptor
	if resp == nil || resp.ExporterResponse[exptypes.ExporterImageDescriptorKey] == "" {
		return desc, errNoPart
	}
	raw, err := base64.StdEncoding.DecodeString(resp.ExporterResponse[exptypes.ExporterImageDescriptorKey])
	if err != nil {
		return desc, err
	}
	return desc, json.Unmarshal(raw, &desc)
}
