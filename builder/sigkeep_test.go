package builder

import (
	"os"
	"path/filepath"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/sign"
)

// TestLayoutSignatures: an earlier OCI folder's signature layers count
// only for the same image, and a signature blob that does not match its
// digest is an error, never kept.
func TestLayoutSignatures(t *testing.T) {
	a, _ := testKey(t, "a.pub")
	for _, tc := range []struct {
		name    string
		subject func(f *fixture) ocispecs.Descriptor // the signature's subject
		root    func(f *fixture) ocispecs.Descriptor // the image published now
		tamper  bool
		want    int
		wantErr bool
	}{
		{name: "the same image", want: 1},
		{name: "another image now", root: func(*fixture) ocispecs.Descriptor {
			return ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: f0Digest}
		}},
		{name: "a signature of another image", subject: func(*fixture) ocispecs.Descriptor {
			return ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: f0Digest}
		}},
		{name: "a rewritten signature", tamper: true, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "layer")
			subject, root := f.root, f.root
			if tc.subject != nil {
				subject = tc.subject(f)
			}
			if tc.root != nil {
				root = tc.root(f)
			}
			si, err := sign.NewImage([]sign.Signature{mustSign(t, a, subject)}, subject)
			if err != nil {
				t.Fatal(err)
			}
			if err := addReferrer(f.dir, f.root, si); err != nil {
				t.Fatal(err)
			}
			if tc.tamper {
				p := filepath.Join(f.dir, "blobs", "sha256", si.Layers[0].Desc.Digest.Encoded())
				if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := layoutSignatures(f.dir, root)
			if len(got) != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("layoutSignatures = %d layers, %v; want %d, error %v", len(got), err, tc.want, tc.wantErr)
			}
		})
	}
	if got, err := layoutSignatures(filepath.Join(t.TempDir(), "none"), ocispecs.Descriptor{}); got != nil || err != nil {
		t.Errorf("layoutSignatures(no folder) = %v, %v; want nothing", got, err)
	}
}
