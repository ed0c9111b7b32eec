//go:build integration

package builder_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/internal/itest"
)

// fleetDaemon is one buildkitd a fleet test started for itself, with its
// name as results show it (builder.Pool.Names).
type fleetDaemon struct {
	itest.Buildkitd
	name string
}

// startFleet starts n buildkitds of one step at a time each
// (itest.StartBuildkitds), allowed plain HTTP to the test registry
// ($WELD_TEST_REGISTRY), which is the pool's staging registry.
func startFleet(t *testing.T, n int) (daemons []fleetDaemon, staging string) {
	t.Helper()
	reg := os.Getenv("WELD_TEST_REGISTRY")
	if reg == "" {
		t.Fatal("the fleet tests need WELD_TEST_REGISTRY (a loopback registry for staging: scripts/registry.sh start DIR); run scripts/test.sh")
	}
	var members []builder.PoolMember
	for _, d := range itest.StartBuildkitds(t, "..", n, reg) {
		daemons = append(daemons, fleetDaemon{Buildkitd: d})
		members = append(members, builder.PoolMember{Connect: builder.ConnectOptions{Addr: d.Addr}})
	}
	pool, err := builder.NewPool(members...)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range pool.Names() {
		daemons[i].name = name
	}
	return daemons, reg + "/weld-staging-" + strings.ToLower(nonce(t)[:8])
}

// runPool runs the plan of dir/build.yml on a pool of the daemons, with
// busybox mapped to the test image.
func (e itEnv) runPool(t *testing.T, ctx context.Context, dir string, daemons []fleetDaemon, opts ...builder.Option) build {
	t.Helper()
	var members []builder.PoolMember
	for _, d := range daemons {
		members = append(members, builder.PoolMember{Connect: builder.ConnectOptions{Addr: d.Addr}, Capacity: 1})
	}
	pool, err := builder.NewPool(members...)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pl := newProgressLog()
	b, err := builder.New(pool, append([]builder.Option{e.imageOpt(t, "busybox", "busybox"), builder.WithProgress(pl.sink)}, opts...)...)
	if err != nil {
		t.Fatalf("builder.New: %v", err)
	}
	start := time.Now()
	res, err := b.Run(ctx, loadPlan(t, dir))
	return build{res: res, err: err, progress: pl, wall: time.Since(start)}
}

// perDaemon counts the steps each daemon ran, by the Result.
func perDaemon(t *testing.T, res *builder.Result) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, s := range res.Steps {
		if s.Daemon == "" {
			t.Errorf("step %s: the result names no daemon", s.Label)
		}
		out[s.Daemon] = append(out[s.Daemon], s.Label)
	}
	return out
}

func independentSteps(n int, secs, tag string) map[string]string {
	files := map[string]string{}
	var steps strings.Builder
	for i := range n {
		l := fmt.Sprintf("s%d", i)
		fmt.Fprintf(&steps, "    %s:\n      name: fleet-%s\n      dockerfile: Dockerfile.%s\n", l, l, l)
		files["Dockerfile."+l] = fmt.Sprintf("FROM busybox\nRUN sleep %s && echo %s %s > /out\n", secs, tag, l)
	}
	files["build.yml"] = "build:\n  version: 2016-03-14\n  steps:\n" + steps.String()
	return files
}

