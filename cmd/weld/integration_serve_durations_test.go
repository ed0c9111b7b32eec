//go:build integration

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServeKeepsDurations: weld serve keeps a project's step durations in
// its state folder, not in the build's work folder (removed after the
// build): a second build of the project by the same tenant starts from the
// first's (a label it does not build keeps the first build's figure, as
// weld build's durations.json does), and another tenant's build of the
// same project does not see them.
func TestServeKeepsDurations(t *testing.T) {
	e := testEnv(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	tokens := writeFile(t, filepath.Join(dir, "tokens"), serveTokenA+" a\n"+serveTokenB+" b\n")
	s := startServe(t, e, state, "--tokens", tokens, "--output", "oci:"+filepath.Join(dir, "out"))
	n := nonce(t)
	files := map[string]string{
		"Dockerfile.slow": "FROM busybox\nRUN sleep 1 && echo slow " + n + " >/x\n",
		"Dockerfile.more": "FROM busybox\nRUN echo more " + n + " >/x\n",
		"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    slow: {name: durations-slow, dockerfile: Dockerfile.slow}\n",
	}
	build := func(token string) {
		t.Helper()
		id := s.submitTar(t, token, "", tarGz(t, files))
		s.follow(t, token, id, 3*time.Minute)
		_, dt, _ := s.call(t, "GET", "/v1/builds/"+id, token, nil)
		var rec struct{ Status string }
		if json.Unmarshal(dt, &rec) != nil || rec.Status != "succeeded" {
			t.Fatalf("build %s did not succeed:\n%s\nserver log:\n%s", id, dt, s.log())
		}
	}
	kept := func() map[string]map[string]float64 { // by tenant folder
		t.Helper()
		out := map[string]map[string]float64{}
		paths, _ := filepath.Glob(filepath.Join(state, "durations", "*", "*.json"))
		for _, p := range paths {
			dt, err := os.ReadFile(p)
			var d map[string]float64
			if err != nil || json.Unmarshal(dt, &d) != nil {
				t.Fatalf("%s: %v %s", p, err, dt)
			}
			out[filepath.Base(filepath.Dir(p))] = d
		}
		return out
	}

	build(serveTokenA)
	first := kept()
	if len(first) != 1 {
		t.Fatalf("durations in the state folder after tenant a's build: %v, want one tenant's file", first)
	}
	var a string
	for k, d := range first {
		if a = k; d["slow"] < 1 {
			t.Fatalf("tenant a's durations %v, want slow ≥ 1 s", d)
		}
	}

	head := "build:\n  version: 2016-03-14\n  steps:\n"
	files["build.yml"] = head + "    more: {name: durations-more, dockerfile: Dockerfile.more}\n"
	build(serveTokenA)
	second := kept()[a]
	if second["slow"] != first[a]["slow"] || second["more"] <= 0 {
		t.Errorf("tenant a's durations after its second build: %v, want slow %.3f (the first build's) and more", second, first[a]["slow"])
	}

	// Tenant b, the same project's build file with a step of its own: its
	// file holds that step only, none of tenant a's.
	files["Dockerfile.bonly"] = "FROM busybox\nRUN echo b " + n + " >/x\n"
	files["build.yml"] = head + "    bonly: {name: durations-bonly, dockerfile: Dockerfile.bonly}\n"
	build(serveTokenB)
	all := kept()
	if len(all) != 2 {
		t.Fatalf("durations after tenant b's build: %v, want a file per tenant", all)
	}
	for k, d := range all {
		if k != a && (len(d) != 1 || d["bonly"] <= 0) {
			t.Errorf("tenant b's durations %v, want bonly's only (tenant a's are %v)", d, second)
		}
	}
}
