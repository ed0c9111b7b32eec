//go:build integration

package main

import (
	"archive/tar"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	serveTokenA = "serve-token-a-0123456789abcdef"
	serveTokenB = "serve-token-b-0123456789abcdef"
)

// serveProject is a secretapp-like project on busybox: compile mounts the
// token (and prints it, which the stream must redact), runtime gets its
// artifact.
func serveProject(n string) map[string]string {
	return map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    compile:
      name: serve-compile
      dockerfile: Dockerfile.compile
      publish: false
      artifacts:
        - /out/app
      secrets:
        token:
          type: file
          value: not-sent.txt
    runtime:
      name: serve-runtime
      dockerfile: Dockerfile.runtime
      depends_on:
        - compile
`,
		"Dockerfile.compile": "FROM busybox\nRUN --mount=type=secret,id=token mkdir /out && echo leaked: $(cat /run/secrets/token) && wc -c < /run/secrets/token > /out/app && echo " + n + " >> /out/app\n",
		"Dockerfile.runtime": "FROM busybox\nCOPY app /app\n",
	}
}

// serveSetup writes the tokens and secrets files and starts the server.
func serveSetup(t *testing.T, secret string, args ...string) (*server, string, string) {
	e := testEnv(t)
	dir := t.TempDir()
	tokens := writeFile(t, filepath.Join(dir, "tokens"), serveTokenA+" a\n"+serveTokenB+" b\n")
	secretFile := writeFile(t, filepath.Join(dir, "secret-a"), secret)
	secrets := writeFile(t, filepath.Join(dir, "secrets"), "a token file:"+secretFile+"\n")
	out := filepath.Join(dir, "out")
	state := filepath.Join(dir, "state")
	s := startServe(t, e, state, append([]string{"--tokens", tokens, "--secrets", secrets, "--output", "oci:" + out}, args...)...)
	return s, state, out
}

// TestServeBuildsAndStreams: a tar.gz of a two-step project with a secret
// builds; the SSE stream has ids, the steps' events and logs, no secret,
// and ends with the result; the record has the metadata; the report is
// there; the output is in the tenant's own folder.
func TestServeBuildsAndStreams(t *testing.T) {
	n, secret := nonce(t), "s3cr3t-"+nonce(t)
	s, state, out := serveSetup(t, secret)
	id := s.submitTar(t, serveTokenA, "", tarGz(t, serveProject(n)))
	evs := s.follow(t, serveTokenA, id, 3*time.Minute)
	if len(evs) == 0 || evs[len(evs)-1].typ != "result" {
		t.Fatalf("the stream did not end with a result: %+v\nserver log:\n%s", evs, s.log())
	}
	var all strings.Builder
	for i, ev := range evs {
		if ev.id != itoa(i+1) {
			t.Errorf("event %d has id %q, want %d", i, ev.id, i+1)
		}
		all.WriteString(ev.typ + " " + ev.data + "\n")
	}
	stream := all.String()
	for _, want := range []string{`"status":"running"`, `"step":"compile"`, "[compile]", `"status":"succeeded"`} {
		if !strings.Contains(stream, want) {
			t.Errorf("the stream lacks %q:\n%s", want, stream)
		}
	}
	if logs := logText(evs); !strings.Contains(logs, "leaked: [secret:token]\n") {
		t.Errorf("the logs lack the RUN's line, redacted:\n%s", logs)
	}
	if strings.Contains(stream, secret) {
		t.Errorf("the stream holds the secret's value:\n%s", stream)
	}
	code, dt, _ := s.call(t, "GET", "/v1/builds/"+id, serveTokenA, nil)
	var rec struct {
		Status string
		Result map[string]map[string]any
	}
	if code != 200 || json.Unmarshal(dt, &rec) != nil || rec.Status != "succeeded" {
		t.Fatalf("GET build = %d %s, want succeeded", code, dt)
	}
	if d, _ := rec.Result["runtime"]["containerimage.digest"].(string); !strings.HasPrefix(d, "sha256:") {
		t.Errorf("result.runtime.containerimage.digest = %v, want sha256:…; %s", rec.Result["runtime"], dt)
	}
	if _, err := os.Stat(filepath.Join(out, "a", id, "runtime", "index.json")); err != nil {
		t.Errorf("the runtime image is not in the tenant's output folder: %v", err)
	}
	code, dt, resp := s.call(t, "GET", "/v1/builds/"+id+"/report", serveTokenA, nil)
	if code != 200 || !strings.Contains(string(dt), "<svg") || strings.Contains(string(dt), secret) {
		t.Errorf("report = %d (%d bytes), want 200 with an SVG chart and no secret", code, len(dt))
	}
	// The report runs nothing and fetches nothing, even opened alone.
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none';") || strings.Contains(csp, "script-src") || !strings.Contains(csp, "sandbox") {
		t.Errorf("the report's CSP is %q, want default-src 'none', no script-src, sandbox", csp)
	}
	for _, c := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/v1/builds/" + id, "", 401},
		{"GET", "/v1/builds/" + id, "serve-token-wrong-0123456789ab", 401},
		{"GET", "/v1/builds/" + id, serveTokenB, 404},
		{"GET", "/v1/builds/" + id + "/events", serveTokenB, 404},
		{"GET", "/v1/builds/" + id + "/report", serveTokenB, 404},
		{"POST", "/v1/builds/" + id + "/cancel", serveTokenB, 404},
		{"POST", "/v1/builds", "", 401},
	} {
		if code, dt, _ := s.call(t, c.method, c.path, c.token, nil); code != c.want {
			t.Errorf("%s %s with token %q = %d %s, want %d", c.method, c.path, c.token, code, dt, c.want)
		}
	}
	// The build's work folder is gone; /metrics counts its two steps.
	if ents, err := os.ReadDir(filepath.Join(state, "work")); err != nil || len(ents) != 0 {
		t.Errorf("the state's work folder after the build: %d entries (%v), want none", len(ents), err)
	}
	_, m, _ := s.call(t, "GET", "/metrics", "", nil)
	sum := regexp.MustCompile(`(?m)^weld_step_duration_seconds_sum ([0-9.e+-]+)$`).FindSubmatch(m)
	if !strings.Contains(string(m), "weld_step_duration_seconds_count 2\n") || sum == nil || string(sum[1]) == "0" ||
		!strings.Contains(string(m), "weld_queue_length 0\n") || !strings.Contains(string(m), `weld_builds{status="succeeded"} 1`) {
		t.Errorf("/metrics after one two-step build:\n%s", m)
	}
	if again := s.follow(t, serveTokenA, id, 10*time.Second); len(again) != len(evs) {
		t.Errorf("a second read of the stream has %d events, want %d", len(again), len(evs))
	}
}

// TestServeRefusesBadUploads: every escaping or special entry, a gzip
// bomb, too many entries, a secret with no server-side source or given in
// the query, and an _env read are refused
// with 400, and nothing lands outside the state folder's work area.
func TestServeRefusesBadUploads(t *testing.T) {
	s, state, _ := serveSetup(t, "x", "--max-upload", "1048576", "--max-entries", "40")
	many := map[string]string{}
	for i := range 41 {
		many["f"+itoa(i)] = "x"
	}
	proj := serveProject(nonce(t))
	// An _env in a build arg would read the server's environment (one in
	// a secret's value is never used: the server's source replaces it).
	envYML := strings.Replace(proj["build.yml"], "      publish: false\n", "      publish: false\n      args:\n        H: _env(HOME)\n", 1)
	for _, c := range []struct {
		name, token, query string
		body               []byte
		want               string
	}{
		{"absolute", serveTokenA, "", rawTar(t, tar.Header{Name: "/tmp/weld-serve-evil", Typeflag: tar.TypeReg, Size: 1}), "absolute"},
		{"dotdot", serveTokenA, "", rawTar(t, tar.Header{Name: "../../evil", Typeflag: tar.TypeReg, Size: 1}), ".."},
		{"symlink out", serveTokenA, "", rawTar(t, tar.Header{Name: "l", Linkname: "/etc", Typeflag: tar.TypeSymlink}), "leads out"},
		{"symlink then through", serveTokenA, "", rawTar(t, tar.Header{Name: "l", Linkname: "..", Typeflag: tar.TypeSymlink}), "leads out"},
		{"symlink chain out", serveTokenA, "", rawTar(t, tar.Header{Name: "a/", Typeflag: tar.TypeDir}, tar.Header{Name: "a/s", Linkname: "..", Typeflag: tar.TypeSymlink},
			tar.Header{Name: "a/x", Linkname: "s/../x", Typeflag: tar.TypeSymlink}), "symlink"},
		{"hard link out", serveTokenA, "", rawTar(t, tar.Header{Name: "h", Linkname: "/etc/passwd", Typeflag: tar.TypeLink}), "hard link"},
		{"device", serveTokenA, "", rawTar(t, tar.Header{Name: "null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3}), "special"},
		{"fifo", serveTokenA, "", rawTar(t, tar.Header{Name: "p", Typeflag: tar.TypeFifo}), "special"},
		{"gzip bomb", serveTokenA, "", tarGz(t, map[string]string{"zeros": strings.Repeat("\x00", 8<<20)}), "more than"},
		{"file outside", serveTokenA, "?file=../../etc/passwd", tarGz(t, proj), "file="},
		{"secret of another tenant", serveTokenB, "", tarGz(t, proj), "has no server-side source"},
		{"env read", serveTokenA, "", tarGz(t, map[string]string{"build.yml": envYML, "Dockerfile.compile": proj["Dockerfile.compile"], "Dockerfile.runtime": proj["Dockerfile.runtime"]}), "HOME"},
		{"unknown step", serveTokenA, "?steps=nope", tarGz(t, proj), "nope"},
		{"too many entries", serveTokenA, "", tarGz(t, many), "more than 40 entries"},
		{"a secret in the query", serveTokenA, "?secret=id%3Dtoken%2Csrc%3D%2Fetc%2Fshadow", tarGz(t, proj), "unknown query parameter"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, dt, _ := s.call(t, "POST", "/v1/builds"+c.query, c.token, c.body)
			if code != 400 || !strings.Contains(string(dt), c.want) {
				t.Errorf("POST = %d %s, want 400 naming %q", code, dt, c.want)
			}
			if strings.Contains(string(dt), state) {
				t.Errorf("the answer names the server's folder %s: %s", state, dt)
			}
		})
	}
	if _, err := os.Lstat("/tmp/weld-serve-evil"); err == nil {
		t.Errorf("/tmp/weld-serve-evil was written")
	}
	if ents, _ := os.ReadDir(filepath.Join(state, "work")); len(ents) != 0 {
		t.Errorf("the refused uploads left %d work folders", len(ents))
	}
}

// TestServeQueueAndRestart: with one slot and no queue, a second build
// is 429 with Retry-After; kill -9 mid-build and a restart keep the
// history with the running build failed (interrupted); SIGTERM drains.
func TestServeQueueAndRestart(t *testing.T) {
	e := testEnv(t)
	s, state, _ := serveSetup(t, "x", "--max-builds", "1", "--queue", "0")
	slow := map[string]string{"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    slow:\n      name: serve-slow\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nRUN sleep 30 && echo " + nonce(t) + "\n"}
	id := s.submitTar(t, serveTokenA, "", tarGz(t, slow))
	code, dt, resp := s.call(t, "POST", "/v1/builds", serveTokenB, tarGz(t, slow))
	if code != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a second build with one slot and no queue = %d %s (Retry-After %q), want 429 with Retry-After", code, dt, resp.Header.Get("Retry-After"))
	}
	waitStatus(t, s, id, "running")
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
	tokens := filepath.Join(filepath.Dir(state), "tokens")
	s2 := startServe(t, e, state, "--tokens", tokens, "--drain-timeout", "1s")
	code, dt, _ = s2.call(t, "GET", "/v1/builds/"+id, serveTokenA, nil)
	if code != 200 || !strings.Contains(string(dt), `"status": "failed"`) || !strings.Contains(string(dt), "interrupted") {
		t.Errorf("after kill -9 and a restart the build = %d %s, want failed (interrupted)", code, dt)
	}
	if _, dt, _ := s2.call(t, "GET", "/v1/builds", serveTokenA, nil); !strings.Contains(string(dt), id) {
		t.Errorf("after a restart the list lacks %s: %s", id, dt)
	}
	// SIGTERM: the running build is canceled past --drain-timeout, the server exits 0.
	id2 := s2.submitTar(t, serveTokenA, "", tarGz(t, slow))
	waitStatus(t, s2, id2, "running")
	_ = s2.cmd.Process.Signal(syscall.SIGTERM)
	if err := s2.cmd.Wait(); err != nil {
		t.Errorf("weld serve after SIGTERM: %v; log:\n%s", err, s2.log())
	}
	s3 := startServe(t, e, state, "--tokens", tokens)
	if _, dt, _ := s3.call(t, "GET", "/v1/builds/"+id2, serveTokenA, nil); !strings.Contains(string(dt), `"status": "canceled"`) {
		t.Errorf("the build SIGTERM drained = %s, want canceled", dt)
	}
}

func waitStatus(t *testing.T, s *server, id, want string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if _, dt, _ := s.call(t, "GET", "/v1/builds/"+id, serveTokenA, nil); strings.Contains(string(dt), `"status": "`+want+`"`) {
			return
		}
	}
	t.Fatalf("build %s never became %s; log:\n%s", id, want, s.log())
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestServeSecretappExample: the secretapp example, as it is in examples/
// (its secret's value is _env(SECRETAPP_TOKEN_FILE), unset on the server
// and never used), submitted as a tar.gz: it builds with the tenant's
// server-side token, the stream ends with the result and holds no token,
// and both runtime images are in the tenant's output folder.
func TestServeSecretappExample(t *testing.T) {
	files := exampleFiles(t, "secretapp")
	e := testEnv(t)
	secret := "tok-" + nonce(t)
	s, _, out := serveSetup(t, secret, "--image", "golang:1.26=oci-layout://"+filepath.Join(e.images, "golang"),
		"--image", "alpine:3.20=oci-layout://"+filepath.Join(e.images, "busybox"))
	id := s.submitTar(t, serveTokenA, "", tarGz(t, files))
	evs := s.follow(t, serveTokenA, id, 10*time.Minute)
	last := evs[len(evs)-1]
	if last.typ != "result" || !strings.Contains(last.data, `"status":"succeeded"`) {
		t.Fatalf("the secretapp build ended %s %s; server log:\n%s", last.typ, last.data, s.log())
	}
	for _, ev := range evs {
		if strings.Contains(ev.data, secret) {
			t.Fatalf("the stream holds the token: %s", ev.data)
		}
	}
	for _, step := range []string{"runtime_minimal", "runtime_alpine"} {
		if _, err := os.Stat(filepath.Join(out, "a", id, step, "index.json")); err != nil {
			t.Errorf("%s is not in the tenant's output folder: %v", step, err)
		}
	}
}
