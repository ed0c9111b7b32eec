package builder

import (
	"bytes"
	"context"
	"fmt"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/sign"
)

// Signatures add, never replace: when the registry already holds
// signatures of the image (cosign's sha256-<hex>.sig tag, made by weld or
// by cosign with any key), weld pushes that signature image with its own
// signatures appended, keeping every layer that was there, as cosign sign
// does. A key whose signature of this digest is already there is not
// added again, so a rebuild of an unchanged image writes nothing.

// registrySignature is the signature image to push for img to tagged's
// repository: img's own when the registry has none, the registry's with
// img's new signatures appended, or nil when every key of img already
// signed root there (or the run does not sign). It reads the registry
// before anything is pushed, so a signature tag it cannot read stops the
// push.
func registrySignature(ctx context.Context, resolver remotes.Resolver, tagged reference.Named, root ocispecs.Descriptor, img *stagedImage) (*sign.Image, error) {
	if img.sig == nil {
		return nil, nil
	}
	sigRef := tagged.Name() + ":" + sign.Tag(root.Digest)
	_, d, err := resolver.Resolve(ctx, sigRef)
	if errdefs.IsNotFound(err) {
		return img.sig, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up the signatures %s: %w", sigRef, err)
	}
	fetcher, err := resolver.Fetcher(ctx, sigRef)
	if err != nil {
		return nil, err
	}
	fetch := remoteFetch(ctx, fetcher)
	manifest, err := sign.ReadBlob(d, fetch)
	if err != nil {
		return nil, fmt.Errorf("reading the signatures %s: %w", sigRef, err)
	}
	existing, err := sign.ReadLayers(manifest, fetch)
	if err != nil {
		return nil, fmt.Errorf("reading the signatures %s: %w (weld adds its signature to them; delete the tag to start over)", sigRef, err)
	}
	fresh := newSignatures(img, sign.Signatures(existing), root)
	if len(fresh) == 0 {
		return nil, nil
	}
	si, err := sign.Append(existing, fresh, root)
	if err != nil {
		return nil, err
	}
	return &si, nil
}

// newSignatures are img's signatures whose key has no signature of root
// among have (a signature whose key is not known is always new).
func newSignatures(img *stagedImage, have []sign.Signature, root ocispecs.Descriptor) []sign.Signature {
	var out []sign.Signature
	for i, s := range sign.Signatures(img.sig.Layers) {
		if i < len(img.sigKeys) && img.sigKeys[i] != nil {
			if _, err := sign.VerifyAny(have, []*sign.Verifier{img.sigKeys[i]}, root.Digest); err == nil {
				continue // this key already signed root there
			}
		}
		out = append(out, s)
	}
	return out
}

// blobProvider serves a signature image's blobs from memory; the layers
// it keeps from the registry are already there, so the pusher skips them.
type blobProvider []sign.Blob

var _ content.Provider = blobProvider(nil)

// ReaderAt implements content.Provider.
func (p blobProvider) ReaderAt(_ context.Context, d ocispecs.Descriptor) (content.ReaderAt, error) {
	data, err := p.fetch(d)
	if err != nil {
		return nil, err
	}
	return bytesReaderAt{bytes.NewReader(data)}, nil
}

func (p blobProvider) fetch(d ocispecs.Descriptor) ([]byte, error) {
	for _, b := range p {
		if b.Desc.Digest == d.Digest {
			return b.Data, nil
		}
	}
	return nil, fmt.Errorf("blob %s: %w", d.Digest, errdefs.ErrNotFound)
}

type bytesReaderAt struct{ *bytes.Reader }

// Close implements content.ReaderAt.
func (bytesReaderAt) Close() error { return nil }
