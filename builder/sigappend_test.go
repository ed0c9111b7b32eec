package builder

import (
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/sign"
)

// TestNewSignaturesSkipsKeysThatSigned: a key whose signature of the
// digest the registry already holds is not added again; a key that signed
// only another digest, and a signer whose key is unknown, are.
func TestNewSignaturesSkipsKeysThatSigned(t *testing.T) {
	a, _ := testKey(t, "a.pub")
	b, _ := testKey(t, "b.pub")
	root := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: testDigest, Size: 1}
	sigA, sigB := mustSign(t, a, root), mustSign(t, b, root)
	si, err := sign.NewImage([]sign.Signature{sigA, sigB}, root)
	if err != nil {
		t.Fatal(err)
	}
	img := &stagedImage{sig: &si, sigKeys: []*sign.Verifier{signerKey(a), signerKey(b)}}
	other := ocispecs.Descriptor{Digest: f0Digest}
	for _, tc := range []struct {
		name string
		have []sign.Signature
		keys []*sign.Verifier
		want int
	}{
		{"none there", nil, img.sigKeys, 2},
		{"a's there", []sign.Signature{mustSign(t, a, root)}, img.sigKeys, 1},
		{"both there", []sign.Signature{sigB, mustSign(t, a, root)}, img.sigKeys, 0},
		{"a's of another digest", []sign.Signature{mustSign(t, a, other)}, img.sigKeys, 2},
		{"keys unknown", []sign.Signature{sigA, sigB}, nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img.sigKeys = tc.keys
			got := newSignatures(img, tc.have, root)
			if len(got) != tc.want {
				t.Errorf("newSignatures = %d signatures, want %d", len(got), tc.want)
			}
		})
	}
}

// f0Digest is a digest other than testDigest.
const f0Digest = "sha256:f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0"

func mustSign(t *testing.T, s *sign.Signer, d ocispecs.Descriptor) sign.Signature {
	t.Helper()
	sig, err := s.Sign("example.com/app", d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}
