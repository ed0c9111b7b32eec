//go:build integration

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// reproRun runs weld build --push -o oci:out in dir with args and returns
// the step's metadata (digest, unchanged) and its summary line.
func (e pubEnv) reproRun(t *testing.T, dir string, args ...string) (digest string, unchanged bool, summary string) {
	t.Helper()
	w := e.command(dir, e.host, append([]string{"--push", "-o", "oci:out", "--metadata-file", "m.json"}, args...)...).withDockerHost(noEngineHost)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	dt, err := os.ReadFile(filepath.Join(dir, "m.json"))
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]struct {
		Digest    string `json:"containerimage.digest"`
		Unchanged bool   `json:"unchanged"`
	}
	if err := json.Unmarshal(dt, &md); err != nil {
		t.Fatalf("parsing m.json: %v\n%s", err, dt)
	}
	for _, l := range strings.Split(w.stderr.String(), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "app ") {
			summary = l
		}
	}
	return md["app"].Digest, md["app"].Unchanged, summary
}

// TestPushRebuildIsUnchanged: weld build --push run twice on the same
// inputs publishes the same index digest (the registry serves it for the
// tag), and the second run's summary and metadata call it unchanged;
// with --reproducible=false two runs give two digests, neither unchanged.
func TestPushRebuildIsUnchanged(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	repo := "weld-it/repro-" + n[:12]
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + e.registry + "/" + repo + ":v1\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nCOPY f /f\nRUN echo " + n + " > /n\n",
		"f":          n,
	})
	first, unchanged, _ := e.reproRun(t, dir)
	if unchanged {
		t.Errorf("the first build is reported unchanged")
	}
	second, unchanged, line := e.reproRun(t, dir)
	if second != first || !unchanged || !strings.Contains(line, "unchanged") {
		t.Errorf("the rebuild: digest %s (want %s), unchanged %v, summary %q; want the same digest, unchanged in the metadata and the summary", second, first, unchanged, line)
	}
	if got := manifestDigest(t, e.registry, repo, "v1"); got != first {
		t.Errorf("the registry serves %s:v1 as %s, want %s", repo, got, first)
	}
	off1, _, _ := e.reproRun(t, dir, "--reproducible=false")
	time.Sleep(1100 * time.Millisecond) // created times are in seconds
	off2, unchanged, line := e.reproRun(t, dir, "--reproducible=false")
	if off1 == off2 || off1 == first || unchanged || strings.Contains(line, "unchanged") {
		t.Errorf("--reproducible=false gives %s then %s (unchanged %v, summary %q), want two new digests, not unchanged", off1, off2, unchanged, line)
	}
	if got := manifestDigest(t, e.registry, repo, "v1"); got != off2 {
		t.Errorf("the registry serves %s:v1 as %s, want the last push %s", repo, got, off2)
	}
}
