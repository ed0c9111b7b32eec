package builder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/sign"
)

// An OCI folder output keeps the signatures an earlier run left beside the
// same image, as a registry's .sig does (sigappend.go): when the folder
// about to be replaced holds this image and a signature of it, the
// signature image keeps its layers as they are and gets the run's new
// signatures appended; a key that signed the digest is not added again, so
// an unchanged signed rebuild writes the same folder. A signature of
// another image goes with that image. An OCI tar output holds the run's
// signatures only.

// maxLayoutIndex bounds the index.json of an earlier OCI folder output.
const maxLayoutIndex = 4 << 20

// keepLayoutSignatures makes the signature image of img's staged layout
// the OCI folder final's, with img's new signatures appended, when final
// holds a signature of the same image. It runs under the output's lock,
// before the staged layout replaces final; a signature it cannot read
// stops the publish and final stays as it was.
func keepLayoutSignatures(img *stagedImage, final string) error {
	if img.sig == nil {
		return nil
	}
	root, err := img.root()
	if err != nil {
		return err
	}
	existing, err := layoutSignatures(final, root)
	if err != nil {
		return fmt.Errorf("reading the signatures in %s: %w (weld adds its signature to them; remove %s to start over)", final, err, final)
	}
	if existing == nil {
		return nil
	}
	si, err := sign.Append(existing, newSignatures(img, sign.Signatures(existing), root), root)
	if err != nil {
		return err
	}
	if err := addReferrer(img.dir, root, si); err != nil { // signing.go
		return fmt.Errorf("writing the signature into the staged image: %w", err)
	}
	return removeBlobsBut(img.dir, img.sig.Blobs(), si.Blobs())
}

// layoutSignatures are the signature layers that the OCI layout at dir
// holds for root: nil when there is no layout, it holds another image, or
// no signature of root.
func layoutSignatures(dir string, root ocispecs.Descriptor) ([]sign.Blob, error) {
	dt, err := boundedio.ReadFile(filepath.Join(dir, ocispecs.ImageIndexFile), maxLayoutIndex)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var idx ocispecs.Index
	if err := json.Unmarshal(dt, &idx); err != nil {
		return nil, fmt.Errorf("parsing index.json: %w", err)
	}
	images := imageEntries(idx.Manifests)
	sd, ok := signatureEntry(idx.Manifests)
	if !ok || len(images) != 1 || images[0].Digest != root.Digest {
		return nil, nil
	}
	fetch := func(d ocispecs.Descriptor) ([]byte, error) {
		p, err := blobPath(dir, d.Digest)
		if err != nil {
			return nil, err
		}
		return boundedio.ReadFile(p, d.Size)
	}
	manifest, err := sign.ReadBlob(sd, fetch)
	if err != nil {
		return nil, err
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("parsing the signature manifest: %w", err)
	}
	if m.Subject != nil && m.Subject.Digest != root.Digest {
		return nil, nil // the signature of another image
	}
	return sign.ReadLayers(manifest, fetch)
}

// removeBlobsBut removes from the layout at dir the blobs of old that keep
// does not name: the run's own signature image, replaced.
func removeBlobsBut(dir string, old, keep []sign.Blob) error {
	kept := map[digest.Digest]bool{}
	for _, b := range keep {
		kept[b.Desc.Digest] = true
	}
	for _, b := range old {
		if kept[b.Desc.Digest] {
			continue
		}
		p, err := blobPath(dir, b.Desc.Digest)
		if err != nil {
			return err
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