// TestFleetSpreadsIndependentSteps: six independent 2-second steps on three
// daemons that each run one step at a time go two to each daemon.
func TestFleetSpreadsIndependentSteps(t *testing.T) {
	e := testEnv(t)
	daemons, staging := startFleet(t, 3)
	dir := writeProject(t, independentSteps(6, "2", nonce(t)))
	out := filepath.Join(dir, "out")
	b := e.runPool(t, ctxTimeout(t, 5*time.Minute), dir, daemons, builder.WithStaging(staging),
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
	b.mustPass(t)
	per := perDaemon(t, b.res)
	for _, d := range daemons {
		if got := per[d.name]; len(got) != 2 {
			t.Errorf("daemon %s ran %v, want two steps on each of the three daemons (all: %v)", d.Addr, got, per)
		}
	}
	for i := range 6 {
		img := readLayout(t, filepath.Join(out, fmt.Sprintf("s%d", i)))
		if got := img.mustFile(t, "/out"); !strings.HasSuffix(got, fmt.Sprintf(" s%d", i)) {
			t.Errorf("s%d: /out = %q", i, got)
		}
	}
	t.Logf("wall %v (one step is 2 s)", b.wall)
}

// fanoutProject is a fan-out with artifacts (compile → three apps) and a
// FROM <step> chain (base → mid1, mid2 → top), with durations of an earlier
// run that make the placement hand results over.
func fanoutProject(t *testing.T, n string) string {
	files := map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    compile:
      name: fleet-compile
      dockerfile: Dockerfile.compile
      artifacts: [/out/bin]
    app1: {name: fleet-app1, dockerfile: Dockerfile.app, depends_on: [compile], args: {N: "1"}}
    app2: {name: fleet-app2, dockerfile: Dockerfile.app, depends_on: [compile], args: {N: "2"}}
    app3: {name: fleet-app3, dockerfile: Dockerfile.app, depends_on: [compile], args: {N: "3"}}
    base: {name: fleet-base, dockerfile: Dockerfile.base}
    mid1: {name: fleet-mid1, dockerfile: Dockerfile.mid, args: {N: "1"}}
    mid2: {name: fleet-mid2, dockerfile: Dockerfile.mid, args: {N: "2"}}
    top: {name: fleet-top, dockerfile: Dockerfile.top}
`,
		"Dockerfile.compile":   "FROM busybox\nRUN mkdir /out && echo " + n + " > /out/bin\n",
		"Dockerfile.app":       "FROM busybox\nARG N\nCOPY bin /app/bin\nRUN sleep 1 && echo app$N >> /app/bin\n",
		"Dockerfile.base":      "FROM busybox\nENV FLEET=" + n + "\nWORKDIR /w\nUSER 1000\nRUN echo base > /tmp/base\n",
		"Dockerfile.mid":       "FROM fleet-base\nARG N\nRUN sleep 1 && echo mid$N $FLEET $(pwd) $(id -u) > /tmp/mid\n",
		"Dockerfile.top":       "FROM fleet-mid2\nRUN cat /tmp/base /tmp/mid > /tmp/top\n",
		".weld/durations.json": `{"compile": 1, "app1": 3, "app2": 3, "app3": 3, "base": 1, "mid1": 3, "mid2": 3, "top": 1}`,
	}
	return writeProject(t, files)
}

// TestFleetHandoverMatchesOneDaemon: a fan-out with artifacts and a FROM
// <step> chain spread over three daemons hands results over by digest,
// and every image equals, by content and config, the one daemon's.
func TestFleetHandoverMatchesOneDaemon(t *testing.T) {
	e := testEnv(t)
	daemons, staging := startFleet(t, 3)
	dir := fanoutProject(t, nonce(t))
	ctx := ctxTimeout(t, 5*time.Minute)
	one := e.runBuild(t, ctx, dir, builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: filepath.Join(dir, "one")}))
	one.mustPass(t)
	pool := e.runPool(t, ctx, dir, daemons, builder.WithStaging(staging),
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: filepath.Join(dir, "pool")}))
	pool.mustPass(t)
	on := map[string]string{}
	for _, s := range pool.res.Steps {
		on[s.Label] = s.Daemon
	}
	perDaemon(t, pool.res)
	crossed := func(dep string, users ...string) bool {
		for _, u := range users {
			if on[u] != on[dep] {
				return true
			}
		}
		return false
	}
	if !crossed("compile", "app1", "app2", "app3") {
		t.Errorf("every app ran on compile's daemon (%v): no artifact was handed over", on)
	}
	if !crossed("base", "mid1", "mid2") && !crossed("mid2", "top") {
		t.Errorf("every FROM <step> ran on its parent's daemon (%v): none was handed over", on)
	}
	if !strings.Contains(pool.progress.text(), "handing over to the staging registry "+staging+"@sha256:") {
		t.Errorf("the progress shows no handover to %s", staging)
	}
	for _, s := range pool.res.Steps {
		a := readLayout(t, filepath.Join(dir, "one", s.Label))
		b := readLayout(t, filepath.Join(dir, "pool", s.Label))
		if d := cmp.Diff(mergedFS(a), mergedFS(b)); d != "" {
			t.Errorf("step %s: the pool's image differs from the one daemon's (-one +pool):\n%s", s.Label, d)
		}
		ca, cb := a.config.Config, b.config.Config
		if d := cmp.Diff([]any{ca.Env, ca.User, ca.WorkingDir, ca.Cmd}, []any{cb.Env, cb.User, cb.WorkingDir, cb.Cmd}); d != "" {
			t.Errorf("step %s: the pool's image config differs (-one +pool):\n%s", s.Label, d)
		}
	}
	top := readLayout(t, filepath.Join(dir, "pool", "top")).mustFile(t, "/tmp/top")
	if !strings.Contains(top, "mid2 ") || !strings.Contains(top, " /w 1000") {
		t.Errorf("top's /tmp/top = %q, want mid2's line with base's ENV, WORKDIR and USER", top)
	}
}

// mergedFS is the image's filesystem: every regular file's content by
// path, whiteouts applied.
func mergedFS(img *ociImage) map[string]string {
	out := map[string]string{}
	for _, l := range img.layers {
		for _, n := range l.names {
			base := filepath.Base(n)
			if strings.HasPrefix(base, ".wh.") {
				gone := filepath.Join(filepath.Dir(n), strings.TrimPrefix(base, ".wh."))
				for p := range out {
					if p == gone || strings.HasPrefix(p, gone+"/") {
						delete(out, p)
					}
				}
			}
		}
		for p, b := range l.files {
			out[p] = string(b)
		}
	}
	return out
}

// TestFleetSurvivesALostDaemon: a daemon SIGKILLed while it runs a step;
// its unfinished steps run again on the other two, the build succeeds and
// every image is right.
func TestFleetSurvivesALostDaemon(t *testing.T) {
	e := testEnv(t)
	daemons, staging := startFleet(t, 3)
	n := nonce(t)
	dir := writeProject(t, independentSteps(6, "3", n))
	out := filepath.Join(dir, "out")
	var mu sync.Mutex
	var warnings []string
	done := make(chan build, 1)
	go func() {
		done <- e.runPool(t, ctxTimeout(t, 5*time.Minute), dir, daemons, builder.WithStaging(staging),
			builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}),
			builder.WithEvents(func(ev builder.Event) {
				if ev.Type == builder.EventWarning {
					mu.Lock()
					warnings = append(warnings, ev.Message)
					mu.Unlock()
				}
			}))
	}()
	victim := killDaemonRunning(t, daemons, "sleep 3 && echo "+n)
	b := <-done
	b.mustPass(t)
	for _, s := range b.res.Steps {
		if s.Daemon == victim.name {
			t.Errorf("step %s: the result names the killed daemon %s", s.Label, victim.Addr)
		}
	}
	for i := range 6 {
		img := readLayout(t, filepath.Join(out, fmt.Sprintf("s%d", i)))
		if got, want := img.mustFile(t, "/out"), fmt.Sprintf("%s s%d", n, i); got != want {
			t.Errorf("s%d: /out = %q, want %q", i, got, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(warnings, "\n"), "was lost; running the step again on") {
		t.Errorf("no warning says a step runs again; warnings: %q", warnings)
	}
}

// killDaemonRunning waits until a RUN whose command line holds marker runs
// and SIGKILLs the fleet daemon it runs under.
func killDaemonRunning(t *testing.T, daemons []fleetDaemon, marker string) fleetDaemon {
	t.Helper()
	pids := map[int]fleetDaemon{}
	for _, d := range daemons {
		pids[d.Pid(t)] = d
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		for _, p := range procsWith(marker) {
			pid, _ := strconv.Atoi(p)
			for anc := pid; anc > 1; anc = parentOf(anc) {
				if d, ok := pids[anc]; ok {
					if err := syscall.Kill(anc, syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
					t.Logf("killed buildkitd %d at %s", anc, d.Addr)
					return d
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no RUN with %q ran under a fleet daemon within 2 minutes", marker)
	return fleetDaemon{}
}

func parentOf(pid int) int {
	dt, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(dt)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// TestFleetSecretsOnEveryDaemon: a step that mounts a secret, handed over
// FROM <step> to dependents on other daemons, run twice on the same pool
// with two values of the secret: the second run reuses nothing made with
// the first (the keyed hash holds on every daemon), every image has its
// own run's hash, and neither value is in any progress.
func TestFleetSecretsOnEveryDaemon(t *testing.T) {
	e := testEnv(t)
	daemons, staging := startFleet(t, 3)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    sec: {name: fleet-sec, dockerfile: Dockerfile.sec}
    use1: {name: fleet-use1, dockerfile: Dockerfile.use}
    use2: {name: fleet-use2, dockerfile: Dockerfile.use}
    use3: {name: fleet-use3, dockerfile: Dockerfile.use}
`,
		"Dockerfile.sec":       "FROM busybox\nRUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d' ' -f1 > /h && echo " + n + "\n",
		"Dockerfile.use":       "FROM fleet-sec\nRUN sleep 1 && cp /h /h2\n",
		".weld/durations.json": `{"sec": 1, "use1": 3, "use2": 3, "use3": 3}`,
	})
	for _, value := range []string{"fleet-secret-one-" + n, "fleet-secret-two-" + n} {
		src := filepath.Join(t.TempDir(), "tok")
		if err := os.WriteFile(src, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out")
		b := e.runPool(t, ctxTimeout(t, 5*time.Minute), dir, daemons, builder.WithStaging(staging),
			builder.WithSecrets(builder.SecretSpec{ID: "tok", Src: src}),
			builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
		b.mustPass(t)
		per := perDaemon(t, b.res)
		if len(per) < 2 {
			t.Errorf("every step ran on one daemon (%v): nothing was handed over", per)
		}
		want := sha(value)
		for _, l := range []string{"use1", "use2", "use3"} {
			if got := readLayout(t, filepath.Join(out, l)).mustFile(t, "/h2"); got != want {
				t.Errorf("%s: /h2 = %s, want the hash of this run's secret %s (a cache record of the other value was reused)", l, got, want)
			}
		}
		if raw := b.progress.raw.String(); strings.Contains(raw, value) {
			t.Errorf("the progress holds the secret value %q", value)
		}
	}
}

// TestFleetSplitSurvivesALostDaemon: a two-platform step split over a
// pool of two daemons, the second declared native for linux/arm64; that
// daemon is SIGKILLed while it runs the arm64 part. The part runs again
// on the other daemon (under emulation there), a warning says so, the
// build succeeds, each platform's image holds its own /out, and the result
// names only the daemon left.
func TestFleetSplitSurvivesALostDaemon(t *testing.T) {
	e := testEnv(t)
	if _, err := os.Stat(filepath.Join(e.images, "busybox-multi", "index.json")); err != nil {
		t.Fatalf("this test needs the busybox-multi layout (scripts/images.sh) and arm64 emulation (scripts/binfmt.sh): %v", err)
	}
	daemons, _ := startFleet(t, 2)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: split-lost\n      dockerfile: Dockerfile\n      platforms: [linux/amd64, linux/arm64]\n",
		// Only the arm64 part runs the marked command, for 5 s: the RUN's own
		// command line (on both daemons) holds "arm'-N", not the marker.
		"Dockerfile": "FROM busybox\nRUN if [ \"$(uname -m)\" = aarch64 ]; then sh -c 'sleep 5; : arm'-" + n + "; fi; echo " + n + " $(uname -m) > /out\n",
	})
	pool, err := builder.NewPool(
		builder.PoolMember{Connect: builder.ConnectOptions{Addr: daemons[0].Addr}, Capacity: 1, Platforms: []string{"linux/amd64"}},
		builder.PoolMember{Connect: builder.ConnectOptions{Addr: daemons[1].Addr}, Capacity: 1, Platforms: []string{"linux/arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	out := filepath.Join(dir, "out")
	var mu sync.Mutex
	var warnings []string
	b, err := builder.New(pool, e.imageOpt(t, "busybox", "busybox-multi"), builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}),
		builder.WithEvents(func(ev builder.Event) {
			if ev.Type == builder.EventWarning {
				mu.Lock()
				warnings = append(warnings, ev.Message)
				mu.Unlock()
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan build, 1)
	go func() {
		res, err := b.Run(ctxTimeout(t, 5*time.Minute), loadPlan(t, dir))
		done <- build{res: res, err: err}
	}()
	victim := killDaemonRunning(t, daemons, "arm-"+n)
	bd := <-done
	if victim.Addr != daemons[1].Addr {
		t.Fatalf("killed %s, want the arm64 daemon %s", victim.Addr, daemons[1].Addr)
	}
	bd.mustPass(t)
	mu.Lock()
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "was lost; running its linux/arm64 part again on") {
		t.Errorf("no warning says the arm64 part runs again; warnings: %q", warnings)
	}
	mu.Unlock()
	left := pool.Names()[0]
	for _, s := range bd.res.Steps {
		if s.Daemon != left {
			t.Errorf("step %s ran on %q, want only %s (the other was killed)", s.Label, s.Daemon, left)
		}
		for _, p := range s.Platforms {
			if p.Daemon != left {
				t.Errorf("step %s's %s names daemon %q, want %s", s.Label, p.Platform, p.Daemon, left)
			}
		}
	}
	if got := outPerPlatform(t, filepath.Join(out, "app")); got["amd64"] != n+" x86_64" || got["arm64"] != n+" aarch64" || len(got) != 2 {
		t.Errorf("/out per platform = %v, want amd64: %q, arm64: %q", got, n+" x86_64", n+" aarch64")
	}
}

// outPerPlatform reads /out from each platform's image of the layout's
// index: architecture → content.
func outPerPlatform(t *testing.T, layout string) map[string]string {
	t.Helper()
	blob, root := layoutRoot(t, layout)
	out := map[string]string{}
	for _, m := range root.Manifests {
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue
		}
		var man ocispecs.Manifest
		if err := json.Unmarshal(blob(m), &man); err != nil {
			t.Fatal(err)
		}
		for _, l := range man.Layers {
			if f, ok := readLayer(t, l, blob(l)).files["out"]; ok {
				out[m.Platform.Architecture] = strings.TrimSpace(string(f))
			}
		}
	}
	return out
}
