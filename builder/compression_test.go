package builder

import (
	"maps"
	"testing"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/dag"
)

// TestForceGzipCache: a cache export forces gzip unless the user chose its
// compression; the user's attrs are never changed in place.
func TestForceGzipCache(t *testing.T) {
	user := map[string]string{"ref": "reg/cache", "mode": "max"}
	got := forceGzipCache(client.CacheOptionsEntry{Type: "registry", Attrs: user})
	if got.Attrs[attrCompression] != compressionGzip || got.Attrs[attrForceCompression] != "true" || got.Attrs["ref"] != "reg/cache" {
		t.Errorf("registry cache attrs = %v, want ref kept and gzip forced", got.Attrs)
	}
	if _, ok := user[attrCompression]; ok {
		t.Errorf("forceGzipCache changed the caller's attrs: %v", user)
	}
	for _, attrs := range []map[string]string{{attrCompression: "zstd"}, {attrForceCompression: "false"}} {
		got := forceGzipCache(client.CacheOptionsEntry{Type: "local", Attrs: attrs})
		if len(got.Attrs) != 1 {
			t.Errorf("the user's choice %v became %v", attrs, got.Attrs)
		}
	}
	if got := forceGzipCache(client.CacheOptionsEntry{Type: "local"}); got.Attrs[attrForceCompression] != "true" {
		t.Errorf("a cache export without attrs = %v, want gzip forced", got.Attrs)
	}
}

// TestStagedCompression: the staged export of a step weld rewrites asks
// for uncompressed layers only when nothing else exports them unrewritten:
// a FROM parent, a --cache-to run, daemon-side rewrites force gzip.
func TestStagedCompression(t *testing.T) {
	parent := &dag.Step{Label: "parent"}
	child := &dag.Step{Label: "child", DependsOn: []string{"parent"}, FromSteps: []string{"parent"}}
	leaf := &dag.Step{Label: "leaf"}
	mk := func(o options) *run {
		o.repro.epoch = "0"
		cfg := &runConfig{steps: []*dag.Step{parent, child, leaf}, publish: map[string]bool{"parent": true, "child": true, "leaf": true}, opts: &o}
		return &run{Builder: &Builder{o: &o}, runConfig: cfg}
	}
	attrsOf := func(r *run, s *dag.Step) map[string]string {
		a := map[string]string{}
		r.stagedCompression(s, a)
		return a
	}
	forced := map[string]string{attrCompression: compressionGzip, attrForceCompression: "true"}
	plain := map[string]string{attrCompression: compressionNone}
	r := mk(options{})
	for s, want := range map[*dag.Step]map[string]string{leaf: plain, child: plain, parent: forced} {
		if got := attrsOf(r, s); !maps.Equal(got, want) {
			t.Errorf("step %s: %v, want %v", s.Label, got, want)
		}
	}
	for name, o := range map[string]options{
		"--cache-to":          {cacheTo: []client.CacheOptionsEntry{{Type: "local"}}},
		"the daemon rewrites": {repro: reproOptions{daemonRewrite: true}},
		"not reproducible":    {repro: reproOptions{off: true}},
	} {
		if got := attrsOf(mk(o), leaf); !maps.Equal(got, forced) {
			t.Errorf("%s: leaf %v, want %v", name, got, forced)
		}
	}
}
