package builder

import (
	"fmt"
	"sort"

	"github.com/containerd/containerd/v2/core/content"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
)

// baseImages are the --image replacements of a run: frontend attrs that map
// each replaced ref to its source, and the OCI layout stores the session
// serves.
type baseImages struct {
	attrs  map[string]string
	stores map[string]content.Store
	states map[string]func(sessionID string) llb.State
	// layouts are the image digests each store serves, for the source policy.
	layouts map[string][]string
	// dirs are the stores' folders, for the in-process lint (lintlayout.go).
	dirs map[string]string
}

func openBaseImages(images map[string]ImageSource) (*baseImages, error) {
	b := &baseImages{attrs: map[string]string{}, stores: map[string]content.Store{}, states: map[string]func(string) llb.State{}, layouts: map[string][]string{}, dirs: map[string]string{}}
	keys := make([]string, 0, len(images))
	for k := range images {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	storeIDs := map[string]string{}
	for _, key := range keys {
		src := chase(images, key)
		if src.Image != "" {
			b.attrs["context:"+key] = "docker-image://" + src.Image
			b.states[key] = func(string) llb.State { return llb.Image(src.Image) }
			continue
		}
		id, ok := storeIDs[src.Layout]
		if !ok {
			id = fmt.Sprintf("weldbase%d", len(storeIDs))
			store, err := contentlocal.NewStore(src.Layout)
			if err != nil {
				return nil, fmt.Errorf("opening OCI layout %s: %w", src.Layout, err)
			}
			storeIDs[src.Layout] = id
			b.stores[id] = store
			b.dirs[id] = src.Layout
		}
		b.attrs["context:"+key] = "oci-layout://" + id + "@" + src.Digest.String()
		b.layouts[id] = append(b.layouts[id], src.Digest.String())
		ref, err := reference.ParseNormalizedNamed(key)
		if err != nil {
			return nil, err
		}
		withDigest, err := reference.WithDigest(reference.TrimNamed(ref), src.Digest)
		if err != nil {
			return nil, err
		}
		b.states[key] = func(sessionID string) llb.State {
			return llb.OCILayout(withDigest.String(), llb.OCIStore(sessionID, id))
		}
	}
	return b, nil
}

// state returns the LLB state of a base ref, honouring replacements; OCI
// layouts are served by the session with that ID.
func (b *baseImages) state(ref, sessionID string) (llb.State, error) {
	key, err := ContextKey(ref)
	if err != nil {
		return llb.State{}, err
	}
	if st, ok := b.states[key]; ok {
		return st(sessionID), nil
	}
	return llb.Image(ref), nil
}

// chase follows a docker-image replacement whose target is itself replaced
// (--image foo=docker-image://busybox:1 --image busybox:1=oci-layout://...),
// so that the chain ends where the user pointed it; a cycle stops where it
// closes.
func chase(images map[string]ImageSource, key string) ImageSource {
	src := images[key]
	seen := map[string]bool{key: true}
	for src.Image != "" {
		next, err := ContextKey(src.Image)
		if err != nil || seen[next] {
			break
		}
		to, ok := images[next]
		if !ok {
			break
		}
		seen[next] = true
		if to.Name == "" {
			to.Name = src.Image
		}
		src = to
	}
	return src
}
