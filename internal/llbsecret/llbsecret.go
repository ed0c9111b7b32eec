package llbsecret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// EnvPrefix starts the name of each variable Rewrite adds. An exec op that
// mounts a secret loses any other variable so named: a Dockerfile cannot
// preset one.
const EnvPrefix = "WELD_SECRET_HMAC_"

// domain separates these hashes from any other use of the key.
const domain = "weld-secret-v1\x00"

// KeyFunc returns the key; Rewrite calls it once, and only when an op
// mounts a secret.
type KeyFunc func() []byte

// Lookup returns the value the session serves for a secret ID, and whether
// it serves one.
type Lookup func(id string) ([]byte, bool)

// Tag is the keyed hash of one secret's value (ok false: the session has no
// such secret), in hex.
func Tag(key []byte, id string, value []byte, ok bool) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(domain))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(id)))
	m.Write(n[:])
	m.Write([]byte(id))
	if ok {
		m.Write([]byte{1})
		m.Write(value)
	} else {
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// entry is one op of a definition being rewritten.
type entry struct {
	op   *pb.Op
	dt   []byte        // the op's bytes, rewritten once done
	new  digest.Digest // its digest once done
	done bool
	busy bool // on the current path: a cycle if met again
}

// Rewrite returns def with every exec op that mounts a secret keyed by the
// secret's value (see the package doc), every op's input references and the
// metadata and source locations remapped to the new digests. Ops that
// neither mount a secret nor depend on one keep their bytes. It returns def
// itself when nothing changes, and never modifies def.
func Rewrite(def *pb.Definition, key KeyFunc, lookup Lookup) (*pb.Definition, error) {
	ops := make(map[digest.Digest]*entry, len(def.Def))
	order := make([]digest.Digest, 0, len(def.Def))
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			return nil, fmt.Errorf("keying secrets: parsing an LLB op: %w", err)
		}
		d := digest.FromBytes(dt)
		if _, ok := ops[d]; !ok {
			order = append(order, d)
		}
		ops[d] = &entry{op: &op, dt: dt}
	}
	r := &rewriter{ops: ops, keyFunc: key, lookup: lookup}
	changed := false
	for _, d := range order {
		nd, err := r.visit(d)
		if err != nil {
			return nil, err
		}
		changed = changed || nd != d
	}
	if !changed {
		return def, nil
	}
	return r.output(def, order), nil
}

type rewriter struct {
	ops     map[digest.Digest]*entry
	keyFunc KeyFunc
	key     []byte // from keyFunc, once needed
	lookup  Lookup
}

// visit rewrites the op d after its inputs, and returns its new digest.
func (r *rewriter) visit(d digest.Digest) (digest.Digest, error) {
	e, ok := r.ops[d]
	if !ok {
		return "", fmt.Errorf("keying secrets: an op's input %s is not in the definition", d)
	}
	if e.done {
		return e.new, nil
	}
	if e.busy {
		return "", fmt.Errorf("keying secrets: the definition has a cycle through %s", d)
	}
	e.busy = true
	changed := false
	for _, in := range e.op.Inputs {
		nd, err := r.visit(digest.Digest(in.Digest))
		if err != nil {
			return "", err
		}
		if nd != digest.Digest(in.Digest) {
			in.Digest = string(nd)
			changed = true
		}
	}
	if ex := e.op.GetExec(); ex != nil {
		c, err := r.keyExec(ex)
		if err != nil {
			return "", err
		}
		changed = changed || c
	}
	e.new = d
	if changed {
		dt, err := e.op.Marshal() // deterministic, as the llb client marshals
		if err != nil {
			return "", fmt.Errorf("keying secrets: marshalling an LLB op: %w", err)
		}
		e.dt, e.new = dt, digest.FromBytes(dt)
	}
	e.busy, e.done = false, true
	return e.new, nil
}

// keyExec sets the keyed hashes of the secrets ex uses in its environment,
// and reports whether that changed it.
func (r *rewriter) keyExec(ex *pb.ExecOp) (bool, error) {
	ids := secretIDs(ex)
	if len(ids) == 0 {
		return false, nil
	}
	if r.key == nil {
		if r.key = r.keyFunc(); len(r.key) == 0 {
			return false, fmt.Errorf("keying secrets: the key is empty")
		}
	}
	if ex.Meta == nil {
		ex.Meta = &pb.Meta{}
	}
	env := slices.DeleteFunc(slices.Clone(ex.Meta.Env), func(kv string) bool {
		return strings.HasPrefix(kv, EnvPrefix)
	})
	tags := make([]string, len(ids))
	for n, id := range ids {
		v, ok := r.lookup(id)
		tags[n] = Tag(r.key, id, v, ok)
		env = append(env, fmt.Sprintf("%s%d=%s", EnvPrefix, n, tags[n]))
	}
	mounts := keyCacheMounts(ex, tags) // cachemount.go
	if slices.Equal(env, ex.Meta.Env) {
		return mounts, nil
	}
	ex.Meta.Env = env
	return true, nil
}

// secretIDs are the distinct secret IDs ex mounts as files or sets as
// variables, in the order they first appear.
func secretIDs(ex *pb.ExecOp) []string {
	var ids []string
	add := func(id string) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, m := range ex.Mounts {
		if m.MountType == pb.MountType_SECRET && m.SecretOpt != nil {
			add(m.SecretOpt.ID)
		}
	}
	for _, se := range ex.Secretenv {
		add(se.ID)
	}
	return ids
}

// output is the rewritten definition: the ops in their order (each once),
// the metadata and source locations under the new digests.
func (r *rewriter) output(def *pb.Definition, order []digest.Digest) *pb.Definition {
	out := &pb.Definition{Def: make([][]byte, 0, len(order)), Metadata: map[string]*pb.OpMetadata{}}
	seen := map[digest.Digest]bool{}
	for _, d := range order {
		e := r.ops[d]
		if !seen[e.new] {
			seen[e.new] = true
			out.Def = append(out.Def, e.dt)
		}
	}
	remap := func(k string) string {
		if e, ok := r.ops[digest.Digest(k)]; ok {
			return string(e.new)
		}
		return k
	}
	for k, md := range def.Metadata {
		out.Metadata[remap(k)] = md
	}
	if def.Source != nil {
		out.Source = &pb.Source{Infos: def.Source.Infos, Locations: map[string]*pb.Locations{}}
		for k, l := range def.Source.Locations {
			out.Source.Locations[remap(k)] = l
		}
	}
	return out
}
