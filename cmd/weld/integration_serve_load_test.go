//go:build integration

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeConcurrentTenants: 8 builds from 2 tenants at once, each with
// its own server-side secret of its own length; every build succeeds and
// sees only its tenant's secret (no cross-talk), and no stream holds either value.
func TestServeConcurrentTenants(t *testing.T) {
	e := testEnv(t)
	dir := t.TempDir()
	tokens := writeFile(t, filepath.Join(dir, "tokens"), serveTokenA+" a\n"+serveTokenB+" b\n")
	secretA, secretB := "A-"+nonce(t), "BB-"+nonce(t)+nonce(t)
	fa := writeFile(t, filepath.Join(dir, "secret-a"), secretA)
	fb := writeFile(t, filepath.Join(dir, "secret-b"), secretB)
	secrets := writeFile(t, filepath.Join(dir, "secrets"), "a token file:"+fa+"\nb token file:"+fb+"\n")
	s := startServe(t, e, filepath.Join(dir, "state"), "--tokens", tokens, "--secrets", secrets, "--max-builds", "2", "--queue", "10")
	proj := map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    one:\n      name: serve-one\n      dockerfile: Dockerfile\n      secrets:\n        token:\n          type: file\n          value: none\n",
		"Dockerfile": "FROM busybox\nARG N\nRUN --mount=type=secret,id=token echo \"$N len=$(wc -c < /run/secrets/token) val=$(cat /run/secrets/token)\"\n",
	}
	var wg sync.WaitGroup
	for i := range 8 {
		token, secret, other := serveTokenA, secretA, secretB
		if i%2 == 1 {
			token, secret, other = serveTokenB, secretB, secretA
		}
		p := map[string]string{"build.yml": strings.Replace(proj["build.yml"], "dockerfile: Dockerfile\n", "dockerfile: Dockerfile\n      args:\n        N: n"+nonce(t)+"\n", 1), "Dockerfile": proj["Dockerfile"]}
		id := s.submitTar(t, token, "", tarGz(t, p))
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := s.follow(t, token, id, 3*time.Minute)
			var all strings.Builder
			for _, ev := range evs {
				all.WriteString(ev.data + "\n")
			}
			stream, logs := all.String(), logText(evs)
			if want := fmt.Sprintf("len=%d val=[secret:token]", len(secret)); !strings.Contains(logs, want) {
				t.Errorf("build %d (%s) logs lack %q:\n%s", i, id, want, logs)
			}
			if strings.Contains(stream, secret) || strings.Contains(stream, other) {
				t.Errorf("build %d's stream holds a secret's value", i)
			}
			if last := evs[len(evs)-1]; last.typ != "result" || !strings.Contains(last.data, `"status":"succeeded"`) {
				t.Errorf("build %d ended with %s %s", i, last.typ, last.data)
			}
		}()
	}
	wg.Wait()
	_, m, _ := s.call(t, "GET", "/metrics", "", nil)
	if !strings.Contains(string(m), `weld_builds{status="succeeded"} 8`) {
		t.Errorf("/metrics after 8 builds:\n%s", m)
	}
}

// TestServeProjectRunsNothingOnHost: a project's weld.policy.yml gate (a
// shell command weld runs on its host) and its after_build_command never
// run on the server; the build itself succeeds.
func TestServeProjectRunsNothingOnHost(t *testing.T) {
	s, _, _ := serveSetup(t, "x")
	mark := filepath.Join(t.TempDir(), "pwned")
	proj := map[string]string{
		"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    one:\n      name: serve-host\n      dockerfile: Dockerfile\n      after_build_command: touch " + mark + "-after\n",
		"Dockerfile":      "FROM busybox\nRUN echo " + nonce(t) + "\n",
		"weld.policy.yml": "gates:\n  - run: touch " + mark + " {{oci_dir}}\n",
	}
	id := s.submitTar(t, serveTokenA, "", tarGz(t, proj))
	evs := s.follow(t, serveTokenA, id, 2*time.Minute)
	if last := evs[len(evs)-1]; !strings.Contains(last.data, `"status":"succeeded"`) {
		t.Fatalf("the build ended %s", last.data)
	}
	for _, p := range []string{mark, mark + "-after"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists: the project ran a command on the server", p)
		}
	}
}

// TestServeProjectCannotLoosenPolicy: the operator's --policy allows only
// busybox; a project whose weld.policy.yml allows every base and builds on
// golang is refused (the build fails naming the base), while a busybox
// project under the same server builds: the project's file can only
// tighten the server's.
func TestServeProjectCannotLoosenPolicy(t *testing.T) {
	e := testEnv(t)
	pol := writeFile(t, filepath.Join(t.TempDir(), "ops.policy.yml"), "allowed_bases:\n  - docker.io/library/busybox:*\n")
	s, _, _ := serveSetup(t, "x", "--policy", pol, "--image", "golang:1.26=oci-layout://"+filepath.Join(e.images, "golang"))
	loose := s.submitTar(t, serveTokenA, "", tarGz(t, map[string]string{
		"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: serve-loose\n",
		"Dockerfile":      "FROM golang:1.26\nRUN echo " + nonce(t) + "\n",
		"weld.policy.yml": "allowed_bases:\n  - \"*\"\n  - docker.io/library/golang:*\n",
	}))
	fine := s.submitTar(t, serveTokenA, "", tarGz(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: serve-fine\n",
		"Dockerfile": "FROM busybox\nRUN echo " + nonce(t) + "\n",
	}))
	for id, want := range map[string]string{loose: `"status":"failed"`, fine: `"status":"succeeded"`} {
		evs := s.follow(t, serveTokenA, id, 3*time.Minute)
		last := evs[len(evs)-1]
		if !strings.Contains(last.data, want) || (id == loose && !strings.Contains(last.data, "golang:1.26 is not allowed")) {
			t.Errorf("build %s ended %s, want %s (the loose one naming golang:1.26)", id, last.data, want)
		}
	}
}
