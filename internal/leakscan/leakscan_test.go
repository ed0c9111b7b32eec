package leakscan

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// layout writes an OCI-layout-like folder whose blobs are the given layers
// (gzip tars of name → content) and JSON documents.
func layout(t *testing.T, layers []map[string]string, docs ...string) string {
	t.Helper()
	dir := t.TempDir()
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, files := range layers {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		if _, err := gz.Write([]byte(tarOf(t, files))); err != nil {
			t.Fatal(err)
		}
		gz.Close()
		if err := os.WriteFile(filepath.Join(blobs, strings.Repeat("a", 63)+string(rune('0'+i))), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, d := range docs {
		if err := os.WriteFile(filepath.Join(blobs, strings.Repeat("c", 63)+string(rune('0'+i))), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestScanLayout(t *testing.T) {
	secret := []byte("s3cr3t-T0ken-value!")
	b64 := base64.StdEncoding.EncodeToString(secret)
	// The secret inside a longer base64 text, at another alignment.
	shifted := base64.StdEncoding.EncodeToString(append([]byte("xy"), secret...))
	big := strings.Repeat("z", 200<<10) + string(secret) + "tail"
	for _, tc := range []struct {
		name   string
		layers []map[string]string
		docs   []string
		want   []string // Finding.String() substrings, in order
	}{
		{name: "clean", layers: []map[string]string{{"bin/app": "binary"}}, docs: []string{`{"history":[]}`}},
		{name: "raw file", layers: []map[string]string{{"etc/token": string(secret) + "\n"}}, want: []string{"file /etc/token (raw)"}},
		{name: "base64 file", layers: []map[string]string{{"b64": b64}}, want: []string{"file /b64 (base64)"}},
		{name: "shifted base64", layers: []map[string]string{{"s": "prefix" + shifted}}, want: []string{"file /s (base64)"}},
		{name: "across a chunk boundary", layers: []map[string]string{{"big": big}}, want: []string{"file /big (raw)"}},
		{name: "file name", layers: []map[string]string{{"x/" + string(secret): "nothing"}}, want: []string{"file /x/<secret> (raw)"}},
		{name: "config history", docs: []string{`{"architecture":"amd64","config":{},"history":[{"created_by":"RUN echo ` + string(secret) + `"}],"rootfs":{}}`}, want: []string{`secret "tok" in config sha256:cccccccccccc (raw)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := layout(t, tc.layers, tc.docs...)
			got, err := ScanLayout(dir, map[string][]byte{"tok": secret}, nil)
			if err != nil {
				t.Fatalf("ScanLayout: %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("ScanLayout = %v, want %d findings %q", got, len(tc.want), tc.want)
			}
			for i, f := range got {
				if !strings.Contains(f.String(), tc.want[i]) {
					t.Errorf("finding %d = %q, want it to contain %q", i, f, tc.want[i])
				}
				if strings.Contains(f.String(), string(secret)) {
					t.Errorf("finding %q names the secret", f)
				}
			}
		})
	}
}

func TestShortSecretsAreSkipped(t *testing.T) {
	dir := layout(t, []map[string]string{{"f": "abc abc abc"}})
	got, err := ScanLayout(dir, map[string][]byte{"short": []byte("abc")}, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("ScanLayout(short secret) = %v, %v; want nothing (shorter than MinLen)", got, err)
	}
}

func TestErrorNamesImageAndPlaceNotSecret(t *testing.T) {
	err := error(&Error{Image: "app", Findings: []Finding{{Blob: "sha256:0123456789abcdef0123", Kind: "layer", File: "leak", Encoding: "raw"}}})
	if !errors.Is(err, ErrLeak) || !strings.Contains(err.Error(), "image app") || !strings.Contains(err.Error(), "/leak") {
		t.Errorf("Error() = %q, want it to name the image and the file and match ErrLeak", err)
	}
}
