package builder

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/atomicfile"
)

// mergeLayout moves the blobs of this run's staged layout at src into the
// store dst and points dst's index at src's image under name, replacing an
// image of that name. The caller holds dst's lock. Blobs go in first, each
// whole (synced, then renamed), and the index last, rewritten in one
// rename: so the index never names a blob that is missing or partial.
func mergeLayout(src, dst, name string) error {
	for _, n := range storeNames {
		if _, err := ownEntry(dst, n); err != nil {
			return err
		}
	}
	var in ocispecs.Index
	if err := readJSON(filepath.Join(src, ocispecs.ImageIndexFile), &in); err != nil {
		return err
	}
	blobs := filepath.Join(src, ocispecs.ImageBlobsDir)
	err := filepath.Walk(blobs, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if _, err := ownEntry(dst, filepath.ToSlash(filepath.Dir(rel))); err != nil {
			return err
		}
		return moveBlob(p, filepath.Join(dst, rel), fi.Size())
	})
	if err != nil {
		return err
	}
	var out ocispecs.Index
	if err := readJSON(filepath.Join(dst, ocispecs.ImageIndexFile), &out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	out.SchemaVersion = 2
	out.MediaType = ocispecs.MediaTypeImageIndex
	// The store keeps images by name; a signature stays in the OCI outputs
	// and registries (signing.go).
	out.Manifests = withImage(out.Manifests, imageEntries(in.Manifests), name)
	if err := writeJSON(filepath.Join(dst, ocispecs.ImageLayoutFile), ocispecs.ImageLayout{Version: ocispecs.ImageLayoutVersion}); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dst, ocispecs.ImageIndexFile), out)
}

// withImage is the index's manifests with those named name replaced by
// add, each tagged with name.
func withImage(have, add []ocispecs.Descriptor, name string) []ocispecs.Descriptor {
	var kept []ocispecs.Descriptor
	for _, m := range have {
		if m.Annotations[ocispecs.AnnotationRefName] != name {
			kept = append(kept, m)
		}
	}
	for _, m := range add {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[ocispecs.AnnotationRefName] = name
		kept = append(kept, m)
	}
	return kept
}

func readJSON(path string, v any) error {
	dt, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(dt, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

// writeJSON writes atomically: a reader never sees half an index.
func writeJSON(path string, v any) error {
	dt, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, dt, 0o644)
}

// writeStagedJSON writes into a staged layout: atomically, unsynced (the
// OCI output syncs the layout once, when it is placed).
func writeStagedJSON(path string, v any) error {
	dt, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return atomicfile.WriteFileUnsynced(path, dt, 0o644)
}

// moveBlob moves a staged blob (this run's) into the store unless the store
// has it whole already: blobs are named by their digest, so one of the
// same size is the same content, written whole by an earlier commit.
func moveBlob(src, dst string, size int64) error {
	if fi, err := os.Lstat(dst); err == nil && fi.Mode().IsRegular() && fi.Size() == size {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return fmt.Errorf("syncing %s: %w", src, err)
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("adding the blob %s: %w", dst, err)
	}
	return nil
}
