package builder

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

// storeTemp is where a step's image is exported before it joins the shared
// OCI layout of an OutputStore. Sessions export concurrently; joining the
// store is serialised, so its index.json is never written twice at once.
func (r *run) storeTemp(o Output, s *dag.Step) string {
	return filepath.Join(o.Dest, ".incoming", s.Label)
}

// joinStores moves a published step's image into every OutputStore.
func (r *run) joinStores(s *dag.Step) error {
	r.storeMu.Lock()
	defer r.storeMu.Unlock()
	for _, o := range r.o.outputs {
		if o.Type != OutputStore {
			continue
		}
		tmp := r.storeTemp(o, s)
		if err := mergeLayout(tmp, o.Dest, s.Name); err != nil {
			return fmt.Errorf("adding %s to the OCI layout %s: %w", s.Name, o.Dest, err)
		}
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
		_ = os.Remove(filepath.Dir(tmp))
	}
	return nil
}

// mergeLayout copies the blobs of the layout at src into dst and points
// dst's index at src's image under name, replacing an image of that name.
func mergeLayout(src, dst, name string) error {
	var in ocispecs.Index
	if err := readJSON(filepath.Join(src, ocispecs.ImageIndexFile), &in); err != nil {
		return err
	}
	blobs := filepath.Join(src, ocispecs.ImageBlobsDir)
	err := filepath.Walk(blobs, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		return copyIfMissing(p, filepath.Join(dst, rel))
	})
	if err != nil {
		return err
	}
	var out ocispecs.Index
	if err := readJSON(filepath.Join(dst, ocispecs.ImageIndexFile), &out); err != nil && !os.IsNotExist(err) {
		return err
	}
	out.SchemaVersion = 2
	out.MediaType = ocispecs.MediaTypeImageIndex
	var kept []ocispecs.Descriptor
	for _, m := range out.Manifests {
		if m.Annotations[ocispecs.AnnotationRefName] != name {
			kept = append(kept, m)
		}
	}
	for _, m := range in.Manifests {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[ocispecs.AnnotationRefName] = name
		kept = append(kept, m)
	}
	out.Manifests = kept
	if err := writeJSON(filepath.Join(dst, ocispecs.ImageLayoutFile), ocispecs.ImageLayout{Version: ocispecs.ImageLayoutVersion}); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dst, ocispecs.ImageIndexFile), out)
}

func readJSON(path string, v any) error {
	dt, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(dt, v)
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
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, dt, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func copyIfMissing(src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst + ".tmp")
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(dst+".tmp", dst)
}
