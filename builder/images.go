package builder

import (
	"fmt"
	"sort"

	"github.com/containerd/containerd/v2/core/content"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/moby/buildkit/client/llb"
)

// baseImages are the --image replacements of a run: frontend attrs that map
// each replaced ref to its source, and the OCI layout stores the session
// serves.
type baseImages struct {
	attrs  map[string]string
	stores map[string]content.Store
	states map[string]llb.State
}

func openBaseImages(images map[string]ImageSource) (*baseImages, error) {
	b := &baseImages{attrs: map[string]string{}, stores: map[string]content.Store{}, states: map[string]llb.State{}}
	keys := make([]string, 0, len(images))
	for k := range images {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	storeIDs := map[string]string{}
	for _, key := range keys {
		src := images[key]
		if src.Image != "" {
			b.attrs["context:"+key] = "docker-image://" + src.Image
			b.states[key] = llb.Image(src.Image)
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
		}
		b.attrs["context:"+key] = "oci-layout://" + id + "@" + src.Digest.String()
		b.states[key] = llb.OCILayout(id+"@"+src.Digest.String(), llb.OCIStore("", id))
	}
	return b, nil
}

// state returns the LLB state of a base ref, honouring replacements.
func (b *baseImages) state(ref string) (llb.State, error) {
	key, err := ContextKey(ref)
	if err != nil {
		return llb.State{}, err
	}
	if st, ok := b.states[key]; ok {
		return st, nil
	}
	return llb.Image(ref), nil
}
