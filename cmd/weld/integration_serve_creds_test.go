//go:build integration

package main

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// authProxy is a loopback registry that wants Basic auth: it answers 401
// with a challenge unless the request carries want's credentials, records
// every user that tried, and passes the rest to the real registry.
type authProxy struct {
	mu    sync.Mutex
	users []string
	host  string
}

func startAuthProxy(t *testing.T, registry, user, pass string) *authProxy {
	t.Helper()
	p := &authProxy{}
	target, _ := url.Parse("http://" + registry)
	rp := httputil.NewSingleHostReverseProxy(target)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, pw, ok := r.BasicAuth()
		if ok {
			p.mu.Lock()
			p.users = append(p.users, u)
			p.mu.Unlock()
		}
		if !ok || u != user || pw != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="weld-test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	p.host = ln.Addr().String()
	return p
}

func (p *authProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Compact(slices.Sorted(slices.Values(p.users)))
}

// dockerConfig is a config.json with one registry's credentials (and more
// keys, such as a credsStore).
func dockerConfig(host, user, pass, extra string) string {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return fmt.Sprintf(`{"auths":{%q:{"auth":%q}}%s}`, host, auth, extra)
}

// TestServePushesWithServerCredentials: a registry that wants a password;
// the server's DOCKER_CONFIG holds the right one, the upload carries its
// own .docker/config.json and config.json with another user and a
// credsStore (a helper program the host would run). A query naming
// DOCKER_CONFIG and an X-Registry-Auth header are refused with 400; the
// build pushes with the server's credentials only: the registry saw the
// server's user and never the tenant's, and the tenant's helper never ran.
func TestServePushesWithServerCredentials(t *testing.T) {
	registry := os.Getenv("WELD_TEST_REGISTRY")
	if registry == "" {
		t.Fatal("this test needs WELD_TEST_REGISTRY (a running registry, 127.0.0.1:PORT); run scripts/test.sh")
	}
	pass := "srv-pass-" + nonce(t)
	proxy := startAuthProxy(t, registry, "srv", pass)
	dir := t.TempDir()
	mark := filepath.Join(dir, "tenant-helper-ran")
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	helper := writeFile(t, filepath.Join(bin, "docker-credential-pwn"), "#!/bin/sh\ntouch "+mark+"\necho '{\"Username\":\"tenant\",\"Secret\":\"x\"}'\n")
	if err := os.Chmod(helper, 0o755); err != nil {
		t.Fatal(err)
	}
	srvConfig := filepath.Join(dir, "server-docker")
	if err := os.MkdirAll(srvConfig, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(srvConfig, "config.json"), dockerConfig(proxy.host, "srv", pass, ""))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DOCKER_CONFIG", srvConfig)
	s, _, _ := serveSetup(t, "unused-secret", "--push")
	tenantConfig := dockerConfig(proxy.host, "tenant", "tenant-pass", `,"credsStore":"pwn","credHelpers":{`+fmt.Sprintf("%q", proxy.host)+`:"pwn"}`)
	proj := tarGz(t, map[string]string{
		"build.yml":           "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + proxy.host + "/serve-creds:latest\n",
		"Dockerfile":          "FROM busybox\nRUN echo " + nonce(t) + " > /x\n",
		".docker/config.json": tenantConfig,
		"config.json":         tenantConfig,
	})
	for _, c := range []struct {
		query string
		hdr   []string
	}{
		{query: "?DOCKER_CONFIG=" + url.QueryEscape(filepath.Join(dir, "elsewhere"))},
		{query: "?docker_config=.docker"},
		{hdr: []string{"X-Registry-Auth", base64.StdEncoding.EncodeToString([]byte(`{"username":"tenant","password":"tenant-pass"}`))}},
		{hdr: []string{"X-Registry-Config", base64.StdEncoding.EncodeToString([]byte(`{"` + proxy.host + `":{"username":"tenant","password":"tenant-pass"}}`))}},
	} {
		req, _ := http.NewRequest("POST", s.url+"/v1/builds"+c.query, strings.NewReader(string(proj)))
		req.Header.Set("Authorization", "Bearer "+serveTokenA)
		if len(c.hdr) == 2 {
			req.Header.Set(c.hdr[0], c.hdr[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("a submission with %q %v = %d, want 400", c.query, c.hdr, resp.StatusCode)
		}
	}
	id := s.submitTar(t, serveTokenA, "", proj)
	evs := s.follow(t, serveTokenA, id, 3*time.Minute)
	if last := evs[len(evs)-1]; !strings.Contains(last.data, `"status":"succeeded"`) {
		t.Fatalf("the push build ended %s\nserver log:\n%s", last.data, s.log())
	}
	if users := proxy.seen(); !slices.Equal(users, []string{"srv"}) {
		t.Errorf("the registry saw users %v, want only the server's (srv)", users)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Error("the upload's credential helper ran on the server")
	}
	code, _ := httpGet(t, "http://"+registry+"/v2/serve-creds/manifests/latest", http.Header{"Accept": {"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json"}})
	if code != http.StatusOK {
		t.Errorf("the pushed image is not in the registry: GET manifest = %d", code)
	}
}
