package builder

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/weld-build/weld/sign"
)

// TestVerifyImageLayoutTamperedBlob: a signed OCI layout whose layer, an
// attestation's body or config was rewritten in the folder afterwards (the
// signature covers only the root's digest) is not safe, naming the blob; so
// is one with a layer gone or swapped for a FIFO. The untouched layout reads.
func TestVerifyImageLayoutTamperedBlob(t *testing.T) {
	s, v := testKey(t, "good.pub")
	for _, tc := range []struct {
		name string
		harm func(f *fixture) string // returns the digest it harmed
		want string
	}{
		{"untouched", func(*fixture) string { return "" }, ""},
		{"layer, same size", func(f *fixture) string {
			overwrite(t, f, f.layer.Digest.Encoded(), "LAYER")
			return f.layer.Digest.String()
		}, "content does not match its digest"},
		{"layer, longer", func(f *fixture) string {
			overwrite(t, f, f.layer.Digest.Encoded(), "layer and more")
			return f.layer.Digest.String()
		}, "it is larger than its descriptor's 5 bytes"},
		{"layer, shorter", func(f *fixture) string {
			overwrite(t, f, f.layer.Digest.Encoded(), "lay")
			return f.layer.Digest.String()
		}, "it holds 3 bytes, its descriptor says 5"},
		{"attestation body", func(f *fixture) string {
			overwrite(t, f, f.attestBody.Digest.Encoded(), strings.Repeat("x", int(f.attestBody.Size)))
			return f.attestBody.Digest.String()
		}, "content does not match its digest"},
		{"layer gone", func(f *fixture) string {
			if err := os.Remove(blobFile(f, f.layer.Digest.Encoded())); err != nil {
				t.Fatal(err)
			}
			return f.layer.Digest.String()
		}, "no such file"},
		{"layer a FIFO", func(f *fixture) string {
			p := blobFile(f, f.layer.Digest.Encoded())
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
			return f.layer.Digest.String()
		}, "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "layer")
			signLayout(t, f, s, f.root)
			harmed := tc.harm(f)
			got := VerifyImage(context.Background(), "oci-layout://"+f.dir, VerifyOptions{Keys: []*sign.Verifier{v}})
			if tc.want == "" {
				if !got.Checks[0].OK || !got.Checks[1].OK {
					t.Errorf("the untouched layout: %+v, want read and signature ok", got.Checks)
				}
				return
			}
			if got.Safe || !strings.HasPrefix(got.Reason(), "read: ") || !strings.Contains(got.Reason(), harmed) || !strings.Contains(got.Reason(), tc.want) {
				t.Errorf("reason %q, want a read failure naming %s: %q", got.Reason(), harmed, tc.want)
			}
		})
	}
}

func blobFile(f *fixture, hex string) string { return filepath.Join(f.dir, "blobs", "sha256", hex) }

func overwrite(t *testing.T, f *fixture, hex, content string) {
	t.Helper()
	p := blobFile(f, hex)
	_ = os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
