//go:build integration

package main

import (
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/itest"
)

// TestServeWebPage loads weld serve's page in real headless Chromium:
// without a token it shows the form and logs nothing; given the token as
// a #token fragment it lists the tenant's real build (not the other
// tenant's), follows the chosen build's events and shows its report in
// the sandboxed frame, with no console error (CSP violations included).
func TestServeWebPage(t *testing.T) {
	s, _, _ := serveSetup(t, "s3cr3t-"+nonce(t))
	n := nonce(t)
	id := s.submitTar(t, serveTokenA, "", tarGz(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    web:\n      name: serve-web\n",
		"Dockerfile": "FROM busybox\nRUN echo web-" + n + "\n",
	}))
	other := s.submitTar(t, serveTokenB, "", tarGz(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    web:\n      name: serve-web-b\n",
		"Dockerfile": "FROM busybox\nRUN echo web-b-" + n + "\n",
	}))
	for _, b := range [][2]string{{serveTokenA, id}, {serveTokenB, other}} {
		if evs := s.follow(t, b[0], b[1], 2*time.Minute); !strings.Contains(evs[len(evs)-1].data, `"status":"succeeded"`) {
			t.Fatalf("build %s ended %s", b[1], evs[len(evs)-1].data)
		}
	}
	dom, console := itest.ChromiumURL(t, s.url+"/", 5*time.Second)
	if len(console) > 0 || !strings.Contains(dom, `<form id="login"`) || strings.Contains(dom, `class="build"`) {
		t.Errorf("the page without a token: console %q; want the form, no builds, no console message", console)
	}
	dom, console = itest.ChromiumURL(t, s.url+"/#token="+serveTokenA+"&build="+id, 10*time.Second)
	if len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	if !strings.Contains(dom, `<tr class="build" data-id="`+id+`" data-status="succeeded">`) || strings.Contains(dom, other) {
		t.Errorf("the page does not list a's build %s as succeeded (alone); DOM:\n%s", id, dom)
	}
	m := regexp.MustCompile(`<iframe id="report"[^>]*srcdoc="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil || !strings.Contains(html.UnescapeString(m[1]), "weld build report") || !strings.Contains(dom, `sandbox=""`) {
		t.Errorf("the frame does not show the build's report, sandboxed; DOM:\n%.3000s", dom)
	}
	if !strings.Contains(dom, "[web] started") || !strings.Contains(dom, `<span id="build-status">succeeded</span>`) {
		t.Errorf("the page does not show the build's events and status; DOM:\n%.3000s", dom)
	}
}

// TestServeLiveReport: while a real build runs, GET .../report is its
// report so far (status running; the fast step built and waiting for the
// slow one, which is running), under the report's CSP; the web page
// shows that report in its frame (real Chromium, no console message).
// Once the build is canceled the report is the final one.
func TestServeLiveReport(t *testing.T) {
	s, _, _ := serveSetup(t, "x")
	n := nonce(t)
	id := s.submitTar(t, serveTokenA, "", tarGz(t, map[string]string{
		"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    fast:\n      name: serve-live-fast\n      dockerfile: Dockerfile.fast\n    slow:\n      name: serve-live-slow\n      dockerfile: Dockerfile.slow\n",
		"Dockerfile.fast": "FROM busybox\nRUN echo fast-" + n + "\n",
		"Dockerfile.slow": "FROM busybox\nRUN sleep 60 && echo slow-" + n + "\n",
	}))
	rows := []string{`data-step="fast" data-status="built, not published"`, `data-step="slow" data-status="running"`}
	var page string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, dt, resp := s.call(t, "GET", "/v1/builds/"+id+"/report", serveTokenA, nil)
		page = string(dt)
		if code == 200 && strings.Contains(page, rows[0]) && strings.Contains(page, rows[1]) {
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") {
				t.Errorf("the live report's CSP is %q", csp)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live report never showed fast built and slow running: %d\n%.2000s\nserver log:\n%s", code, page, s.log())
		}
	}
	if !strings.Contains(page, "(running)</title>") {
		t.Errorf("the live report's title does not say running:\n%.500s", page)
	}
	dom, console := itest.ChromiumURL(t, s.url+"/#token="+serveTokenA+"&build="+id, 6*time.Second)
	if len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	m := regexp.MustCompile(`<iframe id="report"[^>]*srcdoc="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil || !strings.Contains(html.UnescapeString(m[1]), rows[1]) {
		t.Errorf("the page's frame does not show the live report; DOM:\n%.3000s", dom)
	}
	if code, dt, _ := s.call(t, "POST", "/v1/builds/"+id+"/cancel", serveTokenA, nil); code != 202 {
		t.Fatalf("cancel = %d %s", code, dt)
	}
	waitStatus(t, s, id, "canceled")
	if code, dt, _ := s.call(t, "GET", "/v1/builds/"+id+"/report", serveTokenA, nil); code != 200 || strings.Contains(string(dt), "(running)</title>") {
		t.Errorf("after the cancel the report = %d, want the final one:\n%.500s", code, dt)
	}
}
