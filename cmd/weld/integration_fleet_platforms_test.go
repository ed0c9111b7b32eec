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

// TestFleetSplitsPlatforms: a published step of two platforms on a pool of
// two daemons of this amd64 machine, the second declared native for
// linux/arm64 (standing in for an arm64 machine): weld plan shows the
// split, and weld builds amd64 on the
// first and arm64 on the second, each in a session of its own, and ships
// one index of both, with each platform's labels, provenance and SBOM. No
// platform runs under emulation; the metadata names each platform's
// daemon; and the index, each platform's image and its attestations, is
// the one a single daemon builds (reproducible: the same digests).
func TestFleetSplitsPlatforms(t *testing.T) {
	e := multiEnv(t)
	_, ds := twoDaemons(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: fleetsplit-app\n      dockerfile: Dockerfile\n" +
			"      platforms: [linux/amd64, linux/arm64]\n      tests: ['test -s /arch']\n",
		"Dockerfile":   "FROM busybox\nRUN uname -m > /arch && echo " + n + "\n",
		"builders.yml": fmt.Sprintf("- addr: %s\n  platforms: [linux/amd64]\n- addr: %s\n  platforms: [linux/arm64]\n", ds[0].Addr, ds[1].Addr),
	})
	first, second := "unix://buildkitd.sock#1", "unix://buildkitd.sock#2"

	plan := e.multiCommand(dir)
	plan.cmd.Args = []string{e.bin, "plan", "-f", "build.yml", "--builders", "builders.yml"}
	plan.expect(t, plan.run(t, time.Minute), 0)
	var line string
	for _, l := range strings.Split(plan.stdout.String(), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "app" {
			line = l
		}
	}
	// Placed on one daemon, its other platform on the other.
	if !strings.Contains(line, "linux/amd64, linux/arm64 (on "+second+")") && !strings.Contains(line, "linux/amd64 (on "+first+"), linux/arm64") ||
		strings.Contains(line, "emulated") {
		t.Errorf("weld plan --builders shows app as %q, want each platform on its native daemon, nothing emulated:\n%s", line, plan.stdout.String())
	}

	w := e.multiCommand(dir, "--builders", "builders.yml", "--output", "oci:split", "--metadata-file", "split.json")
	builtNatively(t, w, filepath.Join(dir, "split", "app"), "app")

	type meta struct {
		Daemon    string `json:"daemon"`
		Digest    string `json:"containerimage.digest"`
		Platforms []struct {
			Platform, Digest, Daemon string
		} `json:"weld.platforms"`
	}
	var split map[string]meta
	readJSONFile(t, filepath.Join(dir, "split.json"), &split)
	app := split["app"]
	if app.Daemon != first+", "+second {
		t.Errorf("app ran on %q, want %q (amd64's daemon, then arm64's)", app.Daemon, first+", "+second)
	}
	byPlat := map[string]string{}
	for _, p := range app.Platforms {
		byPlat[p.Platform] = p.Daemon
	}
	if byPlat["linux/amd64"] != first || byPlat["linux/arm64"] != second || len(byPlat) != 2 {
		t.Errorf("weld.platforms' daemons = %v, want linux/amd64 on %s, linux/arm64 on %s", byPlat, first, second)
	}

	one := e.multiCommand(dir, "--addr", ds[0].Addr, "--output", "oci:one", "--metadata-file", "one.json")
	one.expect(t, one.run(t, 6*time.Minute), 0, "runs under emulation")
	var single map[string]meta
	readJSONFile(t, filepath.Join(dir, "one.json"), &single)
	want := map[string]string{}
	for _, p := range single["app"].Platforms {
		want[p.Platform] = p.Digest
	}
	// The whole index too: its attestations and their order are the ones
	// a single session writes.
	if app.Digest == "" || app.Digest != single["app"].Digest {
		t.Errorf("the split build's index is %q, one daemon's %q", app.Digest, single["app"].Digest)
	}
	for _, p := range app.Platforms {
		if p.Digest != want[p.Platform] {
			t.Errorf("%s: the split build's image is %s, one daemon's %s", p.Platform, p.Digest, want[p.Platform])
		}
	}
}

