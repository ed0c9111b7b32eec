package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	remotedocker "github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/sign"
)

// registryExporter pushes the staged image, its index with the image and
// attestation manifests, to the registry in its name and tags it, from
// weld itself (containerd's pusher): loopback registries (127.0.0.1,
// localhost, [::1]) over plain HTTP, the others over HTTPS, with the
// credentials that WithRegistryAuth serves to the daemon. The registry
// must then serve the staged digest under the tag.
type registryExporter struct {
	auth session.Attachable
}

var _ Exporter = (*registryExporter)(nil)

// Publish implements Exporter.
func (e *registryExporter) Publish(ctx context.Context, img *stagedImage) ([]string, error) {
	name := img.step.Name
	err := img.tr.wrap(ctx, "pushing "+name, func(*vertex) error { return e.push(ctx, img) })
	if errors.Is(err, remotedocker.ErrInvalidAuthorization) {
		// The registry answered 401 to what weld could offer.
		err = fmt.Errorf("unauthorized: %w (are the credentials in $DOCKER_CONFIG/config.json, as docker login writes them?)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", name, err)
	}
	return []string{"registry:" + name}, nil
}

func (e *registryExporter) push(ctx context.Context, img *stagedImage) error {
	root, err := img.root()
	if err != nil {
		return err
	}
	named, err := reference.ParseNormalizedNamed(img.step.Name)
	if err != nil {
		return err
	}
	tagged, ok := reference.TagNameOnly(named).(reference.NamedTagged)
	if !ok {
		return fmt.Errorf("%s names a digest, not a tag to push to", img.step.Name)
	}
	resolver := e.resolver(ctx)
	sig, err := registrySignature(ctx, resolver, tagged, root, img) // sigappend.go
	if err != nil {
		return err
	}
	if err := pushMissing(ctx, resolver, tagged, root, img); err != nil { // unchanged.go
		return err
	}
	_, got, err := resolver.Resolve(ctx, tagged.String())
	if err != nil {
		return fmt.Errorf("checking the pushed tag: %w", err)
	}
	if got.Digest != root.Digest {
		return fmt.Errorf("the registry serves %s for the tag, not the pushed %s", got.Digest, root.Digest)
	}
	return pushSignature(ctx, resolver, tagged, root, sig)
}

// pushSignature pushes the signature image sig, when there is one, to the
// image's repository under cosign's tag for root (sha256-<hex>.sig).
func pushSignature(ctx context.Context, resolver remotes.Resolver, tagged reference.Named, root ocispecs.Descriptor, sig *sign.Image) error {
	if sig == nil {
		return nil
	}
	d := sig.Manifest.Desc
	pusher, err := resolver.Pusher(ctx, tagged.Name()+":"+sign.Tag(root.Digest)+"@"+d.Digest.String())
	if err != nil {
		return err
	}
	if err := remotes.PushContent(ctx, pusher, d, blobProvider(sig.Blobs()), nil, platforms.All, nil); err != nil {
		return fmt.Errorf("pushing the signature: %w", err)
	}
	return nil
}

// resolver talks to registries for one push.
func (e *registryExporter) resolver(ctx context.Context) remotes.Resolver {
	authorizer := remotedocker.NewDockerAuthorizer(remotedocker.WithAuthCreds(e.credentials(ctx)))
	return remotedocker.NewResolver(remotedocker.ResolverOptions{
		Hosts: remotedocker.ConfigureDefaultRegistries(
			remotedocker.WithPlainHTTP(remotedocker.MatchLocalhost),
			remotedocker.WithAuthorizer(authorizer),
		),
	})
}

// credentialSource is what BuildKit's auth provider (DockerAuth) answers.
type credentialSource interface {
	Credentials(context.Context, *auth.CredentialsRequest) (*auth.CredentialsResponse, error)
}

// credentials are those of the registry auth the run serves the daemon;
// none without it.
func (e *registryExporter) credentials(ctx context.Context) func(host string) (string, string, error) {
	return func(host string) (string, string, error) {
		src, ok := e.auth.(credentialSource)
		if !ok {
			return "", "", nil
		}
		c, err := src.Credentials(ctx, &auth.CredentialsRequest{Host: host})
		if err != nil {
			return "", "", err
		}
		return c.Username, c.Secret, nil
	}
}

// layoutProvider reads the blobs of an OCI layout folder.
type layoutProvider struct{ dir string }

var _ content.Provider = layoutProvider{}

// ReaderAt implements content.Provider.
func (p layoutProvider) ReaderAt(_ context.Context, d ocispecs.Descriptor) (content.ReaderAt, error) {
	if err := d.Digest.Validate(); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(p.dir, ocispecs.ImageBlobsDir, d.Digest.Algorithm().String(), d.Digest.Encoded()))
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return sizedFile{File: f, size: fi.Size()}, nil
}

type sizedFile struct {
	*os.File
	size int64
}

// Size implements content.ReaderAt.
func (f sizedFile) Size() int64 { return f.size }
