package sign

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// cosign 3's default signature: a sigstore bundle stored as an OCI
// referrer of the image (a manifest whose artifactType and one layer are
// BundleMediaType), holding a DSSE envelope over an in-toto statement whose
// subject is the image's digest and whose predicate type is
// SignPredicateType. This file reads it; weld itself writes the older
// .sig form (oci.go), which cosign 3 still verifies.

// The media and payload types of a cosign 3 signature bundle.
const (
	// BundleMediaType is the artifact and layer type cosign 3 writes.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// InTotoPayloadType is the DSSE payload type of an in-toto statement.
	InTotoPayloadType = "application/vnd.in-toto+json"
	// SignPredicateType is the predicate of cosign's image signatures
	// (other predicates are attestations, not signatures).
	SignPredicateType = "https://sigstore.dev/cosign/sign/v1"
)

// IsBundleType says whether an artifact or layer type is a sigstore
// bundle (any version).
func IsBundleType(t string) bool {
	return strings.HasPrefix(t, "application/vnd.dev.sigstore.bundle") && strings.HasSuffix(t, "+json")
}

// bundle is the part of a sigstore bundle weld reads.
type bundle struct {
	MediaType    string `json:"mediaType"`
	DSSEEnvelope *struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	} `json:"dsseEnvelope"`
	MessageSignature json.RawMessage `json:"messageSignature"`
}

// ParseBundle reads the signatures of a sigstore bundle (at most 1 MiB):
// one per signature of its DSSE envelope, each to be checked by Verify.
func ParseBundle(data []byte) ([]Signature, error) {
	if len(data) > maxBlob {
		return nil, fmt.Errorf("the signature bundle is %d bytes, more than %d", len(data), maxBlob)
	}
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("parsing the signature bundle: %w", err)
	}
	if !IsBundleType(b.MediaType) {
		return nil, fmt.Errorf("the signature bundle's media type is %q, want %s", b.MediaType, BundleMediaType)
	}
	e := b.DSSEEnvelope
	if e == nil {
		if b.MessageSignature != nil {
			return nil, fmt.Errorf("the signature bundle holds a messageSignature; weld reads cosign's DSSE image signatures only")
		}
		return nil, fmt.Errorf("the signature bundle holds no dsseEnvelope")
	}
	if e.PayloadType != InTotoPayloadType {
		return nil, fmt.Errorf("the signature bundle's payload type is %q, want %s", e.PayloadType, InTotoPayloadType)
	}
	payload, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the signature bundle's payload: %w", err)
	}
	if len(e.Signatures) == 0 || len(e.Signatures) > maxLayers {
		return nil, fmt.Errorf("the signature bundle has %d signatures", len(e.Signatures))
	}
	out := make([]Signature, 0, len(e.Signatures))
	for _, s := range e.Signatures {
		raw, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			return nil, fmt.Errorf("decoding a signature of the bundle: %w", err)
		}
		out = append(out, Signature{Payload: payload, Raw: raw, DSSEType: e.PayloadType})
	}
	return out, nil
}

// ReadBundleImage reads the signatures of a bundle referrer whose manifest
// is manifest: its bundle layers, checked against their digests and
// bounded in size. A manifest of another artifact type holds none.
func ReadBundleImage(manifest []byte, fetch Fetch) ([]Signature, error) {
	var m ocispecs.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("parsing the bundle manifest: %w", err)
	}
	if !IsBundleType(m.ArtifactType) && !IsBundleType(m.Config.ArtifactType) {
		return nil, nil
	}
	if len(m.Layers) > maxLayers {
		return nil, fmt.Errorf("the bundle manifest has %d layers, more than %d", len(m.Layers), maxLayers)
	}
	var out []Signature
	for _, l := range m.Layers {
		if !IsBundleType(l.MediaType) {
			continue
		}
		body, err := ReadBlob(l, fetch)
		if err != nil {
			return nil, err
		}
		sigs, err := ParseBundle(body)
		if err != nil {
			return nil, err
		}
		out = append(out, sigs...)
	}
	return out, nil
}

// pae is DSSE's pre-authentication encoding: what a DSSE signature signs.
func pae(payloadType string, payload []byte) []byte {
	s := "DSSEv1 " + strconv.Itoa(len(payloadType)) + " " + payloadType + " " + strconv.Itoa(len(payload)) + " "
	return append([]byte(s), payload...)
}

// statement is the part of an in-toto statement weld reads.
type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// checkStatement checks that an (already verified) in-toto statement is
// cosign's signature of digest d.
func checkStatement(body []byte, d digest.Digest, key string) error {
	var st statement
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("%w: parsing the signed statement: %v", ErrNotSigned, err)
	}
	if !strings.HasPrefix(st.Type, "https://in-toto.io/Statement/") {
		return fmt.Errorf("%w: the signed statement's type is %q, not an in-toto statement", ErrNotSigned, st.Type)
	}
	if st.PredicateType != SignPredicateType {
		return fmt.Errorf("%w: the signed statement's predicate is %q, want %s (an attestation is not a signature)", ErrNotSigned, st.PredicateType, SignPredicateType)
	}
	var named []string
	for _, s := range st.Subject {
		if s.Digest[d.Algorithm().String()] == d.Encoded() {
			return nil
		}
		for alg, hex := range s.Digest {
			named = append(named, alg+":"+hex)
		}
	}
	return fmt.Errorf("%w: the signature bundle by key %s is of %s, not of %s", ErrNotSigned, key, strings.Join(named, ", "), d)
}
