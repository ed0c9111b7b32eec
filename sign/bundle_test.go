package sign

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The bundle the real cosign v3.1.3 wrote (cosign sign --key cosign3.key
// --tlog-upload=false --use-signing-config=false) for this image digest,
// with its referrer manifest.
const cosign3Digest = digest.Digest("sha256:1c9242f817fc5ae08b380370a8fca238e3a99dc45785015c6ffc50effa0a5548")

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCosign3BundleVerifies(t *testing.T) {
	v, err := ParsePublicKey("cosign3.pub", readTestdata(t, "cosign3.pub"))
	if err != nil {
		t.Fatal(err)
	}
	body := readTestdata(t, "cosign3-bundle.json")
	manifest := readTestdata(t, "cosign3-manifest.json")
	fetch := func(d ocispecs.Descriptor) ([]byte, error) {
		if d.Digest == digest.FromBytes(body) {
			return body, nil
		}
		return nil, errors.New("no such blob")
	}
	sigs, err := ReadBundleImage(manifest, fetch)
	if err != nil || len(sigs) != 1 {
		t.Fatalf("ReadBundleImage = %d signatures, %v; want 1", len(sigs), err)
	}
	if k, err := VerifyAny(sigs, []*Verifier{v}, cosign3Digest); err != nil || k != v {
		t.Fatalf("cosign's bundle does not verify with its key: %v", err)
	}
	other := digest.FromString("another image")
	if _, err := VerifyAny(sigs, []*Verifier{v}, other); !errors.Is(err, ErrNotSigned) || !strings.Contains(err.Error(), "not of "+other.String()) {
		t.Errorf("the bundle verified for another digest: %v", err)
	}
	stranger := newTestSigner(t)
	sv, err := stranger.Verifier("stranger.pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyAny(sigs, []*Verifier{sv}, cosign3Digest); !errors.Is(err, ErrNotSigned) {
		t.Errorf("a stranger's key verified cosign's bundle: %v", err)
	}
	// A bundle one byte too long to fetch is refused before it is parsed.
	big := ocispecs.Descriptor{MediaType: BundleMediaType, Digest: digest.FromString("x"), Size: maxBlob + 1}
	m, _ := json.Marshal(ocispecs.Manifest{ArtifactType: BundleMediaType, Layers: []ocispecs.Descriptor{big}})
	if _, err := ReadBundleImage(m, fetch); err == nil || !strings.Contains(err.Error(), "out of bounds") {
		t.Errorf("a bundle over 1 MiB was read: %v", err)
	}
}

func newTestSigner(t *testing.T) *Signer {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParsePrivateKey(pkcs8PEM(t, ec), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testBundle is a bundle as cosign 3 writes it, of statement, signed by s
// over signedPayload's DSSE encoding.
func testBundle(t *testing.T, s *Signer, statement, signedPayload string) []byte {
	t.Helper()
	raw, err := s.sv.SignMessage(bytes.NewReader(pae(InTotoPayloadType, []byte(signedPayload))))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{
		"mediaType": BundleMediaType,
		"dsseEnvelope": map[string]any{
			"payload":     base64.StdEncoding.EncodeToString([]byte(statement)),
			"payloadType": InTotoPayloadType,
			"signatures":  []map[string]string{{"sig": base64.StdEncoding.EncodeToString(raw)}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func statementOf(d digest.Digest, predicate string) string {
	return `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"` + d.Algorithm().String() + `":"` + d.Encoded() +
		`"}}],"predicateType":"` + predicate + `","predicate":{}}`
}

func TestParseBundleRefuses(t *testing.T) {
	s := newTestSigner(t)
	v, err := s.Verifier("k.pub")
	if err != nil {
		t.Fatal(err)
	}
	good := statementOf(imageDigest, SignPredicateType)
	check := func(name string, b []byte, want string) {
		t.Helper()
		sigs, err := ParseBundle(b)
		if err == nil {
			err = v.Verify(sigs[0], imageDigest)
		}
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v, want it verified", name, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want one containing %q", name, err, want)
		}
	}
	check("good", testBundle(t, s, good, good), "")
	// An attacker swaps the payload for one of their image: the signature
	// no longer matches.
	tampered := statementOf(digest.FromString("the attacker's image"), SignPredicateType)
	check("tampered payload", testBundle(t, s, tampered, good), "invalid signature")
	check("wrong subject", testBundle(t, s, tampered, tampered), "not of "+imageDigest.String())
	att := statementOf(imageDigest, "https://spdx.dev/Document")
	check("an attestation", testBundle(t, s, att, att), "an attestation is not a signature")
	check("not JSON", []byte("{"), "parsing the signature bundle")
	check("message signature", []byte(`{"mediaType":"`+BundleMediaType+`","messageSignature":{}}`), "messageSignature")
	check("other media type", []byte(`{"mediaType":"application/json"}`), "media type")
	check("too big", append([]byte(`{"mediaType":"`+BundleMediaType+`"}`), make([]byte, maxBlob)...), "more than")
}
