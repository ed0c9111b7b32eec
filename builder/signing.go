package builder

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/atomicfile"
	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/sign"
)

// Signing on publish: every published image is signed with every key the
// run has (WithSignKey, the policy's sign: key) after its checks and
// before the publish gate, so that a signature that cannot be made stops
// the run before anything is published. The signature image (package
// sign) is written into the staged layout as a referrer of the image (an
// OCI output carries it so) and pushed beside the image to a registry, as
// cosign does (tag sha256-<hex>.sig). A docker engine keeps no signature.

// imageSigner signs one image digest: a *sign.Signer; tests use others.
type imageSigner interface {
	Sign(repo string, d digest.Digest) (sign.Signature, error)
}

var _ imageSigner = (*sign.Signer)(nil)

// signKey is a private key file to sign with and where it was given.
type signKey struct {
	path, source string
}

// WithSignKey signs every published image with the private key in path: a
// cosign key file (encrypted, opened with WithSignPassword) or a plain PEM
// ECDSA P-256 or ed25519 key. The key is read before anything is built; a
// key that cannot be read or opened stops the run (ErrInvalid). The
// policy's sign: {key: FILE} adds its key the same way.
func WithSignKey(path string) Option {
	return func(o *options) error {
		o.signKeys = append(o.signKeys, signKey{path: path, source: "--sign-key " + path})
		return nil
	}
}

// WithSignPassword is the password of encrypted sign keys (cosign's
// $COSIGN_PASSWORD).
func WithSignPassword(pw []byte) Option {
	return func(o *options) error { o.signPassword = append([]byte(nil), pw...); return nil }
}

// withSigner adds a signer (a test seam).
func withSigner(s imageSigner) Option {
	return func(o *options) error { o.signers = append(o.signers, s); return nil }
}

// CheckSignKeys opens the policy's sign key (p may be nil) and the key
// files given, with password, as Run does before it builds: a service that
// signs every build (weld serve) checks its keys once when it starts. The
// error wraps ErrInvalid.
func CheckSignKeys(p *policy.Policy, password []byte, keys ...string) error {
	o := &options{policy: p, signPassword: password}
	for _, k := range keys {
		o.signKeys = append(o.signKeys, signKey{path: k, source: "--sign-key " + k})
	}
	return loadSigners(o)
}

// loadSigners reads the run's sign keys: the options' and the policy's.
func loadSigners(o *options) error {
	keys := o.signKeys
	if o.policy != nil && o.policy.Sign != nil {
		keys = append(keys, signKey{path: o.policy.Sign.Key, source: o.policy.Sign.Pos.String() + ": sign.key " + o.policy.Sign.Key})
	}
	for _, k := range keys {
		pemBytes, err := boundedio.ReadFile(k.path, boundedio.MaxPolicyFile)
		if err != nil {
			return fmt.Errorf("%w: %s: reading the key: %v", ErrInvalid, k.source, err)
		}
		s, err := sign.ParsePrivateKey(pemBytes, o.signPassword)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalid, k.source, err)
		}
		o.signers = append(o.signers, s)
	}
	warnUnsignedOutputs(o)
	return nil
}

// warnUnsignedOutputs warns when the run signs but some output keeps no
// signature (the store, a docker engine).
func warnUnsignedOutputs(o *options) {
	if len(o.signers) == 0 {
		return
	}
	var events []Event
	for _, out := range o.outputs {
		if out.Type == OutputStore || out.Type == OutputDocker {
			events = append(events, Event{Type: EventWarning, Message: fmt.Sprintf(
				"output %s keeps no signature: the images are signed in the OCI and registry outputs only", out)})
		}
	}
	emitAll(o, events)
}

// signStaged signs img with every signer of the run and writes the
// signature image into its staged layout; img.sig is then set.
func (r *run) signStaged(ctx context.Context, img *stagedImage) error {
	if len(r.o.signers) == 0 {
		return nil
	}
	return img.tr.wrap(ctx, "signing "+img.step.Label, func(*vertex) error { return r.sign(img) })
}

