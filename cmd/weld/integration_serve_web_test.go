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
