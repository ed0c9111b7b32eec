package sign

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

var imageDigest = digest.FromString("an image index")

type keyPair struct {
	name     string
	priv     []byte
	password []byte
	pub      []byte
}

func pkcs8PEM(t *testing.T, priv any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func pubPEM(t *testing.T, pub any) []byte {
	t.Helper()
	b, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyPairs makes one key pair of each kind weld takes.
func keyPairs(t *testing.T) []keyPair {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	encPriv, encPub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc([]byte("s3cret")))
	if err != nil {
		t.Fatal(err)
	}
	return []keyPair{
		{name: "ecdsa pkcs8", priv: pkcs8PEM(t, ec), pub: pubPEM(t, &ec.PublicKey)},
		{name: "ecdsa sec1", priv: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), pub: pubPEM(t, &ec.PublicKey)},
		{name: "ed25519", priv: pkcs8PEM(t, edPriv), pub: pubPEM(t, edPub)},
		{name: "cosign encrypted", priv: encPriv, password: []byte("s3cret"), pub: encPub},
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	pairs := keyPairs(t)
	for i, kp := range pairs {
		t.Run(kp.name, func(t *testing.T) {
			s, err := ParsePrivateKey(kp.priv, kp.password)
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			v, err := ParsePublicKey("key.pub", kp.pub)
			if err != nil {
				t.Fatalf("ParsePublicKey: %v", err)
			}
			sig, err := s.Sign("127.0.0.1:5000/app", imageDigest)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if err := v.Verify(sig, imageDigest); err != nil {
				t.Fatalf("Verify(own signature) = %v, want nil", err)
			}
			// The public key the signer derives is the one given.
			own, err := s.PublicKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			ov, err := ParsePublicKey("own", own)
			if err != nil || ov.ID() != v.ID() {
				t.Fatalf("PublicKeyPEM's key ID = %v (%v), want %s", ov, err, v.ID())
			}
			// Another pair's key does not verify it.
			other, err := ParsePublicKey("other.pub", pairs[(i+2)%len(pairs)].pub)
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Verify(sig, imageDigest); !errors.Is(err, ErrNotSigned) {
				t.Errorf("Verify with the wrong key = %v, want ErrNotSigned", err)
			}
			// A signature of one digest is not one of another.
			if err := v.Verify(sig, digest.FromString("another image")); !errors.Is(err, ErrNotSigned) {
				t.Errorf("Verify(other digest) = %v, want ErrNotSigned", err)
			}
			// A tampered payload (naming another digest) fails.
			tampered := Signature{Raw: sig.Raw, Payload: []byte(strings.Replace(string(sig.Payload), imageDigest.Encoded(), digest.FromString("x").Encoded(), 1))}
			if err := v.Verify(tampered, digest.FromString("x")); !errors.Is(err, ErrNotSigned) {
				t.Errorf("Verify(tampered payload) = %v, want ErrNotSigned", err)
			}
			// A tampered signature fails.
			bad := Signature{Payload: sig.Payload, Raw: append([]byte(nil), sig.Raw...)}
			bad.Raw[len(bad.Raw)/2] ^= 0xff
			if err := v.Verify(bad, imageDigest); !errors.Is(err, ErrNotSigned) {
				t.Errorf("Verify(tampered signature) = %v, want ErrNotSigned", err)
			}
		})
	}
}

func TestPayloadIsCosigns(t *testing.T) {
	kp := keyPairs(t)[0]
	s, err := ParsePrivateKey(kp.priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign("127.0.0.1:5000/app", imageDigest)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/app"},"image":{"docker-manifest-digest":"` +
		imageDigest.String() + `"},"type":"cosign container image signature"},"optional":null}`
	if string(sig.Payload) != want {
		t.Errorf("payload = %s, want %s", sig.Payload, want)
	}
}

func TestParsePrivateKeyRefuses(t *testing.T) {
	enc := keyPairs(t)[3]
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		priv     []byte
		password string
		want     string
		is       error
	}{
		{"wrong password", enc.priv, "nope", "wrong or missing password", ErrPassword},
		{"no password", enc.priv, "", "COSIGN_PASSWORD", ErrPassword},
		{"rsa", pkcs8PEM(t, rsaKey), "", "unsupported key type", nil},
		{"p384", pkcs8PEM(t, p384), "", "unsupported ECDSA curve P-384", nil},
		{"not pem", []byte("hello"), "", "no PEM block", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKey(tc.priv, []byte(tc.password))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParsePrivateKey = %v, want an error with %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("ParsePrivateKey = %v, want %v", err, tc.is)
			}
		})
	}
	if _, err := ParsePublicKey("x.pub", []byte("garbage")); err == nil || !strings.Contains(err.Error(), "x.pub") {
		t.Errorf("ParsePublicKey(garbage) = %v, want an error naming x.pub", err)
	}
}

