//go:build integration

package main

// weld build --report against the real daemon: a success (the secretapp
// example, whose report is the README's screenshot), a failure whose
// output holds markup and a secret, and an interrupted build; each report
// is checked as a file and, for HTML, in a real headless Chromium.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/itest"
	"github.com/weld-build/weld/report"
)

// reportRowRE matches a Gantt row in the DOM: its step and whether it is
// on the critical path.
var reportRowRE = regexp.MustCompile(`<g class="row[^"]*" data-step="([^"]*)" data-status="([^"]*)" data-critical="(true|false)"`)

// readReport reads a --report FILE.json.
func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the report: %v", err)
	}
	defer f.Close()
	r, err := report.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// chromiumRows loads an HTML report in Chromium and returns its chart's
// rows (step → "status critical") and its DOM; a console message fails
// the test.
func chromiumRows(t *testing.T, page, shot string) (map[string]string, string) {
	t.Helper()
	dom, console := itest.Chromium(t, page, shot, 1200, 820)
	if len(console) > 0 {
		t.Errorf("the report logged to Chromium's console:\n%s", strings.Join(console, "\n"))
	}
	rows := map[string]string{}
	for _, m := range reportRowRE.FindAllStringSubmatch(dom, -1) {
		rows[m[1]] = m[2] + " " + m[3]
	}
	return rows, dom
}