func (r *run) sign(img *stagedImage) error {
	root, err := img.root()
	if err != nil {
		return err
	}
	repo := img.step.Label
	if named, err := reference.ParseNormalizedNamed(img.step.Name); err == nil {
		repo = named.Name()
	}
	sigs := make([]sign.Signature, 0, len(r.o.signers))
	keys := make([]*sign.Verifier, 0, len(r.o.signers))
	for _, s := range r.o.signers {
		sig, err := s.Sign(repo, root.Digest)
		if err != nil {
			return fmt.Errorf("signing the image: %w", err)
		}
		sigs = append(sigs, sig)
		keys = append(keys, signerKey(s))
	}
	si, err := sign.NewImage(sigs, root)
	if err != nil {
		return err
	}
	if err := addReferrer(img.dir, root, si); err != nil {
		return fmt.Errorf("writing the signature into the staged image: %w", err)
	}
	img.sig, img.sigKeys = &si, keys
	return nil
}

// signerKey is s's public key, or nil when s does not say.
func signerKey(s imageSigner) *sign.Verifier {
	k, ok := s.(interface {
		Verifier(name string) (*sign.Verifier, error)
	})
	if !ok {
		return nil
	}
	v, err := k.Verifier("sign key")
	if err != nil {
		return nil
	}
	return v
}

// addReferrer writes a signature image into the OCI layout at dir: its
// blobs, and its manifest in index.json beside the signed root, both
// marked as cosign's own layouts mark them (sign.KindAnnotation).
func addReferrer(dir string, root ocispecs.Descriptor, si sign.Image) error {
	for _, b := range si.Blobs() {
		p := filepath.Join(dir, ocispecs.ImageBlobsDir, b.Desc.Digest.Algorithm().String(), b.Desc.Digest.Encoded())
		if err := putBlob(p, b.Data); err != nil {
			return err
		}
	}
	var idx ocispecs.Index
	if err := readJSON(filepath.Join(dir, ocispecs.ImageIndexFile), &idx); err != nil {
		return err
	}
	kind := sign.KindImage
	if root.MediaType == ocispecs.MediaTypeImageIndex {
		kind = sign.KindImageIndex
	}
	var ms []ocispecs.Descriptor
	for _, m := range idx.Manifests {
		if isSignatureEntry(m) {
			continue // a signature of an earlier signing is replaced
		}
		if m.Digest == root.Digest {
			m.Annotations = withAnnotation(m.Annotations, sign.KindAnnotation, kind)
		}
		ms = append(ms, m)
	}
	d := si.Manifest.Desc
	d.Annotations = map[string]string{sign.KindAnnotation: sign.KindSignatures}
	idx.Manifests = append(ms, d)
	return writeStagedJSON(filepath.Join(dir, ocispecs.ImageIndexFile), idx)
}

func putBlob(path string, data []byte) error {
	if _, err := os.Lstat(path); err == nil {
		return nil // content-addressed: already there
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFileUnsynced(path, data, 0o644) // a staged layout
}

func withAnnotation(a map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(a)+1)
	for key, val := range a {
		out[key] = val
	}
	out[k] = v
	return out
}

// isSignatureEntry says whether an index.json entry is a signature image
// weld (or cosign) put beside an image, not an image.
func isSignatureEntry(d ocispecs.Descriptor) bool {
	return d.ArtifactType == sign.ArtifactType || d.Annotations[sign.KindAnnotation] == sign.KindSignatures
}

// imageEntries are an index's entries less its signature images.
func imageEntries(ms []ocispecs.Descriptor) []ocispecs.Descriptor {
	var out []ocispecs.Descriptor
	for _, m := range ms {
		if !isSignatureEntry(m) {
			out = append(out, m)
		}
	}
	return out
}

// signatureEntry is the signature image of an index, if it has one.
func signatureEntry(ms []ocispecs.Descriptor) (ocispecs.Descriptor, bool) {
	for _, m := range ms {
		if isSignatureEntry(m) {
			return m, true
		}
	}
	return ocispecs.Descriptor{}, false
}

// maxPasswordFile bounds a sign password file.
const maxPasswordFile = 64 << 10

// ReadSignPassword is the password of encrypted sign keys, as weld build
// and weld serve take it (for WithSignPassword): the first line of the file
// at path (its line break removed), else, with no path, $COSIGN_PASSWORD
// (as cosign reads it). A file it cannot read matches ErrInvalid.
func ReadSignPassword(path string) ([]byte, error) {
	if path == "" {
		return []byte(os.Getenv("COSIGN_PASSWORD")), nil
	}
	b, err := boundedio.ReadFile(path, maxPasswordFile)
	if err != nil {
		return nil, fmt.Errorf("%w: sign password file: %w", ErrInvalid, err)
	}
	return bytes.TrimRight(b, "\r\n"), nil
}
