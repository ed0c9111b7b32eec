//go:build integration

package builder_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/internal/itest"
)

// TestRedactLibrarySinks: what an embedder receives through WithProgress
// and WithEvents, the error Run returns (and the StepError inside it) and
// the Result hold no form of a --secret value, nor of a value given to
// WithRedact, even when a failing RUN prints them in every form and a
// step's command prints them after the build.
func TestRedactLibrarySinks(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	secret := "tok-" + n + "-Zq9"
	extra := "xtr-" + nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": itest.BuildYML(`    ok:
      dockerfile: Dockerfile.ok
      command: cat /etc/x
    fails:
      dockerfile: Dockerfile.fails
`),
		"Dockerfile.ok": "FROM busybox\nRUN --mount=type=secret,id=tok cp /run/secrets/tok /etc/x && echo " + n + "\n",
		"Dockerfile.fails": "FROM busybox\nRUN --mount=type=secret,id=tok cat /run/secrets/tok; echo; base64 /run/secrets/tok; " +
			"od -An -tx1 /run/secrets/tok | tr -d ' \\n'; echo; echo " + extra + "; echo " + n + "; exit 3\n",
		"tok": secret,
	})
	var mu sync.Mutex
	var events []string
	onEvent := func(ev builder.Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, fmt.Sprintf("%s %s %s", ev.Step, ev.Type, ev.Message))
		if ev.Err != nil {
			events = append(events, ev.Err.Error())
		}
	}
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithKeepGoing(true),
		builder.WithSecrets(builder.SecretSpec{ID: "tok", Src: filepath.Join(dir, "tok")}),
		builder.WithRedact("EXTRA", []byte(extra)), builder.WithEvents(onEvent))
	var se *builder.StepError
	if !errors.As(b.err, &se) || se.Step != "fails" {
		t.Fatalf("Run: %v, want a StepError of step fails", b.err)
	}
	md, err := json.Marshal(b.res.Steps)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	all := map[string]string{
		"the progress":   b.progress.text(),
		"the events":     strings.Join(events, "\n"),
		"Run's error":    b.err.Error(),
		"the StepError":  se.Error() + "\n" + strings.Join(se.Tail, "\n"),
		"the Result":     string(md),
		"the step error": b.res.Step("fails").Err().Error(),
	}
	mu.Unlock()
	for where, text := range all {
		for _, v := range []string{secret, extra} {
			for form, s := range forms(v) {
				if strings.Contains(text, s) {
					t.Errorf("%s holds a value (%s form %q):\n%s", where, form, s, text)
				}
			}
		}
	}
	if tail := strings.Join(se.Tail, "\n"); strings.Count(tail, "[secret:tok]") < 3 || !strings.Contains(tail, "[secret:EXTRA]") {
		t.Errorf("the StepError's tail does not show the markers:\n%s", tail)
	}
	if !strings.Contains(all["the progress"], "[secret:tok]") {
		t.Errorf("the progress does not show [secret:tok]:\n%s", all["the progress"])
	}
	if _, err := os.Stat(filepath.Join(dir, "tok")); err != nil {
		t.Fatal(err)
	}
}

// forms are the forms of v that must not show.
func forms(v string) map[string]string {
	out := map[string]string{"raw": v, "hex": hex.EncodeToString([]byte(v))}
	for k := range 3 {
		e := base64.RawStdEncoding.EncodeToString(append(make([]byte, k), v...))
		out[fmt.Sprintf("base64 at %d", k)] = e[(8*k+5)/6 : 8*(k+len(v))/6]
	}
	return out
}
