//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServePool: weld serve --builders FILE runs every build on the pool:
// a submission's steps land on both daemons that answer (the build record
// names them), the one that does not answer is left out with a warning,
// and nothing the server returns names the builders file, its TLS files
// or the daemons' socket paths.
func TestServePool(t *testing.T) {
	e := testEnv(t)
	reg, ds := twoDaemons(t)
	conf := t.TempDir()
	certs := filepath.Join(conf, "certs")
	builders := writeFile(t, filepath.Join(conf, "builders.yml"), fmt.Sprintf(
		"- addr: %s\n- addr: %s\n- addr: tcp://127.0.0.1:1\n  tls: {ca: certs/ca.pem, cert: certs/client.pem, key: certs/client-key.pem}\n",
		ds[0].Addr, ds[1].Addr))
	dir := t.TempDir()
	tokens := writeFile(t, filepath.Join(dir, "tokens"), serveTokenA+" a\n")
	s := startServe(t, e, filepath.Join(dir, "state"), "--tokens", tokens, "--builders", builders,
		"--staging", reg+"/weld-serve-staging", "--output", "oci:"+filepath.Join(dir, "out"))

	n := nonce(t)
	files := map[string]string{"Dockerfile": "FROM busybox\nRUN sleep 1 && echo " + n + "\n"}
	yml := "build:\n  version: 2016-03-14\n  steps:\n"
	for i := range 4 {
		yml += fmt.Sprintf("    s%d: {name: servepool-s%d, dockerfile: Dockerfile}\n", i, i)
	}
	files["build.yml"] = yml
	id := s.submitTar(t, serveTokenA, "", tarGz(t, files))
	var seen strings.Builder
	s.seen(t, &seen, id, 4*time.Minute)
	_, dt, _ := s.call(t, "GET", "/v1/builds/"+id, serveTokenA, nil)
	var rec struct {
		Status string
		Result map[string]struct {
			Daemon string `json:"daemon"`
		}
	}
	if err := json.Unmarshal(dt, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status != "succeeded" || len(rec.Result) != 4 {
		t.Fatalf("build %s: status %q, %d steps; want succeeded, 4:\n%s\nserver log:\n%s", id, rec.Status, len(rec.Result), dt, s.log())
	}
	used := map[string]int{}
	for _, r := range rec.Result {
		used[r.Daemon]++
	}
	if used["unix://buildkitd.sock#1"] == 0 || used["unix://buildkitd.sock#2"] == 0 || len(used) != 2 {
		t.Errorf("the steps ran on %v, want both daemons that answer (unix://buildkitd.sock#1 and #2)", used)
	}
	all := seen.String()
	if !strings.Contains(all, "leaving out a daemon of the pool that does not answer: connecting to BuildKit at tcp://127.0.0.1:1: could not read ca certificate: open [tls]") {
		t.Errorf("no warning that tcp://127.0.0.1:1 was left out, its CA file shown as [tls]; events:\n%s", all)
	}
	for _, p := range []string{builders, conf, certs, ds[0].Dir, ds[1].Dir, dir} {
		if i := strings.Index(all, p); i >= 0 {
			t.Errorf("what the server returned names its path %s: …%s…", p, all[max(0, i-120):min(len(all), i+120)])
		}
	}
}
