//go:build integration

package main

// CLI tests of secret redaction: a RUN that prints a mounted secret, as it
// is, in base64 and in hex, and a build arg that holds a token, against the
// real binary and daemon. Nothing weld prints or writes may hold any form
// of the value.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/internal/itest"
)

// secretForms are the forms of v that must not show: as it is, in hex and
// the characters of its base64 (both alphabets, every alignment) that hold
// only its bits.
func secretForms(v string) map[string]string {
	out := map[string]string{"raw": v, "hex": hex.EncodeToString([]byte(v)), "HEX": strings.ToUpper(hex.EncodeToString([]byte(v)))}
	for name, enc := range map[string]*base64.Encoding{"base64": base64.RawStdEncoding, "base64url": base64.RawURLEncoding} {
		for k := range 3 {
			e := enc.EncodeToString(append(make([]byte, k), v...))
			out[name+string(rune('0'+k))] = e[(8*k+5)/6 : 8*(k+len(v))/6]
		}
	}
	return out
}

// noSecret fails the test if text holds a form of v.
func noSecret(t *testing.T, where, text, v string) {
	t.Helper()
	for form, s := range secretForms(v) {
		if strings.Contains(text, s) {
			t.Errorf("%s holds the secret (%s form %q):\n%s", where, form, s, text)
		}
	}
}

// redactProject is a step that mounts the secret tok (the file tok.txt,
// holding value) and runs run with it.
func redactProject(t *testing.T, value, run string) string {
	return writeProject(t, map[string]string{
		"build.yml": itest.BuildYML(`    app:
      name: weld-redact-app
      dockerfile: Dockerfile
      secrets:
        tok:
          type: file
          value: tok.txt
`),
		"tok.txt":    value,
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok " + run + "\nUSER 1000\n",
	})
}

// everything is weld's stdout, stderr and metadata file.
func (w *weld) everything(t *testing.T, dir string) string {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(dir, "m.json"))
	if err != nil {
		t.Errorf("reading the metadata file: %v", err)
	}
	return w.stdout.String() + "\n" + w.stderr.String() + "\n" + string(md)
}

// TestRedactSecretInProgress: a RUN that prints a mounted secret as it is,
// in base64 and in hex (plain and od's spaced form) shows [secret:tok] in
// its place in plain and rawjson progress, and no form of the value in
// anything weld prints or writes.
func TestRedactSecretInProgress(t *testing.T) {
	e := testEnv(t)
	value := "ghp_" + nonce(t) + "Xy9" + nonce(t)[:9] // 4+24+3+9 = 40 bytes, like a GitHub token
	run := "cat /run/secrets/tok; echo; base64 /run/secrets/tok; od -An -tx1 /run/secrets/tok | tr -d ' \\n'; echo; od -An -tx1 /run/secrets/tok; echo " + nonce(t)
	dir := redactProject(t, value, run)
	for _, mode := range []string{"plain", "rawjson"} {
		t.Run(mode, func(t *testing.T) {
			w := e.command(dir, e.host, "--progress", mode, "--no-cache", "--output", "oci:out", "--metadata-file", "m.json")
			w.expect(t, w.run(t, 3*time.Minute), 0)
			noSecret(t, "weld's output", w.everything(t, dir), value)
			logs := w.stderr.String()
			if mode == "rawjson" {
				logs = rawjsonLogs(t, w.stderr.Bytes())
				noSecret(t, "the rawjson logs, decoded", logs, value)
			}
			if n := strings.Count(logs, "[secret:tok]"); n < 4 {
				t.Errorf("the RUN's output shows [secret:tok] %d times, want 4 (raw, base64, hex, od); output:\n%s", n, logs)
			}
		})
	}
}

// rawjsonLogs decodes --progress rawjson: every vertex's log, in order.
func rawjsonLogs(t *testing.T, out []byte) string {
	t.Helper()
	var b strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var st client.SolveStatus
		if json.Unmarshal(sc.Bytes(), &st) != nil {
			continue // weld's own lines
		}
		for _, l := range st.Logs {
			b.Write(l.Data)
		}
	}
	if b.Len() == 0 {
		t.Fatalf("no logs in the rawjson output:\n%s", out)
	}
	return b.String()
}

