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

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/sign"
)

// indexSolver is a fakeSolver whose OCI exports also have an index.json
// naming one image, as BuildKit's exporter writes it.
type indexSolver struct{ fakeSolver }

var _ Solver = (*indexSolver)(nil)

// Build implements Solver.
func (s *indexSolver) Build(ctx context.Context, opt client.SolveOpt, ref string, fn gateway.BuildFunc, ch chan *client.SolveStatus) (*client.SolveResponse, error) {
	resp, err := s.fakeSolver.Build(ctx, opt, ref, fn, ch)
	if err != nil {
		return nil, err
	}
	for _, e := range opt.Exports {
		dir := exportDir(e)
		if dir == "" {
			continue
		}
		idx := ocispecs.Index{MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{{
			MediaType: ocispecs.MediaTypeImageIndex, Digest: digest.FromString(dir), Size: 10,
		}}}
		idx.SchemaVersion = 2
		if err := writeJSON(filepath.Join(dir, ocispecs.ImageIndexFile), idx); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// failingSigner signs every image but those of repo bad.
type failingSigner struct{ bad string }

func (f failingSigner) Sign(repo string, d digest.Digest) (sign.Signature, error) {
	if strings.HasSuffix(repo, f.bad) {
		return sign.Signature{}, errors.New("the key's token is gone")
	}
	return sign.Signature{Payload: []byte("{}"), Raw: []byte("sig")}, nil
}

// TestSignFailurePublishesNothing: when one image cannot be signed, the
// run fails against that step and no image is published, also not those
// that were signed.
func TestSignFailurePublishesNothing(t *testing.T) {
	p := testPlan(t, nil, "a", "b")
	f := &indexSolver{}
	out := t.TempDir()
	b, err := New(f, WithOutputs(Output{Type: OutputOCI, Dest: out}), WithReproducible(false), WithSBOM(false), withSigner(failingSigner{bad: "img-b"}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Run(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), `step "b": signing the image: the key's token is gone`) {
		t.Fatalf("Run() = %v, want step b failing on signing", err)
	}
	if len(f.exported) != 0 {
		t.Errorf("published %v although an image could not be signed, want nothing", f.exported)
	}
	for _, l := range []string{"a", "b"} {
		if _, err := os.Stat(filepath.Join(out, l)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("output %s exists (%v), want nothing published", l, err)
		}
	}
}

// TestSignWritesReferrer: a signed image's OCI output holds the signature
// image beside it, marked as a referrer, which a key verifies.
func TestSignWritesReferrer(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	keyFile := filepath.Join(t.TempDir(), "k.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	p := testPlan(t, nil, "a")
	f := &indexSolver{}
	out := t.TempDir()
	b, err := New(f, WithOutputs(Output{Type: OutputOCI, Dest: out}), WithReproducible(false), WithSBOM(false), WithSignKey(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(context.Background(), p); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	dir := filepath.Join(out, "a")
	var idx ocispecs.Index
	if err := readJSON(filepath.Join(dir, ocispecs.ImageIndexFile), &idx); err != nil {
		t.Fatal(err)
	}
	sigDesc, ok := signatureEntry(idx.Manifests)
	images := imageEntries(idx.Manifests)
	if !ok || len(images) != 1 || images[0].Annotations[sign.KindAnnotation] != sign.KindImageIndex {
		t.Fatalf("index.json = %+v, want the image (marked) and its signature", idx.Manifests)
	}
	fetch := func(d ocispecs.Descriptor) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded()))
	}
	manifest, err := sign.ReadBlob(sigDesc, fetch)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := sign.ReadImage(manifest, fetch)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	v, err := sign.ParsePublicKey("k.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.VerifyAny(sigs, []*sign.Verifier{v}, images[0].Digest); err != nil {
		t.Errorf("the referrer's signature does not verify: %v", err)
	}
}

// TestSignWarnsOfOutputsWithoutSignature: signing into the store or a
// docker engine, which keep no signature, says so.
func TestSignWarnsOfOutputsWithoutSignature(t *testing.T) {
	var warned []string
	o := &options{outputs: []Output{{Type: OutputOCI, Dest: "out"}, {Type: OutputDocker}}, signers: []imageSigner{failingSigner{}},
		events: func(e Event) {
			if e.Type == EventWarning {
				warned = append(warned, e.Message)
			}
		}}
	warnUnsignedOutputs(o)
	if len(warned) != 1 || !strings.Contains(warned[0], "keeps no signature") {
		t.Errorf("warnings = %q, want one about the docker output", warned)
	}
}

// TestReadSignPassword: the file's first line without its break, else
// $COSIGN_PASSWORD; a file that is not there, or a folder, is ErrInvalid.
func TestReadSignPassword(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte("s3cret\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("COSIGN_PASSWORD", "from-env")
	for path, want := range map[string]string{file: "s3cret", "": "from-env"} {
		if got, err := ReadSignPassword(path); err != nil || string(got) != want {
			t.Errorf("ReadSignPassword(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, bad := range []string{filepath.Join(dir, "none"), dir} {
		if _, err := ReadSignPassword(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ReadSignPassword(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