func TestImageRoundTrip(t *testing.T) {
	pairs := keyPairs(t)
	s, err := ParsePrivateKey(pairs[2].priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign("example.com/app", imageDigest)
	if err != nil {
		t.Fatal(err)
	}
	subject := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: imageDigest, Size: 42}
	img, err := NewImage([]Signature{sig}, subject)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(img.Manifest.Data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Subject == nil || m.Subject.Digest != imageDigest || m.ArtifactType != ArtifactType {
		t.Errorf("manifest subject %v, artifactType %q; want %s, %s", m.Subject, m.ArtifactType, imageDigest, ArtifactType)
	}
	if got := m.Layers[0].Annotations[SignatureAnnotation]; got != sig.Base64() {
		t.Errorf("layer annotation = %q, want %q", got, sig.Base64())
	}
	blobs := map[digest.Digest][]byte{}
	for _, b := range img.Blobs() {
		blobs[b.Desc.Digest] = b.Data
	}
	fetch := func(d ocispecs.Descriptor) ([]byte, error) { return blobs[d.Digest], nil }
	got, err := ReadImage(img.Manifest.Data, fetch)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := ParsePublicKey("pub", pairs[2].pub)
	if k, err := VerifyAny(got, []*Verifier{v}, imageDigest); err != nil || k != v {
		t.Errorf("VerifyAny(read back) = %v, %v; want the key", k, err)
	}
	// A payload blob that does not match its digest is refused.
	blobs[m.Layers[0].Digest] = []byte(strings.Replace(string(sig.Payload), "example.com", "evil.example", 1))
	if _, err := ReadImage(img.Manifest.Data, fetch); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("ReadImage(tampered blob) = %v, want a digest mismatch", err)
	}
	if _, err := VerifyAny(nil, []*Verifier{v}, imageDigest); !errors.Is(err, ErrNotSigned) {
		t.Errorf("VerifyAny(no signatures) = %v, want ErrNotSigned", err)
	}
	if Tag(imageDigest) != "sha256-"+imageDigest.Encoded()+".sig" {
		t.Errorf("Tag = %s", Tag(imageDigest))
	}
}

func TestReadBlobBounds(t *testing.T) {
	big := ocispecs.Descriptor{Digest: digest.FromString("x"), Size: 2 << 20}
	called := false
	fetch := func(ocispecs.Descriptor) ([]byte, error) { called = true; return nil, nil }
	if _, err := ReadBlob(big, fetch); err == nil || called {
		t.Errorf("ReadBlob(2 MiB) = %v (fetched: %v), want a refusal before fetching", err, called)
	}
	if _, err := ReadBlob(ocispecs.Descriptor{Digest: "sha256:zz", Size: 1}, fetch); err == nil || called {
		t.Errorf("ReadBlob(bad digest) = %v, want a refusal before fetching", err)
	}
	short := ocispecs.Descriptor{Digest: digest.FromString("abc"), Size: 3}
	if _, err := ReadBlob(short, func(ocispecs.Descriptor) ([]byte, error) { return []byte("abcd"), nil }); err == nil {
		t.Error("ReadBlob accepted a blob longer than its descriptor")
	}
}
