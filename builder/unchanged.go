package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// A published image is unchanged (StepResult.Unchanged) when every output
// that can tell already held its root digest under its name before weld
// published it: an OCI folder's index.json, the store's entry for the
// name, the registry's manifest for the tag. The docker engine is not
// asked, and an OCI tar cannot tell (so an image with a tar output is
// never unchanged). The registry also pushes only what is missing: nothing
// when the tag already names the digest, only the tag when the registry
// has the index by digest.

// priorHolder is an Exporter that can say, before it publishes, whether
// its output already holds root under img's name: known is false when it
// cannot tell.
type priorHolder interface {
	holds(ctx context.Context, img *stagedImage, root ocispecs.Descriptor) (known, same bool)
}

var (
	_ priorHolder = (*ociExporter)(nil)
	_ priorHolder = (*storeExporter)(nil)
	_ priorHolder = (*registryExporter)(nil)
)

// unchangedIn says whether every output of e that can tell already holds
// img's root digest, with one output at least that could tell.
func unchangedIn(ctx context.Context, e Exporter, img *stagedImage) bool {
	root, err := img.root()
	if err != nil {
		return false
	}
	exporters := []Exporter{e}
	if m, ok := e.(*multiExporter); ok {
		exporters = m.exporters
	}
	told := false
	for _, x := range exporters {
		if _, ok := x.(*dockerExporter); ok {
			continue // the engine is not asked
		}
		h, ok := x.(priorHolder)
		if !ok {
			return false
		}
		known, same := h.holds(ctx, img, root)
		if !known || !same {
			return false
		}
		told = true
	}
	return told
}

// holds implements priorHolder: the folder's index.json names root.
func (e *ociExporter) holds(_ context.Context, img *stagedImage, root ocispecs.Descriptor) (bool, bool) {
	if e.out.Tar {
		return false, false
	}
	final, err := childPath(e.out.Dest, outputFile(e.out, img.step))
	if err != nil {
		return false, false
	}
	return layoutNames(filepath.Join(final, ocispecs.ImageIndexFile), "", root)
}

// holds implements priorHolder: the store's entry for the name is root.
func (e *storeExporter) holds(_ context.Context, img *stagedImage, root ocispecs.Descriptor) (bool, bool) {
	return layoutNames(filepath.Join(e.out.Dest, ocispecs.ImageIndexFile), img.step.Name, root)
}

// layoutNames reads an OCI layout's index.json: with name "", whether its
// one manifest is root; else whether the one named name is.
func layoutNames(path, name string, root ocispecs.Descriptor) (bool, bool) {
	var idx ocispecs.Index
	err := readJSON(path, &idx)
	if errors.Is(err, os.ErrNotExist) {
		return true, false
	}
	if err != nil {
		return false, false
	}
	var found []ocispecs.Descriptor
	for _, m := range imageEntries(idx.Manifests) {
		if name == "" || m.Annotations[ocispecs.AnnotationRefName] == name {
			found = append(found, m)
		}
	}
	return true, len(found) == 1 && found[0].Digest == root.Digest
}

// holds implements priorHolder: the registry serves root for the tag.
func (e *registryExporter) holds(ctx context.Context, img *stagedImage, root ocispecs.Descriptor) (bool, bool) {
	tagged, err := pushTag(img.step.Name)
	if err != nil {
		return false, false
	}
	_, got, err := e.resolver(ctx).Resolve(ctx, tagged.String())
	if errdefs.IsNotFound(err) {
		return true, false
	}
	if err != nil {
		return false, false
	}
	return true, got.Digest == root.Digest
}

func pushTag(name string) (reference.NamedTagged, error) {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, err
	}
	tagged, ok := reference.TagNameOnly(named).(reference.NamedTagged)
	if !ok {
		return nil, errors.New(name + " names a digest, not a tag to push to")
	}
	return tagged, nil
}

// pushMissing pushes what the registry lacks of the root: nothing when
// the tag already serves root; only root's own manifest, to the tag, when
// the registry has root by digest (and so everything root holds); else
// root and everything it holds (the pusher skips the blobs the registry
// has). The ref names the root by digest: the manifests it holds go by
// digest, the root to the tag.
func pushMissing(ctx context.Context, resolver remotes.Resolver, tagged reference.NamedTagged, root ocispecs.Descriptor, img *stagedImage) error {
	if _, got, err := resolver.Resolve(ctx, tagged.String()); err == nil && got.Digest == root.Digest {
		return nil
	}
	ref := tagged.String() + "@" + root.Digest.String()
	pusher, err := resolver.Pusher(ctx, ref)
	if err != nil {
		return err
	}
	provider := layoutProvider{dir: img.dir}
	if _, _, err := resolver.Resolve(ctx, tagged.Name()+"@"+root.Digest.String()); err == nil {
		_, err = remotes.PushHandler(pusher, provider)(ctx, root)
		return err
	}
	return remotes.PushContent(ctx, pusher, root, provider, nil, platforms.All, nil)
}
