//go:build integration

package main

import (
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestPushWithCredentials: --push takes its credentials from
// $DOCKER_CONFIG/config.json (BuildKit's auth provider), as docker and buildx
// do: with them the push to a registry that wants a password succeeds; with
// none it fails (exit 1) and the registry holds nothing.
func TestPushWithCredentials(t *testing.T) {
	e := publishEnv(t)
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte("weld:"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(e.registry2, ":")
	regDir := filepath.Join(dir, "reg")
	script := filepath.Join("..", "..", "scripts", "registry.sh")
	start := exec.Command(script, "start", regDir, port)
	start.Env = append(os.Environ(), "REGISTRY_AUTH_HTPASSWD_REALM=weld-test", "REGISTRY_AUTH_HTPASSWD_PATH="+htpasswd)
	if out, err := start.CombinedOutput(); err != nil {
		t.Fatalf("scripts/registry.sh start %s %s: %v\n%s", regDir, port, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "stop", regDir).CombinedOutput(); err != nil {
			t.Errorf("scripts/registry.sh stop: %v\n%s", err, out)
		}
	})
	if code, _ := httpGet(t, "http://"+e.registry2+"/v2/", nil); code != http.StatusUnauthorized {
		t.Fatalf("GET /v2/ without credentials = %d, want 401: the registry does not ask for a password", code)
	}

	n := nonce(t)
	name := e.registry2 + "/weld-it/auth-" + n[:12] + ":v1"
	project := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + name + "\n",
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /x\nUSER 1000\n",
	})
	noCreds := t.TempDir()
	w := e.command(project, e.host, "--push")
	w.cmd.Env = append(w.cmd.Env, "DOCKER_CONFIG="+noCreds)
	w.expect(t, w.run(t, 3*time.Minute), 1)
	if msg := strings.ToLower(w.stderr.String()); !strings.Contains(msg, "unauthorized") && !strings.Contains(msg, "401") {
		t.Errorf("without credentials weld failed, but not for want of them; stderr:\n%s", w.stderr.String())
	}

	creds := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("weld:s3cret-pw"))
	if err := os.WriteFile(filepath.Join(creds, "config.json"), []byte(`{"auths":{"`+e.registry2+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	w = e.command(project, e.host, "--push", "--metadata-file", "m.json")
	w.cmd.Env = append(w.cmd.Env, "DOCKER_CONFIG="+creds)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	repo := strings.TrimSuffix(strings.TrimPrefix(name, e.registry2+"/"), ":v1")
	code, body := httpGet(t, "http://"+e.registry2+"/v2/"+repo+"/tags/list", http.Header{"Authorization": {"Basic " + auth}})
	if code != http.StatusOK || !strings.Contains(string(body), `"v1"`) {
		t.Errorf("GET tags/list with credentials = %d %s, want the v1 tag", code, body)
	}
}
