//go:build integration

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeNamesNoServerPath: a build that passes the operator's gate and
// one that fails: their records, event streams, reports and the list
// name none of the server's folders (state, work, output, images, secret
// file, policy file); the failure names its Dockerfile line relative to
// the upload; the result and the report carry the gate's result and the
// daemon each step ran on (redacted).
func TestServeNamesNoServerPath(t *testing.T) {
	e := testEnv(t)
	dir := t.TempDir()
	secret := "s3cr3t-" + nonce(t)
	pol := writeFile(t, filepath.Join(dir, "service.policy.yml"), "gates:\n  - run: \"echo gate-saw {{oci_dir}} $WELD_OCI_DIR; test -f {{oci_dir}}/index.json\"\n")
	s, state, out := serveSetup(t, secret, "--policy", pol)
	n := nonce(t)
	ok := s.submitTar(t, serveTokenA, "", tarGz(t, serveProject(n)))
	bad := s.submitTar(t, serveTokenA, "", tarGz(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    breaks:\n      name: serve-breaks\n",
		"Dockerfile": "FROM busybox\nRUN echo in $(pwd) " + n + " && exit 3\n",
	}))
	var seen strings.Builder
	for _, id := range []string{ok, bad} {
		s.seen(t, &seen, id, 3*time.Minute)
	}
	_, list, _ := s.call(t, "GET", "/v1/builds", serveTokenA, nil)
	seen.Write(list)
	all := seen.String()
	for _, p := range []string{state, out, e.images, filepath.Join(dir, "secret-a"), pol, dir} {
		if i := strings.Index(all, p); i >= 0 {
			t.Errorf("what the server returned names its path %s: …%s…", p, all[max(0, i-120):min(len(all), i+120)])
		}
	}
	for _, want := range []string{"gate-saw [output]/", "[policy]", "Dockerfile:2"} {
		if !strings.Contains(all, want) {
			t.Errorf("what the server returned lacks %q", want)
		}
	}
	_, dt, _ := s.call(t, "GET", "/v1/builds/"+ok, serveTokenA, nil)
	var rec struct {
		Result map[string]struct {
			Daemon string `json:"daemon"`
			Gates  []struct {
				Name, Source string
				Passed       bool
				Duration     float64
			} `json:"gates"`
		}
	}
	if err := json.Unmarshal(dt, &rec); err != nil {
		t.Fatal(err)
	}
	rt := rec.Result["runtime"]
	if rt.Daemon != "unix://buildkitd.sock" || len(rt.Gates) != 1 || !rt.Gates[0].Passed || rt.Gates[0].Source != "[policy]:2:10" || rt.Gates[0].Duration <= 0 {
		t.Errorf("runtime's result daemon %q gates %+v, want unix://buildkitd.sock and the passed gate from [policy]:2:10", rt.Daemon, rt.Gates)
	}
	_, page, _ := s.call(t, "GET", "/v1/builds/"+ok+"/report", serveTokenA, nil)
	for _, want := range []string{`<tr class="gate" data-step="runtime" data-passed="true">`, `<td class="mono daemon">unix://buildkitd.sock</td>`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the report lacks %s", want)
		}
	}
}
