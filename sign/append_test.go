package sign

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestAppendKeepsTheLayers: a signature appended to an existing signature
// image keeps its layers as they were (another tool's annotations too);
// both keys verify the result, and Verifier is the signer's own key.
func TestAppendKeepsTheLayers(t *testing.T) {
	pairs := keyPairs(t)
	subject := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: imageDigest, Size: 42}
	var signers []*Signer
	var sigs []Signature
	for _, kp := range pairs[:3:3] {
		s, err := ParsePrivateKey(kp.priv, kp.password)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := s.Sign("example.com/app", imageDigest)
		if err != nil {
			t.Fatal(err)
		}
		signers, sigs = append(signers, s), append(sigs, sig)
	}
	first, err := NewImage(sigs[:1], subject)
	if err != nil {
		t.Fatal(err)
	}
	first.Layers[0].Desc.Annotations["dev.sigstore.cosign/bundle"] = "{}" // as another tool writes it
	got, err := Append(first.Layers, sigs[1:], subject)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Layers) != 3 || !cmp.Equal(got.Layers[0], first.Layers[0]) {
		t.Fatalf("Append's layers = %+v, want the existing layer unchanged and then 2 new", got.Layers)
	}
	blobs := map[digest.Digest][]byte{}
	for _, b := range got.Blobs() {
		blobs[b.Desc.Digest] = b.Data
	}
	layers, err := ReadLayers(got.Manifest.Data, func(d ocispecs.Descriptor) ([]byte, error) { return blobs[d.Digest], nil })
	if err != nil || len(layers) != 3 {
		t.Fatalf("ReadLayers(appended) = %d layers, %v; want 3", len(layers), err)
	}
	for i, s := range signers {
		v, err := s.Verifier("key")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := VerifyAny(Signatures(layers), []*Verifier{v}, imageDigest); err != nil {
			t.Errorf("key %s does not verify the appended image: %v", pairs[i].name, err)
		}
		if _, err := VerifyAny(Signatures(layers[i:i+1]), []*Verifier{v}, imageDigest); err != nil {
			t.Errorf("layer %d is not key %s's signature: %v", i, pairs[i].name, err)
		}
	}
	orig, err := NewImage(sigs[:2], subject)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := Append(orig.Layers, nil, subject); err != nil || !cmp.Equal(again.Manifest, orig.Manifest) {
		t.Errorf("Append(existing, nil) = %s, %v; want the existing image %s again", again.Manifest.Desc.Digest, err, orig.Manifest.Desc.Digest)
	}
	if _, err := Append(nil, nil, subject); err == nil {
		t.Errorf("Append with no signature at all = nil error, want one")
	}
}
