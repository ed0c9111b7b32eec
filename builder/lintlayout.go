package builder

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/containerd/platforms"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/boundedio"
)

// maxImageBlob bounds an index, a manifest or an image config read from an
// OCI layout (real ones are kilobytes).
const maxImageBlob = 4 << 20

// layoutConfig reads, from the OCI layout at dir, the config of image d for
// platform p, as the daemon resolves an oci-layout:// base: d is a manifest,
// or an index whose best match for p is followed (to a depth of 4). Every
// blob is read through boundedio and checked against its digest.
func layoutConfig(dir string, d digest.Digest, p ocispecs.Platform) ([]byte, error) {
	match := platforms.Only(p)
	for range 4 {
		dt, err := layoutBlob(dir, d)
		if err != nil {
			return nil, err
		}
		var m struct {
			Config    *ocispecs.Descriptor  `json:"config"`
			Manifests []ocispecs.Descriptor `json:"manifests"`
		}
		if err := json.Unmarshal(dt, &m); err != nil {
			return nil, fmt.Errorf("parsing %s in OCI layout %s: %w", d, dir, err)
		}
		if m.Config != nil {
			return manifestConfig(dir, m.Config.Digest, match, p)
		}
		if d, err = bestManifest(m.Manifests, match); err != nil {
			return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
		}
	}
	return nil, fmt.Errorf("OCI layout %s: indexes nested too deep at %s", dir, d)
}

// manifestConfig reads a manifest's config and checks that it is for p.
func manifestConfig(dir string, d digest.Digest, match platforms.MatchComparer, p ocispecs.Platform) ([]byte, error) {
	cfg, err := layoutBlob(dir, d)
	if err != nil {
		return nil, err
	}
	var img ocispecs.Image
	if err := json.Unmarshal(cfg, &img); err != nil {
		return nil, fmt.Errorf("parsing image config %s in OCI layout %s: %w", d, dir, err)
	}
	if img.OS != "" && !match.Match(img.Platform) {
		return nil, fmt.Errorf("OCI layout %s: the image is for %s, not %s", dir, platforms.Format(img.Platform), platforms.Format(p))
	}
	return cfg, nil
}

// bestManifest picks, as containerd does, the index entry that matches
// best; entries without a platform come last.
func bestManifest(descs []ocispecs.Descriptor, match platforms.MatchComparer) (digest.Digest, error) {
	var cands []ocispecs.Descriptor
	for _, d := range descs {
		if d.Platform == nil || match.Match(*d.Platform) {
			cands = append(cands, d)
		}
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("no image for the platform")
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Platform == nil {
			return false
		}
		if cands[j].Platform == nil {
			return true
		}
		return match.Less(*cands[i].Platform, *cands[j].Platform)
	})
	return cands[0].Digest, nil
}

// layoutBlob reads one blob of an OCI layout and checks its digest.
func layoutBlob(dir string, d digest.Digest) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	dt, err := boundedio.ReadFile(filepath.Join(dir, ocispecs.ImageBlobsDir, d.Algorithm().String(), d.Encoded()), maxImageBlob)
	if err != nil {
		return nil, err
	}
	if d.Algorithm().FromBytes(dt) != d {
		return nil, fmt.Errorf("OCI layout %s: blob %s does not match its digest", dir, d)
	}
	return dt, nil
}
