package sign

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
)

// PayloadType is the type of cosign's simple signing payload.
const PayloadType = "cosign container image signature"

// ErrNotSigned marks an image with no signature that a key verifies.
var ErrNotSigned = errors.New("no valid signature")

// payload is cosign's "simple signing" payload, field for field as cosign
// writes it (sigstore's payload.SimpleContainerImage).
type payload struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// Signature is one image signature: the payload and the raw signature
// over it.
type Signature struct {
	// Payload is the simple signing JSON: what was signed.
	Payload []byte
	// Raw is the signature over Payload.
	Raw []byte
	// DSSEType is set for a signature read from a sigstore bundle
	// (bundle.go): Raw then signs the DSSE encoding of Payload, an in-toto
	// statement of this payload type.
	DSSEType string
}

// Base64 is the signature as cosign's annotation holds it.
func (s Signature) Base64() string { return base64.StdEncoding.EncodeToString(s.Raw) }

// Sign signs the image whose manifest (or index) digest is d, published in
// repository repo (a reference without tag or digest, as in the payload's
// docker-reference).
func (s *Signer) Sign(repo string, d digest.Digest) (Signature, error) {
	if err := d.Validate(); err != nil {
		return Signature{}, fmt.Errorf("signing %s: %w", repo, err)
	}
	var p payload
	p.Critical.Identity.DockerReference = repo
	p.Critical.Image.DockerManifestDigest = d.String()
	p.Critical.Type = PayloadType
	body, err := json.Marshal(p)
	if err != nil {
		return Signature{}, err
	}
	raw, err := s.sv.SignMessage(bytes.NewReader(body))
	if err != nil {
		return Signature{}, fmt.Errorf("signing %s@%s: %w", repo, d, err)
	}
	return Signature{Payload: body, Raw: raw}, nil
}

// Verify checks that sig is a valid signature by v's key of a payload that
// names digest d, as cosign verify does (the payload's manifest digest must
// be d; its docker-reference is not checked, as cosign does not). A
// bundle's signature (DSSEType set) must sign the DSSE encoding of an
// in-toto statement of cosign's sign predicate whose subject is d.
func (v *Verifier) Verify(sig Signature, d digest.Digest) error {
	signed := sig.Payload
	if sig.DSSEType != "" {
		signed = pae(sig.DSSEType, sig.Payload)
	}
	if err := v.v.VerifySignature(bytes.NewReader(sig.Raw), bytes.NewReader(signed)); err != nil {
		return fmt.Errorf("%w for key %s: %v", ErrNotSigned, v.Name, err)
	}
	if sig.DSSEType != "" {
		return checkStatement(sig.Payload, d, v.Name)
	}
	var p payload
	if err := json.Unmarshal(sig.Payload, &p); err != nil {
		return fmt.Errorf("%w: parsing the signed payload: %v", ErrNotSigned, err)
	}
	if p.Critical.Type != PayloadType {
		return fmt.Errorf("%w: the signed payload's type is %q, want %q", ErrNotSigned, p.Critical.Type, PayloadType)
	}
	if p.Critical.Image.DockerManifestDigest != d.String() {
		return fmt.Errorf("%w: the signature by key %s is of %s, not of %s", ErrNotSigned, v.Name, p.Critical.Image.DockerManifestDigest, d)
	}
	return nil
}

// VerifyAny checks sigs against keys: nil when one signature verifies
// with one key, and the key that did is returned.
func VerifyAny(sigs []Signature, keys []*Verifier, d digest.Digest) (*Verifier, error) {
	if len(sigs) == 0 {
		return nil, fmt.Errorf("%w: the image has no signature", ErrNotSigned)
	}
	var last error
	for _, k := range keys {
		for _, s := range sigs {
			if last = k.Verify(s, d); last == nil {
				return k, nil
			}
		}
	}
	if last == nil {
		return nil, fmt.Errorf("%w: no key to verify with", ErrNotSigned)
	}
	return nil, last
}
