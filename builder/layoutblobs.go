package builder

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/sign"
)

// checkLayoutBlobs hashes every blob that root names in the OCI layout
// dir (an index's manifests, each manifest's config and layers) and fails
// on the first one that is missing or does not match its descriptor's
// digest and size. A signature covers the root's digest only: a layer
// rewritten in the folder would otherwise pass weld verify as signed.
func checkLayoutBlobs(dir string, root ocispecs.Descriptor) error {
	fetch := layoutFetch(dir)
	var walk func(d ocispecs.Descriptor, depth int) error
	walk = func(d ocispecs.Descriptor, depth int) error {
		if depth > 4 {
			return fmt.Errorf("%s: indexes nested too deep", d.Digest)
		}
		switch d.MediaType {
		case ocispecs.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
			var idx ocispecs.Index
			if err := fetchJSON(d, fetch, &idx); err != nil {
				return err
			}
			for _, m := range idx.Manifests {
				if err := walk(m, depth+1); err != nil {
					return err
				}
			}
		case ocispecs.MediaTypeImageManifest, "application/vnd.docker.distribution.manifest.v2+json":
			var m ocispecs.Manifest
			if err := fetchJSON(d, fetch, &m); err != nil {
				return err
			}
			for _, b := range append([]ocispecs.Descriptor{m.Config}, m.Layers...) {
				if err := hashBlob(dir, b); err != nil {
					return err
				}
			}
		default:
			return hashBlob(dir, d)
		}
		return nil
	}
	return walk(root, 0)
}

// fetchJSON reads the blob d (checked against its digest) into v.
func fetchJSON(d ocispecs.Descriptor, fetch fetchFunc, v any) error {
	body, err := sign.ReadBlob(d, fetch)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: %w", d.Digest, err)
	}
	return nil
}

// hashBlob streams the blob d of the layout dir through its digest,
// reading at most d.Size+1 bytes.
func hashBlob(dir string, d ocispecs.Descriptor) error {
	if err := d.Digest.Validate(); err != nil {
		return err
	}
	f, err := boundedio.OpenRegular(filepath.Join(dir, ocispecs.ImageBlobsDir, d.Digest.Algorithm().String(), d.Digest.Encoded()))
	if err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	defer f.Close()
	v := d.Digest.Verifier()
	n, err := io.Copy(v, io.LimitReader(f, d.Size+1))
	if err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	switch {
	case n > d.Size:
		return fmt.Errorf("blob %s: it is larger than its descriptor's %d bytes: the folder was changed after the image was written", d.Digest, d.Size)
	case n < d.Size:
		return fmt.Errorf("blob %s: it holds %d bytes, its descriptor says %d: the folder was changed after the image was written", d.Digest, n, d.Size)
	case !v.Verified():
		return fmt.Errorf("blob %s: content does not match its digest: the folder was changed after the image was written", d.Digest)
	}
	return nil
}
