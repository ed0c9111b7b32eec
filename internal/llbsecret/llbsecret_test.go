package llbsecret

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

var testKey = bytes.Repeat([]byte{7}, 32)

func fixedKey(k []byte) KeyFunc { return func() []byte { return k } }

// values serves a fixed set of secrets.
func values(kv ...string) Lookup {
	m := map[string][]byte{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return func(id string) ([]byte, bool) { v, ok := m[id]; return v, ok }
}

// fixture is a definition with a secret file RUN, a secret env RUN, a RUN
// without secrets, and ops that depend on each.
type fixture struct {
	def *pb.Definition
	// names maps each op's custom name to its digest.
	names map[string]digest.Digest
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	sm := llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", []byte("FROM busybox\nRUN x\n"))
	loc := sm.Location([]*pb.Range{{Start: &pb.Position{Line: 2}, End: &pb.Position{Line: 2}}})
	base := llb.Image("docker.io/library/busybox:latest", llb.WithCustomName("base"))
	file := base.Run(llb.Shlex("sh -c 'sha256sum /run/secrets/tok > /h'"),
		llb.AddSecret("/run/secrets/tok", llb.SecretID("tok")),
		llb.AddEnv("KEEP", "1"), llb.WithCustomName("secret file"), loc).Root()
	env := base.Run(llb.Shlex("sh -c 'echo $TOK2 | sha256sum > /e'"),
		llb.AddSecret("TOK2", llb.SecretID("tok2"), llb.SecretAsEnv(true)),
		llb.WithCustomName("secret env")).Root()
	plain := base.Run(llb.Shlex("touch /plain"), llb.WithCustomName("plain")).Root()
	after := file.Run(llb.Shlex("touch /after"), llb.WithCustomName("after secret")).Root().
		File(llb.Mkdir("/dir", 0o755), llb.WithCustomName("mkdir after secret"))
	final := llb.Merge([]llb.State{after, env, plain}, llb.WithCustomName("merge"))
	def, err := final.Marshal(context.Background())
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return fixture{def: def.ToPB(), names: opNames(t, def.ToPB())}
}

// opNames maps the custom name of each op of def to its digest.
func opNames(t testing.TB, def *pb.Definition) map[string]digest.Digest {
	t.Helper()
	out := map[string]digest.Digest{}
	for _, dt := range def.Def {
		d := digest.FromBytes(dt)
		if md, ok := def.Metadata[string(d)]; ok && md.Description["llb.customname"] != "" {
			out[md.Description["llb.customname"]] = d
		}
	}
	return out
}

func rewrite(t testing.TB, def *pb.Definition, key []byte, l Lookup) *pb.Definition {
	t.Helper()
	out, err := Rewrite(def, fixedKey(key), l)
	if err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	return out
}

// checkConsistent fails unless every input, metadata key and source
// location of def names an op of def, and BuildKit's client loads it.
func checkConsistent(t *testing.T, def *pb.Definition) {
	t.Helper()
	have := map[string]bool{}
	for _, dt := range def.Def {
		have[string(digest.FromBytes(dt))] = true
	}
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			t.Fatal(err)
		}
		for _, in := range op.Inputs {
			if !have[in.Digest] {
				t.Errorf("an op's input %s is not in the rewritten definition", in.Digest)
			}
		}
	}
	for k := range def.Metadata {
		if !have[k] {
			t.Errorf("metadata key %s names no op", k)
		}
	}
	if def.Source != nil {
		for k := range def.Source.Locations {
			if !have[k] {
				t.Errorf("source location key %s names no op", k)
			}
		}
	}
	op, err := llb.NewDefinitionOp(def)
	if err != nil {
		t.Fatalf("llb.NewDefinitionOp(rewritten) = %v", err)
	}
	again, err := llb.NewState(op).Marshal(context.Background())
	if err != nil {
		t.Fatalf("marshalling the rewritten definition again: %v", err)
	}
	if got := opNames(t, again.ToPB()); len(got) != len(opNames(t, def)) {
		t.Errorf("the reloaded definition has %d named ops, want %d", len(got), len(opNames(t, def)))
	}
}

