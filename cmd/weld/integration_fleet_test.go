//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/itest"
)

// standInKubectl writes a kubectl that does what `kubectl exec -i POD --
// buildctl dial-stdio` does against a pod of buildkitd, against the local
// daemon at addr instead, after checking BuildKit's kube-pod helper called
// it so; each call's arguments go to the returned log.
func standInKubectl(t *testing.T, pod, addr string) (binDir, log string) {
	t.Helper()
	binDir = t.TempDir()
	log = filepath.Join(binDir, "calls.log")
	script := fmt.Sprintf(`#!/bin/sh
echo "$@" >> %q
want="exec --container= -i %s -- buildctl dial-stdio"
case "$*" in *"$want") ;; *) echo "stand-in kubectl: unexpected call: $*" >&2; exit 1 ;; esac
exec buildctl --addr %q dial-stdio
`, log, pod, addr)
	if err := os.WriteFile(filepath.Join(binDir, "kubectl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return binDir, log
}

func fleetProject(t *testing.T, n string) string {
	return writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    compile: {name: fleetcli-compile, dockerfile: Dockerfile.compile, artifacts: [/out/bin]}
    app1: {name: fleetcli-app1, dockerfile: Dockerfile.app, depends_on: [compile]}
    app2: {name: fleetcli-app2, dockerfile: Dockerfile.app, depends_on: [compile]}
    app3: {name: fleetcli-app3, dockerfile: Dockerfile.app, depends_on: [compile]}
`,
		"Dockerfile.compile": "FROM busybox\nRUN mkdir /out && echo " + n + " > /out/bin\n",
		"Dockerfile.app":     "FROM busybox\nCOPY bin /app/bin\nRUN sleep 1 && cat /app/bin\n",
		// an earlier run's durations: the apps outweigh a handover
		".weld/durations.json": `{"compile": 1, "app1": 3, "app2": 3, "app3": 3}`,
	})
}

// TestFleetBuildersFile: weld build --builders FILE on a pool of a unix
// daemon, a kube-pod:// daemon reached through BuildKit's real kube-pod
// helper (a stand-in kubectl), and one that does not answer: that one is
// left out with a warning, the others share the build, the metadata and
// the summary name the daemon of each step.
func TestFleetBuildersFile(t *testing.T) {
	e := testEnv(t)
	reg := os.Getenv("WELD_TEST_REGISTRY")
	if reg == "" {
		t.Fatal("TestFleetBuildersFile needs WELD_TEST_REGISTRY (the staging registry); run scripts/test.sh")
	}
	ds := itest.StartBuildkitds(t, "../..", 2, reg)
	kubeBin, calls := standInKubectl(t, "buildkitd-1", ds[1].Addr)
	dir := fleetProject(t, nonce(t))
	gone := "unix://" + filepath.Join(t.TempDir(), "gone.sock")
	pool := fmt.Sprintf("- addr: %s\n- addr: kube-pod://buildkitd-1\n- addr: %s\n  capacity: 2\n", ds[0].Addr, gone)
	if err := os.WriteFile(filepath.Join(dir, "builders.yml"), []byte(pool), 0o644); err != nil {
		t.Fatal(err)
	}
	w := e.command(dir, e.host, "--builders", "builders.yml", "--staging", reg+"/weld-cli-staging",
		"--output", "oci:out", "--metadata-file", "m.json")
	w.cmd.Env = append(w.cmd.Env, "PATH="+kubeBin+":"+os.Getenv("PATH"))
	w.expect(t, w.run(t, 5*time.Minute), 0, "leaving out a daemon of the pool that does not answer", gone)
	dt, err := os.ReadFile(filepath.Join(dir, "m.json"))
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]map[string]any
	if err := json.Unmarshal(dt, &md); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for label, m := range md {
		d, _ := m["daemon"].(string)
		if d == "" {
			t.Errorf("m.json %s names no daemon:\n%s", label, dt)
		}
		used[d] = true
	}
	if !used["kube-pod://buildkitd-1"] || len(used) != 2 {
		t.Errorf("the steps ran on %v, want the unix daemon and kube-pod://buildkitd-1", used)
	}
	if !strings.Contains(w.stderr.String(), " on kube-pod://buildkitd-1") {
		t.Errorf("the summary does not say which steps ran on kube-pod://buildkitd-1:\n%s", w.stderr.String())
	}
	if log, _ := os.ReadFile(calls); !strings.Contains(string(log), "exec --container= -i buildkitd-1 -- buildctl dial-stdio") {
		t.Errorf("the stand-in kubectl was not called as kube-pod:// calls it; calls:\n%s", log)
	}
}

// TestFleetNoneAnswers: a pool none of whose daemons answers is exit 1,
// naming each address; a bad builders file is exit 2 at its line and column.
func TestFleetNoneAnswers(t *testing.T) {
	e := testEnv(t)
	dir := fleetProject(t, nonce(t))
	a := "unix://" + filepath.Join(dir, "a.sock")
	b := "unix://" + filepath.Join(dir, "b.sock")
	w := e.command(dir, e.host, "--addr", a, "--addr", b)
	w.expect(t, w.run(t, 2*time.Minute), 1, "no BuildKit daemon of the pool answered", a, b)
	for _, tc := range []struct{ file, want string }{
		{"- addr: unix:///x\n  capacty: 2\n", "builders.yml:2:3: unknown key \"capacty\""},
		{"- addr: unix:///x\n  tls: {ca: ca.pem}\n", "builders.yml:1:9: tls: is for tcp:// daemons"},
		{"- addr: http://127.0.0.1:80\n", "builders.yml:1:9: addr \"http://127.0.0.1:80\""},
	} {
		if err := os.WriteFile(filepath.Join(dir, "builders.yml"), []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		w := e.command(dir, e.host, "--builders", "builders.yml")
		w.expect(t, w.run(t, time.Minute), 2, tc.want)
	}
}
