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

// TestFleetNativePlatforms: a pool of two daemons of this amd64 machine
// whose builders file says the second is native for linux/arm64 (standing
// in for an arm64 machine): weld plan --builders and weld build put every
// arm64 step there and every amd64 step, and the step without platforms
// (the pool's default platform, the first daemon's), on the first, however
// the steps' cache keys hash; each image is of its own platform; no step
// is said to run under emulation.
func TestFleetNativePlatforms(t *testing.T) {
	e := multiEnv(t)
	_, ds := twoDaemons(t)
	n := nonce(t)
	steps := ""
	for i := range 3 {
		steps += fmt.Sprintf("    arm%d: {name: fleetplat-arm%d, dockerfile: Dockerfile, platforms: [linux/arm64]}\n", i, i)
		steps += fmt.Sprintf("    amd%d: {name: fleetplat-amd%d, dockerfile: Dockerfile, platforms: [linux/amd64]}\n", i, i)
	}
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n" + steps + "    plain: {name: fleetplat-plain, dockerfile: Dockerfile}\n",
		"Dockerfile": "FROM busybox\nRUN uname -m > /arch && echo " + n + "\n",
		"builders.yml": fmt.Sprintf("- addr: %s\n  capacity: 2\n- addr: %s\n  capacity: 2\n  platforms: [linux/arm64]\n",
			ds[0].Addr, ds[1].Addr),
	})
	first, second := "unix://buildkitd.sock#1", "unix://buildkitd.sock#2"
	want := func(label string) string {
		if strings.HasPrefix(label, "arm") {
			return second
		}
		return first
	}

	plan := e.multiCommand(dir, "-f", "build.yml", "--builders", "builders.yml")
	plan.cmd.Args = []string{e.bin, "plan", "-f", "build.yml", "--builders", "builders.yml"}
	plan.expect(t, plan.run(t, time.Minute), 0)
	if out := plan.stdout.String(); !strings.Contains(out, "linux/arm64") || !strings.Contains(out, "expected makespan") {
		t.Errorf("weld plan --builders shows no platforms or no makespan:\n%s", out)
	}
	for _, line := range strings.Split(plan.stdout.String(), "\n") {
		f := strings.Fields(line)
		// plain is left out: weld plan knows only the file's platforms,
		// and the first daemon's come from its workers at build time.
		if len(f) >= 2 && (strings.HasPrefix(f[0], "arm") || strings.HasPrefix(f[0], "amd")) && f[1] != want(f[0]) {
			t.Errorf("weld plan puts %s on %s, want %s:\n%s", f[0], f[1], want(f[0]), plan.stdout.String())
		}
	}

	w := e.multiCommand(dir, "--builders", "builders.yml", "--output", "oci:out", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 6*time.Minute), 0)
	// The file says the second daemon is native for arm64: weld does not
	// warn of emulation there, whatever its worker reports.
	if i := strings.Index(w.stderr.String(), "runs under emulation"); i >= 0 {
		t.Errorf("weld warns of emulation on a daemon the builders file declares native:\n%s", w.stderr.String()[max(0, i-200):min(w.stderr.Len(), i+200)])
	}
	dt, err := os.ReadFile(filepath.Join(dir, "m.json"))
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]struct {
		Daemon    string `json:"daemon"`
		Platforms []struct {
			Platform string `json:"platform"`
		} `json:"weld.platforms"`
	}
	if err := json.Unmarshal(dt, &md); err != nil {
		t.Fatal(err)
	}
	if len(md) != 7 {
		t.Fatalf("m.json has %d steps, want 7:\n%s", len(md), dt)
	}
	for label, m := range md {
		if m.Daemon != want(label) {
			t.Errorf("step %s ran on %q, want %s (native for its platform)", label, m.Daemon, want(label))
		}
		if label == "plain" {
			continue
		}
		arch := "linux/amd64"
		if strings.HasPrefix(label, "arm") {
			arch = "linux/arm64"
		}
		if len(m.Platforms) != 1 || m.Platforms[0].Platform != arch {
			t.Errorf("step %s's image is for %v, want %s", label, m.Platforms, arch)
		}
	}
}

// twoDaemons starts two buildkitds of the test's own that may use the
// staging registry (WELD_TEST_REGISTRY), and returns that registry.
func twoDaemons(t *testing.T) (string, []itest.Buildkitd) {
	t.Helper()
	reg := os.Getenv("WELD_TEST_REGISTRY")
	if reg == "" {
		t.Fatalf("%s needs WELD_TEST_REGISTRY (the staging registry); run scripts/test.sh", t.Name())
	}
	return reg, itest.StartBuildkitds(t, "../..", 2, reg)
}
