//go:build integration

package report

// These tests load the report in a real headless Chromium (Debian's
// chromium, installed by scripts/setup.sh; without it they fail): the page
// logs nothing to the console, shows one chart row per step with the
// critical path marked, and runs nothing that came from input.

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/internal/itest"
)

// rowRE matches a Gantt row in the DOM: its step and whether it is
// critical.
var rowRE = regexp.MustCompile(`<g class="row[^"]*" data-step="([^"]*)" data-status="[^"]*" data-critical="(true|false)"`)

// load writes r as HTML and loads it in Chromium.
func load(t *testing.T, r *Report) (dom string, console []string, shot string) {
	t.Helper()
	dir := t.TempDir()
	page, shot := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.png")
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dom, console = itest.Chromium(t, page, shot, 1100, 900)
	return dom, console, shot
}

func TestChromiumShowsTheReport(t *testing.T) {
	p, res := chain(t)
	res.Steps[2].Status, res.Steps[2].Error, res.Steps[2].Source = builder.StatusFailed, `step "c": exit code 3`, "Dockerfile.c:1"
	dom, console, shot := load(t, Build(p, res))
	if len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	var steps, critical []string
	for _, m := range rowRE.FindAllStringSubmatch(dom, -1) {
		steps = append(steps, m[1])
		if m[2] == "true" {
			critical = append(critical, m[1])
		}
	}
	if !slices.Equal(steps, []string{"a", "b", "c"}) || !slices.Equal(critical, []string{"a", "b"}) {
		t.Errorf("chart rows %v, critical %v; want [a b c], critical [a b]", steps, critical)
	}
	for mark, want := range map[string]int{`class="cp-mark"`: 2, `class="cp-link"`: 1, `class="edge critical"`: 1, `data-phase="solve"`: 3} {
		if n := strings.Count(dom, mark); n != want {
			t.Errorf("the DOM holds %s %d times, want %d", mark, n, want)
		}
	}
	for _, want := range []string{"Wall time <b>6.00 s</b> vs critical path <b>5.00 s</b>", `class="source-line">FROM scratch</code>`} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %q", want)
		}
	}
	if n := redPixels(t, shot); n < 200 {
		t.Errorf("the screenshot has %d pixels of the critical path's red, want the marks drawn (>= 200)", n)
	}
}

func TestChromiumRunsNothingFromInput(t *testing.T) {
	dom, console, _ := load(t, evilReport(t))
	if len(console) > 0 {
		t.Errorf("the page logged to the console (input ran, or was blocked only by the CSP):\n%s", strings.Join(console, "\n"))
	}
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(dom, bad) {
			t.Errorf("the DOM holds an element %s… from input", bad)
		}
	}
	if n := len(rowRE.FindAllString(dom, -1)); n != 2 {
		t.Errorf("the DOM holds %d chart rows, want 2 (the markup from input closed none)", n)
	}
	if !strings.Contains(dom, `&lt;script&gt;console.error("xss")&lt;/script&gt;`) {
		t.Error("the DOM does not show the evil label as text")
	}
}

// TestChromiumSeesConsoleErrors: the harness does see what a page logs, so
// the tests above can fail.
func TestChromiumSeesConsoleErrors(t *testing.T) {
	page := filepath.Join(t.TempDir(), "p.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html><p>x</p><script>console.error("seen-by-the-test")</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, console := itest.Chromium(t, page, filepath.Join(t.TempDir(), "p.png"), 400, 300)
	if !strings.Contains(strings.Join(console, "\n"), "seen-by-the-test") {
		t.Errorf("the console messages %q lack the page's console.error", console)
	}
}

// redPixels counts the screenshot's pixels of the critical path's red
// (#dc2626).
func redPixels(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding the screenshot: %v", err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 190 && g>>8 < 80 && bl>>8 < 80 {
				n++
			}
		}
	}
	return n
}