func TestRewriteDigests(t *testing.T) {
	fx := newFixture(t)
	a := rewrite(t, fx.def, testKey, values("tok", "A", "tok2", "E"))
	keyed := []string{"secret file", "secret env", "after secret", "mkdir after secret", "merge"}
	kept := []string{"base", "plain"}
	for _, tc := range []struct {
		name    string
		key     []byte
		lookup  Lookup
		changed []string // ops whose digest differs from a's
	}{
		{"same value, same key", testKey, values("tok", "A", "tok2", "E"), nil},
		{"other file secret", testKey, values("tok", "B", "tok2", "E"), []string{"secret file", "after secret", "mkdir after secret", "merge"}},
		{"other env secret", testKey, values("tok", "A", "tok2", "F"), []string{"secret env", "merge"}},
		{"file secret absent", testKey, values("tok2", "E"), []string{"secret file", "after secret", "mkdir after secret", "merge"}},
		{"file secret empty", testKey, values("tok", "", "tok2", "E"), []string{"secret file", "after secret", "mkdir after secret", "merge"}},
		{"other key", bytes.Repeat([]byte{8}, 32), values("tok", "A", "tok2", "E"), keyed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := rewrite(t, fx.def, tc.key, tc.lookup)
			checkConsistent(t, b)
			an, bn := opNames(t, a), opNames(t, b)
			for name, d := range an {
				if got := bn[name] != d; got != slices.Contains(tc.changed, name) {
					t.Errorf("op %q: digest changed = %v, want %v", name, got, !got)
				}
			}
			for _, name := range kept {
				if bn[name] != fx.names[name] {
					t.Errorf("op %q without secrets: digest %s, want the original %s", name, bn[name], fx.names[name])
				}
			}
			for _, name := range keyed {
				if bn[name] == fx.names[name] {
					t.Errorf("op %q: digest unchanged by the rewrite, want a new one", name)
				}
			}
		})
	}
}

func TestRewriteEnv(t *testing.T) {
	fx := newFixture(t)
	const value = "s3cr3t-value"
	out := rewrite(t, fx.def, testKey, values("tok", value))
	sum := sha256.Sum256([]byte(value))
	for _, dt := range out.Def {
		if bytes.Contains(dt, []byte(value)) || bytes.Contains(dt, []byte(hex.EncodeToString(sum[:]))) {
			t.Errorf("the rewritten definition holds the value or its plain hash")
		}
	}
	ex := execNamed(t, out, "secret file")
	want := []string{"KEEP=1", EnvPrefix + "0=" + Tag(testKey, "tok", []byte(value), true)}
	if got := ex.Meta.Env; !slices.Equal(got[len(got)-2:], want) {
		t.Errorf("env of the secret RUN = %q, want it to end with %q", got, want)
	}
	envRun := execNamed(t, out, "secret env")
	if got := envRun.Meta.Env[len(envRun.Meta.Env)-1]; got != EnvPrefix+"0="+Tag(testKey, "tok2", nil, false) {
		t.Errorf("env of the secret env RUN ends with %q, want the absent tag", got)
	}
	if plain := execNamed(t, out, "plain"); slices.ContainsFunc(plain.Meta.Env, func(s string) bool { return strings.HasPrefix(s, EnvPrefix) }) {
		t.Errorf("the RUN without secrets got a %s variable: %q", EnvPrefix, plain.Meta.Env)
	}
}

func execNamed(t *testing.T, def *pb.Definition, name string) *pb.ExecOp {
	t.Helper()
	d := opNames(t, def)[name]
	for _, dt := range def.Def {
		if digest.FromBytes(dt) != d {
			continue
		}
		var op pb.Op
		if err := op.Unmarshal(dt); err != nil {
			t.Fatal(err)
		}
		return op.GetExec()
	}
	t.Fatalf("no op named %q", name)
	return nil
}

