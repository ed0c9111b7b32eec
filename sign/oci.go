package sign

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The media types and annotations of cosign's signature images.
const (
	// SignatureAnnotation holds a layer's base64 signature.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// PayloadMediaType is the media type of a simple signing payload layer.
	PayloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// ArtifactType is the artifact type of a signature referrer (cosign's
	// OCI 1.1 referrers mode).
	ArtifactType = "application/vnd.dev.cosign.artifact.sig.v1+json"
	// KindAnnotation and KindSignatures mark the signature image in an OCI
	// layout's index.json the way cosign's own layouts (cosign save) do, so
	// that cosign verify --local-image finds it.
	KindAnnotation = "kind"
	// KindSignatures is the KindAnnotation value of a signature image.
	KindSignatures = "dev.cosignproject.cosign/sigs"
	// KindImageIndex is the KindAnnotation value of the signed image index.
	KindImageIndex = "dev.cosignproject.cosign/imageIndex"
	// KindImage is the KindAnnotation value of a signed single image.
	KindImage = "dev.cosignproject.cosign/image"
	// maxBlob bounds what is read of a signature image's blobs.
	maxBlob = 1 << 20
	// maxLayers bounds the signatures read of one signature image.
	maxLayers = 1000
)

// Blob is one content-addressed blob and its descriptor.
type Blob struct {
	Desc ocispecs.Descriptor
	Data []byte
}

func newBlob(mediaType string, data []byte) Blob {
	return Blob{Desc: ocispecs.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}, Data: data}
}

// Image is a signature image: its manifest and the blobs it names.
type Image struct {
	Manifest Blob
	Config   Blob
	Layers   []Blob
}

// Blobs are the image's blobs, the manifest last (the order to write them).
func (i Image) Blobs() []Blob {
	return append(append([]Blob{i.Config}, i.Layers...), i.Manifest)
}

// Tag is the tag under which cosign keeps the signatures of the image
// whose digest is d, in the image's repository: sha256-<hex>.sig.
func Tag(d digest.Digest) string {
	return d.Algorithm().String() + "-" + d.Encoded() + ".sig"
}

// NewImage is the signature image holding sigs, as cosign builds it, with
// subject as its OCI 1.1 subject (the signed image) so that it is also a
// referrer of it.
func NewImage(sigs []Signature, subject ocispecs.Descriptor) (Image, error) {
	return Append(nil, sigs, subject)
}

// Append is the signature image holding the layers of an existing one
// (kept as they are, annotations and all, as cosign keeps them when it
// signs again) and then a layer for each of sigs, with subject as its OCI
// 1.1 subject. With no sigs it is the existing image as weld writes it
// (the same bytes when weld wrote it).
func Append(existing []Blob, sigs []Signature, subject ocispecs.Descriptor) (Image, error) {
	if len(existing)+len(sigs) == 0 {
		return Image{}, errors.New("no signature to store")
	}
	img := Image{Layers: slices.Clone(existing)}
	for _, s := range sigs {
		l := newBlob(PayloadMediaType, s.Payload)
		l.Desc.Annotations = map[string]string{SignatureAnnotation: s.Base64()}
		img.Layers = append(img.Layers, l)
	}
	diffIDs := make([]digest.Digest, 0, len(img.Layers))
	for _, l := range img.Layers {
		diffIDs = append(diffIDs, l.Desc.Digest) // payload layers are not compressed
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "", "os": "", "config": map[string]any{},
		"created": "0001-01-01T00:00:00Z",
		"history": []map[string]string{{"created": "0001-01-01T00:00:00Z"}},
		"rootfs":  map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		return Image{}, err
	}
	img.Config = newBlob(ocispecs.MediaTypeImageConfig, config)
	m := ocispecs.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispecs.MediaTypeImageManifest,
		ArtifactType: ArtifactType,
		Config:       img.Config.Desc,
		Subject:      &ocispecs.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
	}
	for _, l := range img.Layers {
		m.Layers = append(m.Layers, l.Desc)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return Image{}, err
	}
	img.Manifest = newBlob(ocispecs.MediaTypeImageManifest, body)
	img.Manifest.Desc.ArtifactType = ArtifactType
	return img, nil
}

// Fetch reads a blob of a signature image.
type Fetch func(ocispecs.Descriptor) ([]byte, error)

// ReadImage reads the signatures of the signature image whose manifest is
// manifest: every payload layer with a signature annotation. Blobs are
// checked against their digests and bounded in size.
func ReadImage(manifest []byte, fetch Fetch) ([]Signature, error) {
	layers, err := ReadLayers(manifest, fetch)
	if err != nil {
		return nil, err
	}
	return Signatures(layers), nil
}

// ReadLayers reads the signature layers of the signature image whose
// manifest is manifest: every payload layer with a signature annotation,
// its descriptor as written and its payload (checked against its digest,
// bounded in size); at most maxLayers of them.
func ReadLayers(manifest []byte, fetch Fetch) ([]Blob, error) {
	var m ocispecs.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("parsing the signature manifest: %w", err)
	}
	if len(m.Layers) > maxLayers {
		return nil, fmt.Errorf("the signature image has %d layers, more than %d", len(m.Layers), maxLayers)
	}
	var out []Blob
	for _, l := range m.Layers {
		b64, ok := l.Annotations[SignatureAnnotation]
		if !ok || l.MediaType != PayloadMediaType {
			continue
		}
		if _, err := base64.StdEncoding.DecodeString(b64); err != nil {
			return nil, fmt.Errorf("decoding a signature annotation: %w", err)
		}
		body, err := ReadBlob(l, fetch)
		if err != nil {
			return nil, err
		}
		out = append(out, Blob{Desc: l, Data: body})
	}
	return out, nil
}

// signature is the signature a layer ReadLayers returned holds.
func (b Blob) signature() Signature {
	raw, _ := base64.StdEncoding.DecodeString(b.Desc.Annotations[SignatureAnnotation]) // checked by ReadLayers
	return Signature{Payload: b.Data, Raw: raw}
}

// Signatures are the signatures of layers ReadLayers returned.
func Signatures(layers []Blob) []Signature {
	out := make([]Signature, 0, len(layers))
	for _, l := range layers {
		out = append(out, l.signature())
	}
	return out
}

// ReadBlob fetches d's blob, at most 1 MiB, and checks its digest.
func ReadBlob(d ocispecs.Descriptor, fetch Fetch) ([]byte, error) {
	if d.Size < 0 || d.Size > maxBlob {
		return nil, fmt.Errorf("blob %s: size %d is out of bounds (at most %d)", d.Digest, d.Size, maxBlob)
	}
	if err := d.Digest.Validate(); err != nil {
		return nil, err
	}
	body, err := fetch(d)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", d.Digest, err)
	}
	if int64(len(body)) != d.Size || d.Digest.Algorithm().FromBytes(body) != d.Digest {
		return nil, fmt.Errorf("blob %s: content does not match its digest", d.Digest)
	}
	return body, nil
}
