package builder

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/weld-build/weld/internal/atomicfile"
)

// PrepareMetadataFile removes the metadata file an earlier run left at
// path, so that it cannot pass for this run's whatever happens next (weld
// build does it first). A path that names a folder matches ErrInvalid.
func PrepareMetadataFile(path string) error {
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: metadata file %s is a folder; name a file", ErrInvalid, path)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// WriteMetadata writes res to path as weld build --metadata-file does: a
// JSON object keyed by step label, each step in buildx's metadata shape
// (StepResult's JSON, keys sorted), its bases under "weld.bases". It makes
// path's folder and replaces path atomically; a failure is a
// *MetadataError. A nil res writes nothing.
func WriteMetadata(path string, res *Result) error {
	if res == nil {
		return nil
	}
	m := map[string]map[string]json.RawMessage{}
	for _, s := range res.Steps {
		dt, err := json.Marshal(s)
		if err != nil {
			return err
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(dt, &fields); err != nil {
			return err
		}
		m[s.Label] = fields
	}
	dt, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return newMetadataError(path, err, res)
	}
	if err := atomicfile.WriteFile(path, append(dt, '\n'), 0o644); err != nil {
		return newMetadataError(path, err, res)
	}
	return nil
}

// MetadataError is a metadata file that could not be written. It says
// what the run published all the same: a script that finds no metadata
// file must not conclude that nothing was published.
type MetadataError struct {
	// Path is the metadata file.
	Path string
	// Published are the images published, "label (name) → output", as
	// weld's summary shows them.
	Published []string
	// Err is the cause.
	Err error
}

func newMetadataError(path string, err error, res *Result) *MetadataError {
	e := &MetadataError{Path: path, Err: err}
	for _, s := range res.Steps {
		if s.Status == StatusDone && len(s.Outputs) > 0 {
			e.Published = append(e.Published, fmt.Sprintf("%s (%s) → %s", s.Label, s.ImageName, strings.Join(s.Outputs, ", ")))
		}
	}
	return e
}

// Error implements error.
func (e *MetadataError) Error() string {
	msg := fmt.Sprintf("the metadata file %s was NOT written: %v", e.Path, e.Err)
	if len(e.Published) == 0 {
		return msg + "\n  no image was published"
	}
	return msg + "\n  the images WERE published: " + strings.Join(e.Published, "; ")
}

// Unwrap returns the cause.
func (e *MetadataError) Unwrap() error { return e.Err }