// TestRewriteIdempotent: a definition that embeds an already rewritten one
// (FROM a step) gets the same bytes again, and a preset variable is replaced.
func TestRewriteIdempotent(t *testing.T) {
	fx := newFixture(t)
	l := values("tok", "A", "tok2", "E")
	once := rewrite(t, fx.def, testKey, l)
	twice := rewrite(t, once, testKey, l)
	if twice != once {
		t.Errorf("Rewrite(Rewrite(def)) is a new definition, want the same (nothing to change)")
	}
	other := rewrite(t, once, testKey, values("tok", "B", "tok2", "E"))
	direct := rewrite(t, fx.def, testKey, values("tok", "B", "tok2", "E"))
	if !slices.EqualFunc(other.Def, direct.Def, bytes.Equal) {
		t.Errorf("rewriting a rewritten definition with value B differs from rewriting the original with B")
	}
}

func TestRewritePresetVariable(t *testing.T) {
	st := llb.Image("busybox").Run(llb.Shlex("true"), llb.AddEnv(EnvPrefix+"0", "forged"),
		llb.AddSecret("/run/secrets/tok", llb.SecretID("tok"))).Root()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := rewrite(t, def.ToPB(), testKey, values("tok", "A"))
	for _, dt := range out.Def {
		if bytes.Contains(dt, []byte("forged")) {
			t.Errorf("a preset %s0 survived the rewrite", EnvPrefix)
		}
	}
}

func TestRewriteNoSecrets(t *testing.T) {
	def, err := llb.Image("busybox").Run(llb.Shlex("true")).Root().Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pbdef := def.ToPB()
	out, err := Rewrite(pbdef, func() []byte { t.Error("Rewrite asked for the key of a definition without secrets"); return nil }, values())
	if err != nil || out != pbdef {
		t.Errorf("Rewrite of a definition without secrets = %v, %v; want the same definition", out, err)
	}
}

func TestRewriteErrors(t *testing.T) {
	fx := newFixture(t)
	var op pb.Op
	op.Inputs = []*pb.Input{{Digest: string(digest.FromString("nowhere"))}}
	dangling, _ := op.Marshal()
	for _, tc := range []struct {
		name string
		def  *pb.Definition
		key  []byte
		want string
	}{
		{"empty key", fx.def, nil, "key is empty"},
		{"not an op", &pb.Definition{Def: [][]byte{{0xff, 0xff}}}, testKey, "parsing an LLB op"},
		{"dangling input", &pb.Definition{Def: [][]byte{dangling}}, testKey, "is not in the definition"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Rewrite(tc.def, fixedKey(tc.key), values())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Rewrite() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestTagSeparates(t *testing.T) {
	type in struct {
		id, value string
		ok        bool
	}
	cases := []in{{"a", "b", true}, {"a", "", true}, {"a", "", false}, {"ab", "c", true}, {"a", "bc", true}, {"b", "", false}}
	seen := map[string]in{}
	for _, c := range cases {
		tag := Tag(testKey, c.id, []byte(c.value), c.ok)
		if prev, dup := seen[tag]; dup {
			t.Errorf("Tag(%+v) = Tag(%+v)", c, prev)
		}
		seen[tag] = c
		if again := Tag(testKey, c.id, []byte(c.value), c.ok); again != tag {
			t.Errorf("Tag(%+v) is not deterministic", c)
		}
	}
}

// BenchmarkRewrite100 rewrites a chain of 100 ops, every tenth a RUN
// mounting a secret (so nearly every op gets a new digest).
func BenchmarkRewrite100(b *testing.B) {
	st := llb.Image("busybox")
	for i := range 99 {
		opts := []llb.RunOption{llb.Shlex(fmt.Sprintf("echo %d", i))}
		if i%10 == 0 {
			opts = append(opts, llb.AddSecret("/run/secrets/tok", llb.SecretID("tok")))
		}
		st = st.Run(opts...).Root()
	}
	def, err := st.Marshal(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	pbdef := def.ToPB()
	if n := len(pbdef.Def); n != 101 {
		b.Fatalf("the definition has %d ops, want 101 (100 and the terminal)", n)
	}
	l := values("tok", "A")
	b.ResetTimer()
	for b.Loop() {
		if _, err := Rewrite(pbdef, fixedKey(testKey), l); err != nil {
			b.Fatal(err)
		}
	}
}