// TestReportSecretapp: the secretapp example with --report FILE.json, then
// weld report renders it; the page shows a row per step, compile and a
// runtime on the critical path. WELD_UPDATE_DOCS=1 copies the screenshot to
// docs/report.png.
func TestReportSecretapp(t *testing.T) {
	e := testEnv(t)
	dir, _, _ := secretapp(t)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("tok-"+nonce(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	w := e.command(dir, e.host, "--output", "oci:out", "--report", "reports/build.json",
		"--image", "golang:1.26=oci-layout://"+filepath.Join(e.images, "golang"),
		"--image", "alpine:3.20=oci-layout://"+filepath.Join(e.images, "busybox"),
		"--allow", "fs.read="+token)
	w.cmd.Env = append(w.cmd.Env, "SECRETAPP_TOKEN_FILE="+token)
	w.expect(t, w.run(t, 10*time.Minute), 0)
	r := readReport(t, filepath.Join(dir, "reports", "build.json"))
	if r.Status != report.StatusSucceeded || len(r.Steps) != 3 || len(r.Edges) != 2 {
		t.Fatalf("report: status %q, %d steps, %d edges; want succeeded, 3, 2", r.Status, len(r.Steps), len(r.Edges))
	}
	for _, s := range r.Steps {
		if s.Status != "done" || len(s.Phases) < 2 || s.Own == nil {
			t.Errorf("step %s: status %q, phases %v, own %v; want done with its phases", s.Label, s.Status, s.Phases, s.Own)
		}
		if published := s.Label != "compile"; published != strings.HasPrefix(s.Digest, "sha256:") || published != (len(s.Outputs) == 1) {
			t.Errorf("step %s: digest %q outputs %v", s.Label, s.Digest, s.Outputs)
		}
	}
	if len(r.CriticalPath) != 2 || r.CriticalPath[0] != "compile" || r.CriticalSeconds <= 0 || r.CriticalSeconds > r.WallSeconds {
		t.Errorf("critical path %v %.2f s of %.2f s wall; want compile → a runtime, within the wall time", r.CriticalPath, r.CriticalSeconds, r.WallSeconds)
	}
	rw, code := e.run(t, dir, "report", "reports/build.json", "-o", "build.html")
	rw.expect(t, code, 0)
	shot := filepath.Join(t.TempDir(), "report.png")
	rows, dom := chromiumRows(t, filepath.Join(dir, "build.html"), shot)
	if len(rows) != 3 || rows["compile"] != "done true" || rows[r.CriticalPath[1]] != "done true" {
		t.Errorf("chart rows %v, want compile and %s done and critical, 3 rows", rows, r.CriticalPath[1])
	}
	if n := strings.Count(dom, `class="cp-mark"`); n != 2 {
		t.Errorf("%d critical-path marks in the DOM, want 2", n)
	}
	if os.Getenv("WELD_UPDATE_DOCS") == "1" {
		dt, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "report.png"), dt, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReportOfAFailure: a failing RUN whose output holds markup and a
// secret's value: exit 1, and the HTML report names the failing line,
// shows the tail as text, runs nothing and holds no secret; the
// Dockerfile checks' findings are in it.
func TestReportOfAFailure(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	secret := "s3cret-" + n
	dir := writeProject(t, map[string]string{
		"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    fine:\n      name: weld-report-fine\n      dockerfile: Dockerfile.fine\n    breaks:\n      dockerfile: Dockerfile.breaks\n",
		"Dockerfile.fine": "FROM busybox\nRUN echo fine-" + n + "\n",
		"Dockerfile.breaks": "FROM busybox\nRUN echo ok\nRUN --mount=type=secret,id=tok echo \"<script>console.error('xss')</script> $(cat /run/secrets/tok) boom-" + n +
			"\" && exit 3\n",
		"tok.txt": secret,
	})
	w := e.command(dir, e.host, "--secret", "id=tok,src=tok.txt", "--keep-going", "--report", "report.html")
	w.expect(t, w.run(t, 3*time.Minute), 1, "Dockerfile.breaks:3")
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatalf("no report after a failed build: %v", err)
	}
	if strings.Contains(string(page), secret) {
		t.Error("the report holds the secret's value")
	}
	rows, dom := chromiumRows(t, filepath.Join(dir, "report.html"), filepath.Join(t.TempDir(), "r.png"))
	if rows["breaks"] != "failed false" && rows["breaks"] != "failed true" || len(rows) != 2 {
		t.Errorf("chart rows %v, want breaks failed among 2", rows)
	}
	for _, want := range []string{"Dockerfile.breaks:3", `class="source-line">RUN --mount=type=secret,id=tok echo`, "[secret:tok] boom-" + n, "&lt;script&gt;console.error", `<tr class="finding"><td>warning</td>`, "UnpinnedBase"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script") {
		t.Error("the DOM holds a script element from the build's output")
	}
	// The JSON report: each warning's rule and Dockerfile position are
	// fields of their own.
	w = e.command(dir, e.host, "--secret", "id=tok,src=tok.txt", "--keep-going", "--report", "report.json")
	w.expect(t, w.run(t, 3*time.Minute), 1)
	r := readReport(t, filepath.Join(dir, "report.json"))
	found := false
	for _, f := range r.Findings {
		if f.Rule == "UnpinnedBase" && f.Severity == "warning" && regexp.MustCompile(`^Dockerfile\.(fine|breaks):1(:\d+)?$`).MatchString(f.Source) {
			found = true
		}
	}
	if !found {
		t.Errorf("the JSON report's findings %+v lack the UnpinnedBase warning with its rule and Dockerfile:1 as fields", r.Findings)
	}
}

// TestReportOfAnInterruptedBuild: SIGINT during a long RUN: weld exits 130
// and the JSON report says interrupted, with the step's time up to the end.
func TestReportOfAnInterruptedBuild(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := longProject(t, n)
	w := e.command(dir, e.host, "--report", "r.json")
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cmd.Process.Kill() })
	waitForProcess(t, n, 60*time.Second)
	time.Sleep(time.Second)
	if err := w.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	w.expect(t, w.wait(t, 20*time.Second), 130)
	r := readReport(t, filepath.Join(dir, "r.json"))
	if r.Status != report.StatusInterrupted || len(r.Steps) != 1 || r.Steps[0].Status != "canceled" {
		t.Fatalf("report: status %q, steps %+v; want interrupted, long canceled", r.Status, r.Steps)
	}
	ph := r.Steps[0].Phases
	var names []string
	for _, p := range ph {
		names = append(names, p.Name)
	}
	if !slices.Contains(names, "solve") || r.WallSeconds < 1 {
		t.Errorf("phases %v over %.2f s; want the solve it was canceled in, over more than 1 s", names, r.WallSeconds)
	}
}

// TestReportOfARefusal: a base the policy refuses stops the build before
// any daemon is contacted; the JSON report says failed, lists the steps
// asked for as not run, and holds the refusal.
func TestReportOfARefusal(t *testing.T) {
	e := testEnv(t)
	dir := writeProject(t, map[string]string{
		"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    app:\n      dockerfile: Dockerfile.app\n    other:\n      dockerfile: Dockerfile.app\n",
		"Dockerfile.app":  "FROM golang:1.26\nRUN go version\n",
		"weld.policy.yml": "allowed_bases:\n  - docker.io/library/busybox:*\n",
	})
	w := e.command(dir, "unix:///nonexistent/buildkitd.sock", "--report", "r.json", "app")
	w.expect(t, w.run(t, time.Minute), 1, "base golang:1.26 is not allowed")
	r := readReport(t, filepath.Join(dir, "r.json"))
	if r.Status != report.StatusFailed || len(r.Steps) != 1 || r.Steps[0].Label != "app" || r.Steps[0].Status != report.StatusNotRun {
		t.Errorf("report: status %q, steps %+v; want failed, app not run", r.Status, r.Steps)
	}
	if len(r.Findings) != 1 || r.Findings[0].Severity != "error" || !strings.Contains(r.Findings[0].Message, "golang:1.26 is not allowed") {
		t.Errorf("findings %+v, want the refusal", r.Findings)
	}
}

