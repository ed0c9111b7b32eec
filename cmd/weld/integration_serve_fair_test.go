//go:build integration

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const serveTokenC = "serve-token-c-0123456789abcdef"

// waitGate is a loopback HTTP server the builds' RUNs call (buildkitd's
// network is the host's): it records who arrived, in order, and holds
// every call until released, so the test decides when builds may end.
type waitGate struct {
	mu      sync.Mutex
	arrived []string
	release chan struct{}
	url     string
}

func startWaitGate(t *testing.T) *waitGate {
	t.Helper()
	g := &waitGate{release: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.arrived = append(g.arrived, r.URL.Query().Get("t"))
		g.mu.Unlock()
		<-g.release
		fmt.Fprintln(w, "go")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	g.url = "http://" + ln.Addr().String() + "/wait"
	return g
}

func (g *waitGate) order() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.arrived)
}

// TestServeTwentyFromTwoTenants: 20 submissions at once from tenants a and
// b, each with a server-side secret of its own under the same id, on 2
// slots, a queue of 19 and --tenant-max-builds 10: all 20 are accepted;
// a's 11th gets 429 naming tenant-max-builds, tenant c's first is the
// 21st and its second gets 429 naming the queue; c's build, queued last,
// starts among the first (slots go round-robin across tenants). Every
// build succeeds and its image holds its own tenant's secret-derived
// output only: the secret RUN is the same for every build, so a cache or
// in-flight result shared across tenants would show; no stream holds a
// secret.
func TestServeTwentyFromTwoTenants(t *testing.T) {
	e := testEnv(t)
	dir := t.TempDir()
	tokens := writeFile(t, filepath.Join(dir, "tokens"), serveTokenA+" a\n"+serveTokenB+" b\n"+serveTokenC+" c\n")
	secret := map[string]string{"a": "A-" + nonce(t), "b": "BB-" + nonce(t) + nonce(t), "c": "CCC-" + nonce(t)}
	var lines strings.Builder
	for tn, v := range secret {
		fmt.Fprintf(&lines, "%s token file:%s\n", tn, writeFile(t, filepath.Join(dir, "secret-"+tn), v))
	}
	secrets := writeFile(t, filepath.Join(dir, "secrets"), lines.String())
	out := filepath.Join(dir, "out")
	s := startServe(t, e, filepath.Join(dir, "state"), "--tokens", tokens, "--secrets", secrets, "--output", "oci:"+out,
		"--max-builds", "2", "--queue", "19", "--tenant-max-builds", "10")
	g := startWaitGate(t)
	n := nonce(t)
	project := func(tn string, i int) []byte {
		return tarGz(t, map[string]string{
			"build.yml": fmt.Sprintf("build:\n  version: 2016-03-14\n  steps:\n    one:\n      name: serve-twenty\n      args:\n        T: %s\n        N: %s-%d\n      secrets:\n        token:\n          type: file\n          value: none\n", tn, n, i),
			"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=token sha256sum /run/secrets/token | cut -c1-64 > /derived\n" +
				"ARG T\nARG N\nRUN wget -q -O /dev/null \"" + g.url + "?t=$T&n=$N\"\n",
		})
	}
	token := map[string]string{"a": serveTokenA, "b": serveTokenB, "c": serveTokenC}
	type sub struct{ tenant, id string }
	subs := make([]sub, 20)
	var wg sync.WaitGroup
	for i := range subs {
		tn := []string{"a", "b"}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			subs[i] = sub{tn, s.submitTar(t, token[tn], "", project(tn, i))}
		}()
	}
	wg.Wait()
	limited := func(tn string, want string) {
		t.Helper()
		code, dt, resp := s.call(t, "POST", "/v1/builds", token[tn], project(tn, 99))
		var body struct{ Error, Limit string }
		if code != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || json.Unmarshal(dt, &body) != nil || body.Limit != want || body.Error == "" {
			t.Errorf("tenant %s's extra submission = %d (Retry-After %q) %s, want 429 naming %s", tn, code, resp.Header.Get("Retry-After"), dt, want)
		}
	}
	limited("a", "tenant-max-builds")
	subs = append(subs, sub{"c", s.submitTar(t, serveTokenC, "", project("c", 20))})
	limited("c", "queue")
	for deadline := time.Now().Add(2 * time.Minute); len(g.order()) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the first two builds never reached their RUN; server log:\n%s", s.log())
		}
	}
	close(g.release)
	for _, sb := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checkTenantBuild(t, s, token[sb.tenant], sb.id, secret, sb.tenant, filepath.Join(out, sb.tenant, sb.id, "one"))
		}()
	}
	wg.Wait()
	t.Logf("the RUNs' tenant order: %v", g.order())
	if order := g.order(); len(order) != 21 || slices.Index(order, "c") > 5 {
		t.Errorf("the builds' RUNs ran in tenant order %v: c's, queued 21st, at %d; want 21 with c's among the first 6 (round-robin)", order, slices.Index(order, "c"))
	}
}

// checkTenantBuild follows a build to its end: succeeded, its stream holds
// no secret's value, and its image's /derived is the sha256 of its own
// tenant's secret.
func checkTenantBuild(t *testing.T, s *server, token, id string, secret map[string]string, tenant, layout string) {
	t.Helper()
	evs := s.follow(t, token, id, 3*time.Minute)
	var all strings.Builder
	for _, ev := range evs {
		all.WriteString(ev.data + "\n")
	}
	for tn, v := range secret {
		if strings.Contains(all.String(), v) {
			t.Errorf("build %s (%s): the stream holds tenant %s's secret", id, tenant, tn)
		}
	}
	if last := evs[len(evs)-1]; last.typ != "result" || !strings.Contains(last.data, `"status":"succeeded"`) {
		t.Errorf("build %s (%s) ended %s %s", id, tenant, last.typ, last.data)
		return
	}
	sum := sha256.Sum256([]byte(secret[tenant]))
	if got := strings.TrimSpace(imageFile(t, layout, "serve-twenty", "derived")); got != hex.EncodeToString(sum[:]) {
		t.Errorf("build %s (%s): /derived = %q, want the sha256 of its own tenant's secret", id, tenant, got)
	}
}
