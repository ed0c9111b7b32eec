package builder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/atomicfile"
)

// BuildKit (v0.34.2) writes the wall-clock start and end of the build job
// and a random invocation ID into every provenance attestation, whatever
// SOURCE_DATE_EPOCH says, and its "reproducible" option only sets a flag.
// In a reproducible run weld rewrites the staged provenance before the
// checks read it: the times become the step's epoch, the invocation ID
// goes, and buildkit_reproducible is set. The attestation manifest and the
// root index are then rewritten and their old blobs removed, so the staged
// layout holds one image index whose digest follows its inputs alone.

const (
	annotationRefType  = "vnd.docker.reference.type"
	attestationRefType = "attestation-manifest"
	annotationPredType = "in-toto.io/predicate-type"
)

// reproduceProvenance rewrites the provenance of the staged layout at dir
// to epoch (Unix seconds); it does nothing for a non-numeric epoch or a
// layout without attestations. It returns the root descriptor.
func reproduceProvenance(dir, epoch string) (ocispecs.Descriptor, bool, error) {
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return ocispecs.Descriptor{}, false, nil
	}
	at := time.Unix(sec, 0).UTC().Format(time.RFC3339)
	var layout ocispecs.Index
	err = readJSON(filepath.Join(dir, ocispecs.ImageIndexFile), &layout)
	if errors.Is(err, os.ErrNotExist) { // nothing staged: the checks say so
		return ocispecs.Descriptor{}, false, nil
	}
	if err != nil {
		return ocispecs.Descriptor{}, false, err
	}
	if len(layout.Manifests) != 1 || layout.Manifests[0].MediaType != ocispecs.MediaTypeImageIndex {
		return ocispecs.Descriptor{}, false, nil
	}
	root := layout.Manifests[0]
	var idx ocispecs.Index
	if err := readBlobJSON(dir, root, &idx); err != nil {
		return root, false, err
	}
	changed := false
	for i, m := range idx.Manifests {
		if m.Annotations[annotationRefType] != attestationRefType {
			continue
		}
		nm, ok, err := reproduceAttestation(dir, m, at)
		if err != nil {
			return root, false, err
		}
		idx.Manifests[i], changed = nm, changed || ok
	}
	if !changed {
		return root, false, nil
	}
	nroot, err := replaceBlob(dir, root, idx)
	if err != nil {
		return root, false, err
	}
	layout.Manifests[0] = nroot
	return nroot, true, writeStagedJSON(filepath.Join(dir, ocispecs.ImageIndexFile), layout)
}

// reproduceAttestation rewrites the provenance layers of one attestation
// manifest and returns the manifest's new descriptor.
func reproduceAttestation(dir string, desc ocispecs.Descriptor, at string) (ocispecs.Descriptor, bool, error) {
	var man ocispecs.Manifest
	if err := readBlobJSON(dir, desc, &man); err != nil {
		return desc, false, err
	}
	changed := false
	for i, l := range man.Layers {
		if !isProvenance(l.Annotations[annotationPredType]) {
			continue
		}
		var stmt map[string]any
		if err := readBlobJSON(dir, l, &stmt); err != nil {
			return desc, false, err
		}
		scrubProvenance(stmt, at)
		nl, err := replaceBlob(dir, l, stmt)
		if err != nil {
			return desc, false, err
		}
		man.Layers[i], changed = nl, true
	}
	if !changed {
		return desc, false, nil
	}
	nd, err := replaceBlob(dir, desc, man)
	return nd, err == nil, err
}

func isProvenance(predicateType string) bool {
	return predicateType == "https://slsa.dev/provenance/v1" || predicateType == "https://slsa.dev/provenance/v0.2"
}

// scrubProvenance sets the wall-clock times of an in-toto provenance
// statement (SLSA v1 runDetails.metadata, or v0.2 metadata) to at and
// drops the invocation ID.
func scrubProvenance(stmt map[string]any, at string) {
	pred, _ := stmt["predicate"].(map[string]any)
	if rd, ok := pred["runDetails"].(map[string]any); ok {
		if md, ok := rd["metadata"].(map[string]any); ok {
			md["startedOn"], md["finishedOn"] = at, at
			delete(md, "invocationId") // SLSA v1's spelling
			delete(md, "invocationID")
			md["buildkit_reproducible"] = true
		}
	}
	if md, ok := pred["metadata"].(map[string]any); ok {
		md["buildStartedOn"], md["buildFinishedOn"] = at, at
		delete(md, "buildInvocationID")
		md["reproducible"] = true
	}
	dropSessionIDs(pred)
}

// dropSessionIDs removes the frontend's local-sessionid:NAME arguments
// wherever they are in v (the request's args, and its inputs' nested
// requests): the ID of the shared session (sharedsession.go) that served a
// local is new in every run, and names no input.
func dropSessionIDs(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if strings.HasPrefix(k, "local-sessionid:") {
				delete(v, k)
				continue
			}
			dropSessionIDs(x)
		}
	case []any:
		for _, x := range v {
			dropSessionIDs(x)
		}
	}
}

// readBlobJSON decodes the blob of desc, numbers kept as written.
func readBlobJSON(dir string, desc ocispecs.Descriptor, v any) error {
	path, err := blobPath(dir, desc.Digest)
	if err != nil {
		return err
	}
	dt, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(dt))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

// replaceBlob writes v as the new blob of old (same media type and
// annotations), removes old's blob and returns the new descriptor.
func replaceBlob(dir string, old ocispecs.Descriptor, v any) (ocispecs.Descriptor, error) {
	dt, err := jsonBytes(v)
	if err != nil {
		return old, err
	}
	nd := old
	nd.Digest, nd.Size = digest.FromBytes(dt), int64(len(dt))
	if nd.Digest == old.Digest {
		return old, nil
	}
	path, err := blobPath(dir, nd.Digest)
	if err != nil {
		return old, err
	}
	if err := atomicfile.WriteFileUnsynced(path, dt, 0o644); err != nil { // a staged layout
		return old, err
	}
	oldPath, err := blobPath(dir, old.Digest)
	if err != nil {
		return old, err
	}
	return nd, os.Remove(oldPath)
}

// jsonBytes is v in JSON as weld writes blobs: no HTML escapes, no newline.
func jsonBytes(v any) ([]byte, error) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func blobPath(dir string, d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	return filepath.Join(dir, ocispecs.ImageBlobsDir, d.Algorithm().String(), d.Encoded()), nil
}