// TestRedactFailingRunQuiet: a failing RUN that prints the secret, with
// --progress quiet: the FAILED summary's output tail and the metadata file
// show [secret:tok], never the value.
func TestRedactFailingRunQuiet(t *testing.T) {
	e := testEnv(t)
	value := "s3cr3t-" + nonce(t)
	dir := redactProject(t, value, "cat /run/secrets/tok; echo; base64 /run/secrets/tok; echo "+nonce(t)+"; exit 1")
	w := e.command(dir, e.host, "--progress", "quiet", "--output", "oci:out", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 1, "FAILED:", "[secret:tok]")
	noSecret(t, "weld's output", w.everything(t, dir), value)
}

// TestRedactValueSplitBetweenChunks: a value printed in two writes a second
// apart reaches weld in two log chunks; neither half shows.
func TestRedactValueSplitBetweenChunks(t *testing.T) {
	e := testEnv(t)
	value := "ghp_" + nonce(t) + nonce(t)[:12]
	half := len(value) / 2
	run := "printf '%s' \"$(head -c " + strconv.Itoa(half) + " /run/secrets/tok)\"; sleep 1; printf '%s\\n' \"$(tail -c +" + strconv.Itoa(half+1) + " /run/secrets/tok)\"; echo " + nonce(t)
	dir := redactProject(t, value, run)
	for _, mode := range []string{"plain", "rawjson"} {
		t.Run(mode, func(t *testing.T) {
			w := e.command(dir, e.host, "--progress", mode, "--no-cache", "--output", "oci:out", "--metadata-file", "m.json")
			w.expect(t, w.run(t, 3*time.Minute), 0)
			all := w.everything(t, dir)
			if mode == "rawjson" {
				all += rawjsonLogs(t, w.stderr.Bytes())
			}
			for _, piece := range []string{value[:half], value[half:]} {
				if strings.Contains(all, piece) {
					t.Errorf("weld's output holds half of the value, %q:\n%s", piece, all)
				}
			}
			if !strings.Contains(all, "[secret:tok]") {
				t.Errorf("weld's output has no [secret:tok]:\n%s", all)
			}
		})
	}
}

// TestRedactBuildArgHoldingToken: --build TOKEN=ghp_… (and the same in
// build.yml's args:) is refused with exit 2 before any daemon, naming where
// it is given and never the value; with the policy's SecretInArgEnv:
// warning it builds, and the RUN vertex whose name holds the value shows
// [secret:TOKEN] instead.
func TestRedactBuildArgHoldingToken(t *testing.T) {
	e := testEnv(t)
	value := "ghp_" + nonce(t) + nonce(t)[:12] // ghp_ and 36 characters
	yml := "build:\n  version: 2016-03-14\n  steps:\n    app:\n      dockerfile: Dockerfile\n"
	files := map[string]string{"build.yml": yml, "Dockerfile": "FROM busybox\nARG TOKEN\nRUN echo $TOKEN > /t && echo " + nonce(t) + "\n"}
	dir := writeProject(t, files)
	w := e.command(dir, "unix:///nonexistent/buildkitd.sock", "--build", "TOKEN="+value)
	w.expect(t, w.run(t, time.Minute), 2, "--build TOKEN", "--mount=type=secret", "SecretInArgEnv: warning")
	noSecret(t, "weld's output", w.stdout.String()+w.stderr.String(), value)
	if strings.Contains(w.stderr.String(), "nonexistent") {
		t.Errorf("weld contacted the daemon before refusing the build arg:\n%s", w.stderr.String())
	}

	files["build.yml"] = yml + "      args:\n        TOKEN: " + value + "\n"
	dir = writeProject(t, files)
	w = e.command(dir, "unix:///nonexistent/buildkitd.sock")
	w.expect(t, w.run(t, time.Minute), 2, "build.yml:7:9: build arg TOKEN of step app")
	noSecret(t, "weld's output", w.stdout.String()+w.stderr.String(), value)

	// Allowed by the policy: it builds, and the value shows nowhere.
	for _, tc := range []struct {
		name, yml string
		args      []string
	}{
		{"args:", files["build.yml"], nil},
		{"--build", yml, []string{"--build", "TOKEN=" + value}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"build.yml": tc.yml, "Dockerfile": files["Dockerfile"], "weld.policy.yml": "rules:\n  SecretInArgEnv: warning\n"})
			w := e.command(dir, e.host, append(tc.args, "--output", "oci:out", "--metadata-file", "m.json")...)
			w.expect(t, w.run(t, 3*time.Minute), 0, "RUN echo [secret:TOKEN] > /t", "the policy allows it")
			noSecret(t, "weld's output", w.everything(t, dir), value)
		})
	}
}
