package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// sharedBase is an OCI-layout base a sharing step's frontend gets as an
// input: the layout's source op on the shared session, so that one vertex
// loads it for every session of the daemon (the frontend's own op names
// its session, so each session loaded it again), and its config read from
// disk.
type sharedBase struct {
	key    string // the base's context key (ContextKey)
	ref    string // its name with the layout's digest
	store  string // the store ID the sessions serve it as
	config []byte
	input  string // the frontend input's name
}

// sharedBaseList finds the OCI-layout bases a sharing step can take as
// inputs: each --image whose layout digest is one image manifest (an index
// is left to the frontend, which picks its platform). The source policy
// sees the input's op as it saw the frontend's: weld's own rules allow
// exactly these layouts (sourcepolicy.go).
func sharedBaseList(b *baseImages) []sharedBase {
	var out []sharedBase
	for attr, v := range b.attrs {
		key, ok := strings.CutPrefix(attr, "context:")
		src, isLayout := strings.CutPrefix(v, "oci-layout://")
		if !ok || !isLayout {
			continue
		}
		id, dgst, _ := strings.Cut(src, "@")
		sb, err := newSharedBase(key, id, b.dirs[id], digest.Digest(dgst))
		if err != nil {
			continue // the frontend resolves it, and says what is wrong
		}
		out = append(out, sb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	for i := range out {
		out[i].input = fmt.Sprintf("weld-base-%d", i)
	}
	return out
}

func newSharedBase(key, id, dir string, d digest.Digest) (sharedBase, error) {
	named, err := reference.ParseNormalizedNamed(key)
	if err != nil {
		return sharedBase{}, err
	}
	withDigest, err := reference.WithDigest(reference.TrimNamed(named), d)
	if err != nil {
		return sharedBase{}, err
	}
	dt, err := layoutBlob(dir, d) // lintlayout.go: bounded, checked against its digest
	if err != nil {
		return sharedBase{}, err
	}
	var m struct {
		Config *struct {
			Digest digest.Digest `json:"digest"`
		} `json:"config"`
	}
	if err := json.Unmarshal(dt, &m); err != nil || m.Config == nil {
		return sharedBase{}, fmt.Errorf("%s is not an image manifest", d)
	}
	cfg, err := layoutBlob(dir, m.Config.Digest)
	if err != nil {
		return sharedBase{}, err
	}
	return sharedBase{key: key, ref: withDigest.String(), store: id, config: cfg}, nil
}

// sharedBaseDefs marshals the bases' source ops on the shared session sid.
func sharedBaseDefs(ctx context.Context, bases []sharedBase, sid string) (map[string]*pb.Definition, error) {
	defs := map[string]*pb.Definition{}
	for _, sb := range bases {
		st := llb.OCILayout(sb.ref, llb.OCIStore(sid, sb.store),
			llb.WithCustomName("[context "+sb.key+"] OCI load from client"))
		def, err := st.Marshal(ctx)
		if err != nil {
			return nil, err
		}
		defs[sb.input] = def.ToPB()
	}
	return defs, nil
}

// useSharedBases points a sharing step's frontend at the bases its
// daemon's shared session serves (defs), in place of their oci-layout://
// attrs.
func useSharedBases(bases []sharedBase, defs map[string]*pb.Definition, attrs map[string]string, inputs map[string]*pb.Definition) error {
	for _, sb := range bases {
		def, ok := defs[sb.input]
		if !ok || !strings.HasPrefix(attrs["context:"+sb.key], "oci-layout://") {
			continue
		}
		md, err := json.Marshal(map[string][]byte{exptypes.ExporterImageConfigKey: sb.config})
		if err != nil {
			return err
		}
		attrs["context:"+sb.key] = "input:" + sb.input
		attrs["input-metadata:"+sb.input] = string(md)
		inputs[sb.input] = def
	}
	return nil
}