// TestReportGatesDaemonAndCache: a real build under a policy gate: the
// JSON report names the daemon the step ran on (redacted: no socket path),
// counts its vertices, and holds the gate's result with its policy line;
// --metadata-file has the same. The same build again, with a second gate
// that refuses: exit 1, the report's step is answered from the cache, and
// both gates are in it, the refusal with what the gate said; weld report
// renders a gate row per gate and the daemon.
func TestReportGatesDaemonAndCache(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	pass := "test -f {{oci_dir}}/index.json"
	dir := writeProject(t, map[string]string{
		"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-report-gates\n",
		"Dockerfile":      "FROM busybox\nRUN echo " + n + " > /x\n",
		"weld.policy.yml": "gates:\n  - run: \"" + pass + "\"\n",
	})
	w := e.command(dir, e.host, "--output", "oci:out", "--report", "r1.json", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	r := readReport(t, filepath.Join(dir, "r1.json"))
	if len(r.Steps) != 1 || r.Steps[0].Vertices == 0 {
		t.Fatalf("report steps %+v, want app with its vertices", r.Steps)
	}
	daemon := r.Steps[0].Daemon
	if daemon != "unix://"+filepath.Base(strings.TrimPrefix(e.host, "unix://")) {
		t.Errorf("the step's daemon is %q, want the socket's name alone (the daemon is %s)", daemon, e.host)
	}
	if len(r.Gates) != 1 || r.Gates[0].Step != "app" || r.Gates[0].Gate != pass || !r.Gates[0].Passed || !strings.HasPrefix(r.Gates[0].Source, "weld.policy.yml:2:") {
		t.Errorf("report gates %+v, want app's gate passed at weld.policy.yml:2", r.Gates)
	}
	meta, err := os.ReadFile(filepath.Join(dir, "m.json"))
	var m map[string]struct {
		Daemon string
		Gates  []struct {
			Name, Source string
			Passed       bool
		}
	}
	if err != nil || json.Unmarshal(meta, &m) != nil || m["app"].Daemon != daemon || len(m["app"].Gates) != 1 ||
		m["app"].Gates[0].Name != pass || m["app"].Gates[0].Source != r.Gates[0].Source || !m["app"].Gates[0].Passed {
		t.Errorf("--metadata-file lacks the daemon %q or the gate (%v): %s", daemon, err, meta)
	}
	writeFile(t, filepath.Join(dir, "weld.policy.yml"), "gates:\n  - run: \""+pass+"\"\n  - run: \"echo found CVE-9 in {{oci_dir}}; exit 4\"\n")
	w = e.command(dir, e.host, "--output", "oci:out2", "--report", "r2.json")
	w.expect(t, w.run(t, 3*time.Minute), 1, "CVE-9")
	r = readReport(t, filepath.Join(dir, "r2.json"))
	if len(r.Steps) != 1 || r.Steps[0].CachedVertices == 0 || r.Steps[0].CachedVertices > r.Steps[0].Vertices {
		t.Errorf("the rebuilt step: %d of %d vertices cached, want some (its RUN)", r.Steps[0].CachedVertices, r.Steps[0].Vertices)
	}
	if len(r.Gates) != 2 || !r.Gates[0].Passed || r.Gates[1].Passed || !strings.Contains(r.Gates[1].Message, "CVE-9") {
		t.Errorf("report gates %+v, want the first passed and the second refused with its output", r.Gates)
	}
	rw, code := e.run(t, dir, "report", "r2.json", "-o", "r2.html")
	rw.expect(t, code, 0)
	page, err := os.ReadFile(filepath.Join(dir, "r2.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<tr class="gate" data-step="app" data-passed="true">`, `<tr class="gate" data-step="app" data-passed="false">`, "CVE-9", `<td class="mono daemon">` + daemon + `</td>`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the rendered report lacks %q", want)
		}
	}
}