// TestFleetSplitFailsAsOne: the parts of a split step are one step to
// the gates. A secret that only the arm64 part (on the other daemon)
// writes into its image is found in the merged index, and a test that
// fails only on arm64 fails the step, naming that platform; either way
// nothing is published and the amd64 part's image goes nowhere.
func TestFleetSplitFailsAsOne(t *testing.T) {
	e := multiEnv(t)
	_, ds := twoDaemons(t)
	pool := fmt.Sprintf("- addr: %s\n- addr: %s\n  platforms: [linux/arm64]\n", ds[0].Addr, ds[1].Addr)
	for _, c := range []struct {
		name, dockerfile, extra string
		want                    []string
	}{
		{"leak on arm64", "FROM busybox\nRUN --mount=type=secret,id=tok if [ \"$(uname -m)\" = aarch64 ]; then base64 /run/secrets/tok > /leak; fi; echo %s\n",
			"      secrets:\n        tok: {type: file, value: tok}\n", []string{`secret "tok" in layer sha256:`, "file /leak (base64)", "not published"}},
		{"test fails on arm64", "FROM busybox\nRUN uname -m > /arch && echo %s\n",
			"      tests: ['test \"$(cat /arch)\" = x86_64']\n", []string{"linux/arm64"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := nonce(t)
			token := "tok-" + n
			dir := writeProject(t, map[string]string{
				"tok":        token,
				"Dockerfile": fmt.Sprintf(c.dockerfile, n),
				"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: fleetsplit-fail\n      dockerfile: Dockerfile\n" +
					"      platforms: [linux/amd64, linux/arm64]\n" + c.extra,
				"builders.yml": pool,
			})
			w := e.multiCommand(dir, "--builders", "builders.yml", "--output", "oci:out")
			w.expect(t, w.run(t, 6*time.Minute), 1, c.want...)
			if strings.Contains(w.stderr.String(), "runs under emulation") {
				t.Errorf("the step was not split (a platform ran under emulation)")
			}
			if strings.Contains(w.stderr.String(), token) {
				t.Errorf("weld's output holds the secret")
			}
			if _, err := os.Stat(filepath.Join(dir, "out", "app")); !os.IsNotExist(err) {
				t.Errorf("out/app exists after a failed build (%v): the image was published", err)
			}
		})
	}
}

// TestFleetSplitsACompileStep: a compile step (not published) and its
// runtime, both of two platforms, on the pool of an amd64 and an arm64
// daemon: each daemon builds its own platform of both (the compile's arm64
// artifact on the arm64 daemon, which its runtime part takes from there);
// nothing runs under emulation, and the runtime's index holds each
// platform's own artifact.
func TestFleetSplitsACompileStep(t *testing.T) {
	e := multiEnv(t)
	_, ds := twoDaemons(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml":          strings.Replace(platformsYML, "      dockerfile: Dockerfile.compile\n", "      dockerfile: Dockerfile.compile\n      publish: false\n", 1),
		"Dockerfile.compile": "FROM busybox\nCOPY src /src\nRUN uname -m > /arch && cp /src /stamp\n",
		"Dockerfile.runtime": "FROM busybox\nCOPY arch stamp /\nRUN test \"$(cat /arch)\" = \"$(uname -m)\"\n",
		"src":                n,
		"builders.yml":       fmt.Sprintf("- addr: %s\n  platforms: [linux/amd64]\n- addr: %s\n  platforms: [linux/arm64]\n", ds[0].Addr, ds[1].Addr),
	})
	w := e.multiCommand(dir, "--builders", "builders.yml", "--output", "oci:out", "--metadata-file", "m.json")
	builtNatively(t, w, filepath.Join(dir, "out", "runtime"), "runtime")
	var md map[string]struct {
		Daemon string `json:"daemon"`
	}
	readJSONFile(t, filepath.Join(dir, "m.json"), &md)
	for _, l := range []string{"compile", "runtime"} {
		if want := "unix://buildkitd.sock#1, unix://buildkitd.sock#2"; md[l].Daemon != want && md[l].Daemon != "unix://buildkitd.sock#2, unix://buildkitd.sock#1" {
			t.Errorf("%s ran on %q, want both daemons", l, md[l].Daemon)
		}
	}
}

// builtNatively runs w, which must pass with no platform run under
// emulation, and checks the two-platform index of step at layout: each
// platform's /arch is its own, with labels, provenance and SBOM.
func builtNatively(t *testing.T, w *weld, layout, step string) {
	t.Helper()
	w.expect(t, w.run(t, 6*time.Minute), 0)
	if i := strings.Index(w.stderr.String(), "runs under emulation"); i >= 0 {
		t.Errorf("a step ran a platform under emulation:\n%s", w.stderr.String()[max(0, i-200):min(w.stderr.Len(), i+200)])
	}
	if got := platformFile(t, layout, "arch"); got["linux/amd64"] != "x86_64" || got["linux/arm64"] != "aarch64" || len(got) != 2 {
		t.Errorf("%s's index: /arch per platform = %v, want linux/amd64: x86_64, linux/arm64: aarch64", step, got)
	}
	checkEveryPlatform(t, layout, step)
}
