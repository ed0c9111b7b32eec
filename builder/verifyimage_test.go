package builder

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/sign"
)

// testKey is an ed25519 signer and the verifier of its public key.
func testKey(t *testing.T, name string) (*sign.Signer, *sign.Verifier) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	s, err := sign.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	v, err := sign.ParsePublicKey(name, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// signLayout signs the fixture's root (of subject) into its layout.
func signLayout(t *testing.T, f *fixture, s *sign.Signer, subject ocispecs.Descriptor) {
	t.Helper()
	sig, err := s.Sign("example.com/app", subject.Digest)
	if err != nil {
		t.Fatal(err)
	}
	si, err := sign.NewImage([]sign.Signature{sig}, subject)
	if err != nil {
		t.Fatal(err)
	}
	if err := addReferrer(f.dir, f.root, si); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyImageLayout(t *testing.T) {
	s, v := testKey(t, "good.pub")
	_, other := testKey(t, "other.pub")
	f := newFixture(t, "layer")
	img := "oci-layout://" + f.dir

	got := VerifyImage(context.Background(), img, VerifyOptions{Keys: []*sign.Verifier{v}})
	if got.Safe || !strings.HasPrefix(got.Reason(), "signature: not signed") {
		t.Errorf("unsigned layout: %+v, want not signed", got)
	}
	signLayout(t, f, s, f.root)
	got = VerifyImage(context.Background(), img, VerifyOptions{Keys: []*sign.Verifier{other, v}})
	if got.Digest != f.root.Digest.String() || !got.Checks[1].OK || !strings.Contains(got.Checks[1].Detail, "good.pub") {
		t.Errorf("signed layout: %+v, want the signature verified by good.pub", got)
	}
	// The fixture's config has no labels: not weld's.
	if got.Safe || !strings.HasPrefix(got.Reason(), "labels: not built by weld") {
		t.Errorf("signed layout without weld's labels: reason %q, want labels", got.Reason())
	}
	got = VerifyImage(context.Background(), img, VerifyOptions{Keys: []*sign.Verifier{other}})
	if got.Checks[1].OK {
		t.Errorf("verified with a key that did not sign: %+v", got.Checks[1])
	}
}

func TestVerifyImageLayoutSignatureOfAnotherImage(t *testing.T) {
	s, v := testKey(t, "good.pub")
	f := newFixture(t, "layer")
	// A referrer whose subject is another image is no signature of this one.
	signLayout(t, f, s, ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: digest.FromString("other"), Size: 5})
	got := VerifyImage(context.Background(), "oci-layout://"+f.dir, VerifyOptions{Keys: []*sign.Verifier{v}})
	if got.Checks[1].OK {
		t.Errorf("another image's signature verified this one: %+v", got.Checks[1])
	}
}

func TestVerifyImageLayoutTamperedSignature(t *testing.T) {
	s, v := testKey(t, "good.pub")
	f := newFixture(t, "layer")
	signLayout(t, f, s, f.root)
	var idx ocispecs.Index
	if err := readJSON(filepath.Join(f.dir, ocispecs.ImageIndexFile), &idx); err != nil {
		t.Fatal(err)
	}
	sd, _ := signatureEntry(idx.Manifests)
	p := filepath.Join(f.dir, "blobs", "sha256", sd.Digest.Encoded())
	body, _ := os.ReadFile(p)
	if err := os.WriteFile(p, []byte(strings.Replace(string(body), `"schemaVersion":2`, `"schemaVersion":3`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	got := VerifyImage(context.Background(), "oci-layout://"+f.dir, VerifyOptions{Keys: []*sign.Verifier{v}})
	if got.Safe || got.Checks[0].OK || !strings.Contains(got.Reason(), "does not match its digest") {
		t.Errorf("tampered signature manifest: %+v, want a read failure", got)
	}
}

func TestVerifyBaseAndLabels(t *testing.T) {
	p, err := policy.Parse("p.yml", []byte("banned_bases:\n  - registry.local/base:1\n  - sha256:"+strings.Repeat("a", 64)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		labels map[string]string
		ok     bool
		want   string
	}{
		{map[string]string{LabelStep: "app", LabelBaseName: "registry.local/base:1"}, false, "banned by p.yml:2:5"},
		{map[string]string{LabelStep: "app", LabelBaseName: "x:1", LabelBaseDigest: "sha256:" + strings.Repeat("a", 64)}, false, "banned by p.yml:3:5"},
		{map[string]string{LabelStep: "app", LabelBaseName: "registry.local/base:2"}, true, "base registry.local/base:2"},
	} {
		if c := baseCheck(&imageFacts{labels: tc.labels}, p); c.OK != tc.ok || !strings.Contains(c.Detail, tc.want) {
			t.Errorf("baseCheck(%v) = %+v, want ok=%v with %q", tc.labels, c, tc.ok, tc.want)
		}
	}
	if c := labelsCheck(&imageFacts{labels: map[string]string{LabelStep: "a"}}); c.OK || !strings.Contains(c.Detail, LabelBaseName) {
		t.Errorf("labelsCheck without the base label = %+v", c)
	}
	for in, want := range map[string][2]string{"out/app": {"out/app", ""}, "out/app:v1": {"out/app", "v1"}, "/a:b/c": {"/a:b/c", ""}} {
		if d, tag := splitLayout(in); d != want[0] || tag != want[1] {
			t.Errorf("splitLayout(%q) = %q, %q; want %q", in, d, tag, want)
		}
	}
}

// TestCheckSignedBasesLayout: a base built from an OCI layout passes
// require_signed_bases only when the rule's key signed that image; the
// refusal names the FROM line, the base, what it is built from and the
// rule.
func TestCheckSignedBasesLayout(t *testing.T) {
	s, _ := testKey(t, "good.pub")
	other, _ := testKey(t, "other.pub")
	dir := t.TempDir()
	pubPEM, err := s.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "good.pub"), pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(filepath.Join(dir, "weld.policy.yml"), []byte("require_signed_bases:\n  - {pattern: \"oci-layout://**\", key: good.pub}\n"))
	if err != nil {
		t.Fatal(err)
	}
	use := policy.BaseUse{Step: "app", Pos: dag.Pos{File: "Dockerfile", Line: 1}, Ref: "mybase"}
	for _, tc := range []struct {
		name   string
		signer *sign.Signer
		want   string
	}{
		{"unsigned", nil, "the image has no signature"},
		{"other key", other, "for key good.pub"},
		{"rule's key", s, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "layer")
			if tc.signer != nil {
				signLayout(t, f, tc.signer, f.root)
			}
			key, err := ContextKey("mybase")
			if err != nil {
				t.Fatal(err)
			}
			o := &options{policy: p, images: map[string]ImageSource{key: {Layout: f.dir, Digest: f.root.Digest}}}
			err = checkSignedBases(context.Background(), o, []policy.BaseUse{use})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("checkSignedBases = %v, want nil", err)
				}
				return
			}
			want := "Dockerfile:1: step app: base mybase (built from oci-layout://" + f.dir + ") is refused by " + p.File + ":2:5 (require_signed_bases: oci-layout://**): "
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, policy.ErrBaseRefused) {
				t.Errorf("checkSignedBases = %v, want %q… %q, a refusal", err, want, tc.want)
			}
		})
	}
}
