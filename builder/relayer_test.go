package builder

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestToRewriteKeepsTheBasePrefix(t *testing.T) {
	d := func(s string) digest.Digest { return digest.FromString(s) }
	for _, tc := range []struct {
		name        string
		diffs, base []digest.Digest
		want        []int
		imm         []digest.Digest
	}{
		{"no base", []digest.Digest{d("a"), d("b")}, nil, []int{0, 1}, []digest.Digest{"", ""}},
		{"base kept", []digest.Digest{d("a"), d("b"), d("c")}, []digest.Digest{d("a"), d("b")}, []int{2}, []digest.Digest{""}},
		// Diverged at 1: the base's diffID there is what a rewrite may keep.
		{"diverged", []digest.Digest{d("a"), d("x"), d("b")}, []digest.Digest{d("a"), d("b")}, []int{1, 2}, []digest.Digest{d("b"), ""}},
		// Once diverged, a later match is rewritten all the same, and nothing kept.
		{"no match after divergence", []digest.Digest{d("x"), d("b")}, []digest.Digest{d("a"), d("b")}, []int{0, 1}, []digest.Digest{d("a"), ""}},
	} {
		got := toRewrite(tc.diffs, tc.base)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d layers to rewrite, want %d", tc.name, len(got), len(tc.want))
			continue
		}
		for i, g := range got {
			if g.i != tc.want[i] || g.imm != tc.imm[i] {
				t.Errorf("%s: #%d = layer %d (imm %q), want layer %d (imm %q)", tc.name, i, g.i, g.imm, tc.want[i], tc.imm[i])
			}
		}
	}
}

// TestRelayerRefusesForeignJSON: a staged manifest that is not written as
// BuildKit writes it fails the rewrite rather than get other bytes.
func TestRelayerRefusesForeignJSON(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	rl := &relayer{dir: dir, moved: map[digest.Digest]digest.Digest{}, sizes: map[digest.Digest]int64{}, written: map[digest.Digest]bool{}}
	man := ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest}
	man.SchemaVersion = 2
	compact, _ := json.Marshal(man) // BuildKit indents
	desc, err := rl.putBlob(compact)
	if err != nil {
		t.Fatal(err)
	}
	desc.MediaType = ocispecs.MediaTypeImageManifest
	if _, err := rl.image(desc, nil); err == nil {
		t.Error("the rewrite took a manifest BuildKit did not write")
	}
	indented, _ := indentJSON(man)
	desc, _ = rl.putBlob(indented)
	var back ocispecs.Manifest
	if err := rl.readExact(desc, &back, indentJSON); err != nil {
		t.Errorf("readExact of BuildKit's form: %v", err)
	}
}
