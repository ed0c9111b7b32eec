package itest

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromiumFlags run Debian's chromium headless, as root, with a fresh
// profile, and with every fetch that is not a file sent to a dead loopback
// proxy: the page is tested offline, and nothing leaves the machine.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
	"--no-default-browser-check", "--disable-extensions", "--disable-sync",
	"--disable-background-networking", "--disable-component-update", "--disable-default-apps",
	"--disable-domain-reliability", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
	"--enable-logging=stderr", "--v=0",
}

// Chromium loads the file page in a real headless Chromium (Debian's
// chromium package, which scripts/setup.sh installs) twice: once to dump
// the DOM after the load, once to write a screenshot of a width×height
// window to png. It returns the DOM and every console message the page
// logged in either run (console calls, uncaught exceptions, Content
// Security Policy violations). Without chromium the test fails; it never
// skips.
func Chromium(t testing.TB, page, png string, width, height int) (dom string, console []string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("no chromium on PATH (%v): scripts/setup.sh installs Debian's chromium package (apt-get install chromium)", err)
	}
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	url := "file://" + abs
	out, logs := runChromium(t, bin, "--dump-dom", url)
	console = append(console, logs...)
	size := "--window-size=" + strconv.Itoa(width) + "," + strconv.Itoa(height)
	_, logs = runChromium(t, bin, size, "--screenshot="+png, url)
	return out, append(console, logs...)
}

// ChromiumURL loads url (a page of a server on loopback) in a real
// headless Chromium and returns the DOM once the page's scripts and
// fetches have settled (a virtual-time budget of budget), and every
// console message it logged. Loopback is reached directly; every other
// fetch goes to the dead proxy. --timeout stops a page that never settles.
func ChromiumURL(t testing.TB, url string, budget time.Duration) (dom string, console []string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("no chromium on PATH (%v): scripts/setup.sh installs Debian's chromium package (apt-get install chromium)", err)
	}
	ms := strconv.Itoa(int(budget.Milliseconds()))
	return runChromium(t, bin, "--proxy-bypass-list=127.0.0.1;localhost", "--virtual-time-budget="+ms,
		"--timeout="+strconv.Itoa(int(2*budget.Milliseconds())), "--dump-dom", url)
}

// runChromium runs chromium with flags and returns its standard output and
// the console messages in its log.
func runChromium(t testing.TB, bin string, flags ...string) (string, []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir()), flags...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(flags, " "), err, stderr.String())
	}
	var console []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if _, msg, ok := strings.Cut(l, ":CONSOLE"); ok {
			console = append(console, msg)
		}
	}
	return stdout.String(), console
}
