package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/boundedio"
	"github.com/weld-build/weld/internal/docker"
	"github.com/weld-build/weld/sign"
)

// What weld verify and the signed-base check read of an image, from where
// it lives: a registry (its manifests, and cosign's sha256-<hex>.sig tag),
// an OCI layout folder (index.json, its blobs and the signature referrer
// weld writes, signing.go) or a docker engine (its labels; the signature
// of the registry digest it was pulled or pushed by).

// imageFacts are what weld knows of an image once read.
type imageFacts struct {
	// digest is the root digest: the index or manifest a tag names.
	digest digest.Digest
	// labels are the image config's labels (of this platform's image).
	labels map[string]string
	// sigs are the signatures stored beside the image.
	sigs []sign.Signature
	// where says where the image was read, for messages.
	where string
	// root is the root's descriptor, when read from an OCI layout.
	root ocispecs.Descriptor
}

// fetchFunc reads a blob by descriptor.
type fetchFunc = sign.Fetch

// registryFacts reads ref from its registry; labels only when withLabels.
func registryFacts(ctx context.Context, resolver remotes.Resolver, ref string, withLabels bool) (*imageFacts, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, fmt.Errorf("parsing %q: %w", ref, err)
	}
	named = reference.TagNameOnly(named)
	name, root, err := resolver.Resolve(ctx, named.String())
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", named, err)
	}
	f := &imageFacts{digest: root.Digest, where: "registry " + reference.Domain(named)}
	if withLabels {
		fetcher, err := resolver.Fetcher(ctx, name)
		if err != nil {
			return nil, err
		}
		if f.labels, err = configLabels(root, remoteFetch(ctx, fetcher)); err != nil {
			return nil, fmt.Errorf("reading %s: %w", named, err)
		}
	}
	sigRef := reference.TrimNamed(named).String() + ":" + sign.Tag(root.Digest)
	_, sd, err := resolver.Resolve(ctx, sigRef)
	if errdefs.IsNotFound(err) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up the signature %s: %w", sigRef, err)
	}
	fetcher, err := resolver.Fetcher(ctx, sigRef)
	if err != nil {
		return nil, err
	}
	f.sigs, err = readSignatures(sd, remoteFetch(ctx, fetcher))
	if err != nil {
		return nil, fmt.Errorf("reading the signature %s: %w", sigRef, err)
	}
	return f, nil
}

func remoteFetch(ctx context.Context, fetcher remotes.Fetcher) fetchFunc {
	return func(d ocispecs.Descriptor) ([]byte, error) {
		rc, err := fetcher.Fetch(ctx, d)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, d.Size+1))
	}
}

func readSignatures(d ocispecs.Descriptor, fetch fetchFunc) ([]sign.Signature, error) {
	manifest, err := sign.ReadBlob(d, fetch)
	if err != nil {
		return nil, err
	}
	return sign.ReadImage(manifest, fetch)
}

// layoutFacts reads the image of the OCI layout dir: the one it holds, or
// the one tagged tag (its org.opencontainers.image.ref.name, whole or
// after the last colon), or the one whose digest tag is (sha256:…); its
// signature is the referrer beside it.
func layoutFacts(dir, tag string) (*imageFacts, error) {
	var idx ocispecs.Index
	if err := readJSON(filepath.Join(dir, ocispecs.ImageIndexFile), &idx); err != nil {
		return nil, fmt.Errorf("reading the OCI layout %s: %w", dir, err)
	}
	root, err := pickImage(imageEntries(idx.Manifests), tag)
	if err != nil {
		return nil, fmt.Errorf("the OCI layout %s: %w", dir, err)
	}
	fetch := layoutFetch(dir)
	f := &imageFacts{digest: root.Digest, where: "OCI layout " + dir, root: root}
	if f.labels, err = configLabels(root, fetch); err != nil {
		return nil, fmt.Errorf("reading the OCI layout %s: %w", dir, err)
	}
	for _, m := range idx.Manifests {
		if !isSignatureEntry(m) {
			continue
		}
		manifest, err := sign.ReadBlob(m, fetch)
		if err != nil {
			return nil, err
		}
		var sm ocispecs.Manifest
		if json.Unmarshal(manifest, &sm) != nil || sm.Subject == nil || sm.Subject.Digest != root.Digest {
			continue // a signature of another image
		}
		sigs, err := sign.ReadImage(manifest, fetch)
		if err != nil {
			return nil, fmt.Errorf("reading the signature in %s: %w", dir, err)
		}
		f.sigs = append(f.sigs, sigs...)
	}
	return f, nil
}

