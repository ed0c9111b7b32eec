package builder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteMetadata: the file weld build --metadata-file writes, byte for
// byte: keyed by label, keys sorted, weld.bases only for steps with bases.
func TestWriteMetadata(t *testing.T) {
	res := &Result{Steps: []*StepResult{
		{Label: "app", ImageName: "img", Status: StatusDone, Outputs: []string{"oci:out/app"}, Artifacts: []string{},
			ExporterResponse: map[string]string{"containerimage.digest": "sha256:aa"},
			Bases:            []BasePin{{Ref: "node:10", From: "Dockerfile:1", Source: "docker-image://busybox", Digest: "sha256:bb"}}},
		{Label: "tool", Status: StatusFailed, Error: "boom", Outputs: []string{}, Artifacts: []string{"bin/x"}},
	}}
	path := filepath.Join(t.TempDir(), "sub", "m.json")
	if err := WriteMetadata(path, res); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "app": {
    "artifacts": [],
    "cached_vertices": 0,
    "containerimage.digest": "sha256:aa",
    "duration": 0.000,
    "image.name": "img",
    "outputs": [
      "oci:out/app"
    ],
    "status": "done",
    "vertices": 0,
    "weld.bases": [
      {
        "ref": "node:10",
        "from": "Dockerfile:1",
        "source": "docker-image://busybox",
        "digest": "sha256:bb"
      }
    ]
  },
  "tool": {
    "artifacts": [
      "bin/x"
    ],
    "cached_vertices": 0,
    "duration": 0.000,
    "error": "boom",
    "outputs": [],
    "status": "failed",
    "vertices": 0
  }
}
`
	if string(got) != want {
		t.Errorf("WriteMetadata wrote:\n%s\nwant:\n%s", got, want)
	}
	if err := WriteMetadata(path, nil); err != nil {
		t.Errorf("WriteMetadata(nil) = %v, want nothing written", err)
	}
	// A folder in the way: the error says what was published all the same.
	err = WriteMetadata(filepath.Join(path, "x.json"), res)
	var me *MetadataError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "the images WERE published: app (img) → oci:out/app") {
		t.Errorf("WriteMetadata under a file = %v, want a MetadataError naming app", err)
	}
}

// TestPrepareMetadataFile: an earlier run's file goes, a missing one is
// fine, and a folder is ErrInvalid and stays.
func TestPrepareMetadataFile(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "m.json")
	if err := os.WriteFile(old, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{old, filepath.Join(dir, "none.json")} {
		if err := PrepareMetadataFile(p); err != nil {
			t.Errorf("PrepareMetadataFile(%s) = %v, want nil", p, err)
		}
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("PrepareMetadataFile left %s: %v", old, err)
	}
	if err := PrepareMetadataFile(dir); !errors.Is(err, ErrInvalid) {
		t.Errorf("PrepareMetadataFile(a folder) = %v, want ErrInvalid", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the folder went: %v", err)
	}
}