func pickImage(ms []ocispecs.Descriptor, tag string) (ocispecs.Descriptor, error) {
	if tag == "" && len(ms) == 1 {
		return ms[0], nil
	}
	for _, m := range ms {
		n := m.Annotations[ocispecs.AnnotationRefName]
		if tag != "" && (n == tag || strings.HasSuffix(n, ":"+tag) || m.Digest.String() == tag) {
			return m, nil
		}
	}
	if tag == "" {
		return ocispecs.Descriptor{}, fmt.Errorf("it holds %d images: name one with oci-layout://DIR:TAG", len(ms))
	}
	return ocispecs.Descriptor{}, fmt.Errorf("it holds no image tagged %q", tag)
}

func layoutFetch(dir string) fetchFunc {
	return func(d ocispecs.Descriptor) ([]byte, error) {
		if err := d.Digest.Validate(); err != nil {
			return nil, err
		}
		// A layout may be anyone's (weld verify oci-layout://DIR): regular
		// files only, never a FIFO, at most the descriptor's size.
		p := filepath.Join(dir, ocispecs.ImageBlobsDir, d.Digest.Algorithm().String(), d.Digest.Encoded())
		return boundedio.ReadFile(p, d.Size)
	}
}

// configLabels are the labels of root's image config; of an index, those
// of the image for this platform (else the first image, not an
// attestation).
func configLabels(root ocispecs.Descriptor, fetch fetchFunc) (map[string]string, error) {
	d := root
	if d.MediaType == ocispecs.MediaTypeImageIndex || d.MediaType == "application/vnd.docker.distribution.manifest.list.v2+json" {
		body, err := sign.ReadBlob(d, fetch)
		if err != nil {
			return nil, err
		}
		var idx ocispecs.Index
		if err := json.Unmarshal(body, &idx); err != nil {
			return nil, err
		}
		if d, err = platformImage(idx.Manifests); err != nil {
			return nil, err
		}
	}
	body, err := sign.ReadBlob(d, fetch)
	if err != nil {
		return nil, err
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	body, err = sign.ReadBlob(m.Config, fetch)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Config struct {
			Labels map[string]string `json:"Labels"`
		} `json:"config"`
	}
	if err := json.Unmarshal(body, &cfg); err != nil {
		return nil, err
	}
	return cfg.Config.Labels, nil
}

func platformImage(ms []ocispecs.Descriptor) (ocispecs.Descriptor, error) {
	match := platforms.Default()
	var first *ocispecs.Descriptor
	for i, m := range ms {
		if m.Annotations[annotationRefType] == attestationRefType {
			continue
		}
		if m.Platform != nil && match.Match(*m.Platform) {
			return m, nil
		}
		if first == nil {
			first = &ms[i]
		}
	}
	if first == nil {
		return ocispecs.Descriptor{}, fmt.Errorf("the index holds no image")
	}
	return *first, nil
}

// dockerFacts reads image ref from the engine at host: its labels, and its
// signature from the registry of its first repo digest (an image the
// engine only loaded has none).
func dockerFacts(ctx context.Context, host string, resolver remotes.Resolver, ref string) (*imageFacts, error) {
	info, err := docker.InspectImage(ctx, docker.Host(host), ref)
	if err != nil {
		return nil, err
	}
	f := &imageFacts{labels: info.Config.Labels, where: "docker engine " + docker.Host(host)}
	if len(info.RepoDigests) == 0 {
		return f, nil
	}
	rf, err := registryFacts(ctx, resolver, info.RepoDigests[0], false)
	if err != nil {
		return nil, err
	}
	f.digest, f.sigs = rf.digest, rf.sigs
	f.where += ", signature from " + info.RepoDigests[0]
	return f, nil
}
