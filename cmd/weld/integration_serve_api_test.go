//go:build integration

package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slowProject is a one-step build whose RUN takes secs seconds.
func slowProject(t *testing.T, secs int) []byte {
	return tarGz(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    slow:\n      name: serve-slow\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nRUN sleep " + strconv.Itoa(secs) + " && echo " + nonce(t) + "\n",
	})
}

// stream reads a build's event stream with the given extra header, until
// its end or max events (0: no cap), then closes it.
func (s *server) stream(t *testing.T, token, id string, hdr http.Header, max int) []sseEvent {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/v1/builds/"+id+"/events", nil)
	req.Header = hdr.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil { // no Fatal: this may run in a goroutine of its own
		t.Errorf("reading the events of %s: %v", id, err)
		return nil
	}
	defer resp.Body.Close()
	evs, _ := readEvents(resp.Body, max) // a stream closed early ends in an error
	return evs
}

// checkIDs fails unless evs are numbered from first on, one by one, and
// the last is the result with status want.
func checkIDs(t *testing.T, what string, evs []sseEvent, first int, want string) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatalf("%s: no events", what)
	}
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.id
	}
	for i, ev := range evs {
		if ev.id != strconv.Itoa(first+i) {
			t.Fatalf("%s: event %d has id %q, want %d (ids %v)", what, i, ev.id, first+i, ids)
		}
	}
	if last := evs[len(evs)-1]; last.typ != "result" || !strings.Contains(last.data, `"status":"`+want+`"`) {
		t.Errorf("%s: the stream ended with %s %s, want the result, %s", what, last.typ, last.data, want)
	}
}

// TestServeCancelResumeAndIdempotency, against a real weld serve with one
// slot: a queued build and a running one are canceled (202, then 409 once
// ended; each stream ends with the result, canceled; the queued one never
// ran); a stream read in part and resumed with Last-Event-ID (or ?after=)
// goes on from the next id to the result; an Idempotency-Key retry answers
// with the first build, for that tenant only; the routes without a token
// (healthz, the OpenAPI document) answer, an unknown /v1 path is 401
// without a token and 404 with one; /metrics counts the canceled builds.
// After a kill -9 and a restart, a build that was running and one that
// was queued are failed (interrupted), their streams end with the result,
// and the Idempotency-Key still names its build.
func TestServeCancelResumeAndIdempotency(t *testing.T) {
	e := testEnv(t)
	s, state, _ := serveSetup(t, "x", "--max-builds", "1", "--queue", "4")
	running := s.submitTar(t, serveTokenA, "", slowProject(t, 60))
	waitStatus(t, s, running, "running")
	queued := s.submitTar(t, serveTokenA, "", slowProject(t, 60))
	for _, id := range []string{queued, running} {
		if code, dt, _ := s.call(t, "POST", "/v1/builds/"+id+"/cancel", serveTokenA, nil); code != http.StatusAccepted {
			t.Fatalf("cancel %s = %d %s, want 202", id, code, dt)
		}
		evs := s.stream(t, serveTokenA, id, nil, 0)
		checkIDs(t, "the canceled build's stream", evs, 1, "canceled")
		for _, ev := range evs {
			if id == queued && ev.typ == "status" && strings.Contains(ev.data, `"running"`) {
				t.Errorf("the build canceled in the queue ran: %v", evs)
			}
		}
		if code, dt, _ := s.call(t, "POST", "/v1/builds/"+id+"/cancel", serveTokenA, nil); code != http.StatusConflict {
			t.Errorf("a second cancel = %d %s, want 409", code, dt)
		}
	}

	// Resume: the first events, then the rest after the last id seen.
	req, _ := http.NewRequest("POST", s.url+"/v1/builds", strings.NewReader(string(slowProject(t, 2))))
	req.Header.Set("Authorization", "Bearer "+serveTokenA)
	req.Header.Set("Idempotency-Key", "key-"+nonce(t))
	key := req.Header.Get("Idempotency-Key")
	id := submitReq(t, s, req)
	head := s.stream(t, serveTokenA, id, nil, 2)
	if len(head) != 2 || head[0].id != "1" || head[1].id != "2" {
		t.Fatalf("the first two events: %+v", head)
	}
	rest := s.stream(t, serveTokenA, id, http.Header{"Last-Event-ID": {"2"}}, 0)
	checkIDs(t, "the stream resumed with Last-Event-ID: 2", rest, 3, "succeeded")
	if again := s.stream(t, serveTokenA, id, http.Header{}, 0); len(again) != len(rest)+2 {
		t.Errorf("the whole stream has %d events, want %d", len(again), len(rest)+2)
	}
	tail := s.stream(t, serveTokenA, id, nil, 0)
	k := len(tail) - 1
	if evs := s.streamQuery(t, serveTokenA, id, "?after="+strconv.Itoa(k)); len(evs) != 1 || evs[0].id != strconv.Itoa(k+1) || evs[0].typ != "result" {
		t.Errorf("?after=%d gave %+v, want the result alone", k, evs)
	}

	// Idempotency: the same key is the same build; another tenant's is its own.
	for _, c := range []struct {
		token string
		same  bool
	}{{serveTokenA, true}, {serveTokenB, false}} {
		r, _ := http.NewRequest("POST", s.url+"/v1/builds", strings.NewReader(string(slowProject(t, 1))))
		r.Header.Set("Authorization", "Bearer "+c.token)
		r.Header.Set("Idempotency-Key", key)
		if got := submitReq(t, s, r); (got == id) != c.same {
			t.Errorf("a retry with the Idempotency-Key (same tenant %v) made build %s; the first was %s", c.same, got, id)
		}
	}

	if code, dt, _ := s.call(t, "GET", "/healthz", "", nil); code != 200 || strings.TrimSpace(string(dt)) != "ok" {
		t.Errorf("GET /healthz = %d %q", code, dt)
	}
	code, dt, _ := s.call(t, "GET", "/v1/openapi.json", "", nil)
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if code != 200 || json.Unmarshal(dt, &doc) != nil || doc.Paths["/v1/builds/{id}/cancel"] == nil {
		t.Errorf("GET /v1/openapi.json = %d, want the document with its paths (%.200s)", code, dt)
	}
	for token, want := range map[string]int{"": 401, serveTokenA: 404} {
		if code, dt, _ := s.call(t, "GET", "/v1/nothing-here", token, nil); code != want {
			t.Errorf("GET /v1/nothing-here with token %q = %d %s, want %d", token, code, dt, want)
		}
	}
	if _, m, _ := s.call(t, "GET", "/metrics", "", nil); !strings.Contains(string(m), `weld_builds{status="canceled"} 2`) {
		t.Errorf("/metrics after two cancels:\n%s", m)
	}

	// kill -9 with one build running and one queued, a restart: both are
	// failed (interrupted), and the key still names its build.
	run2 := s.submitTar(t, serveTokenA, "", slowProject(t, 60))
	waitStatus(t, s, run2, "running")
	queued2 := s.submitTar(t, serveTokenA, "", slowProject(t, 60))
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
	s3 := startServe(t, e, state, "--tokens", filepath.Join(filepath.Dir(state), "tokens"))
	for _, id := range []string{run2, queued2} {
		if _, dt, _ := s3.call(t, "GET", "/v1/builds/"+id, serveTokenA, nil); !strings.Contains(string(dt), `"status": "failed"`) || !strings.Contains(string(dt), "interrupted") {
			t.Errorf("after kill -9 and a restart build %s = %s, want failed (interrupted)", id, dt)
		}
		if evs := s3.stream(t, serveTokenA, id, nil, 0); len(evs) == 0 || evs[len(evs)-1].typ != "result" {
			t.Errorf("the interrupted build %s's stream does not end with its result: %v", id, evs)
		}
	}
	r, _ := http.NewRequest("POST", s3.url+"/v1/builds", strings.NewReader(string(slowProject(t, 1))))
	r.Header.Set("Authorization", "Bearer "+serveTokenA)
	r.Header.Set("Idempotency-Key", key)
	if got := submitReq(t, s3, r); got != id {
		t.Errorf("after a restart the Idempotency-Key made build %s, want %s", got, id)
	}
}

// streamQuery reads the whole event stream of a build with a query.
func (s *server) streamQuery(t *testing.T, token, id, query string) []sseEvent {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/v1/builds/"+id+"/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	evs, err := readEvents(resp.Body, 0)
	if err != nil {
		t.Fatalf("reading the event stream: %v", err)
	}
	return evs
}

// submitReq sends a prepared submission and returns the build's id (202).
func submitReq(t *testing.T, s *server, req *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dt, _ := io.ReadAll(resp.Body)
	var acc struct{ ID, URL string }
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(dt, &acc) != nil || acc.ID == "" || resp.Header.Get("Location") != acc.URL {
		t.Fatalf("POST /v1/builds = %d %s (Location %q), want 202 {id,url}; server log:\n%s", resp.StatusCode, dt, resp.Header.Get("Location"), s.log())
	}
	return acc.ID
}

// TestServeDrainLetsBuildsFinish: SIGTERM while a short build runs, with
// a --drain-timeout longer than it: a submission after the signal is 503
// naming the drain (with Retry-After), the running build ends succeeded
// (its open stream gets the result), and the server exits 0.
func TestServeDrainLetsBuildsFinish(t *testing.T) {
	e := testEnv(t)
	s, state, _ := serveSetup(t, "x", "--drain-timeout", "2m")
	id := s.submitTar(t, serveTokenA, "", slowProject(t, 5))
	waitStatus(t, s, id, "running")
	streamed := make(chan []sseEvent, 1)
	go func() { streamed <- s.stream(t, serveTokenA, id, nil, 0) }()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.log(), "draining"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not say it drains; log:\n%s", s.log())
		}
	}
	code, dt, resp := s.call(t, "POST", "/v1/builds", serveTokenA, slowProject(t, 1))
	var body struct{ Error, Limit string }
	if code != http.StatusServiceUnavailable || json.Unmarshal(dt, &body) != nil || body.Limit != "draining" || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a submission while draining = %d %s (Retry-After %q), want 503 naming the drain", code, dt, resp.Header.Get("Retry-After"))
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("weld serve after SIGTERM: %v; log:\n%s", err, s.log())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("weld serve did not exit within 90 s of SIGTERM; log:\n%s", s.log())
	}
	checkIDs(t, "the stream open during the drain", <-streamed, 1, "succeeded")
	s2 := startServe(t, e, state, "--tokens", filepath.Join(filepath.Dir(state), "tokens"))
	if _, dt, _ := s2.call(t, "GET", "/v1/builds/"+id, serveTokenA, nil); !strings.Contains(string(dt), `"status": "succeeded"`) {
		t.Errorf("the build drained in time = %s, want succeeded", dt)
	}
}

// TestServeTLS: with --tls-cert/--tls-key the API answers over HTTPS to a
// client that trusts the CA and a token; plain HTTP gets no API answer;
// one of the two flags alone is exit 2 before serving.
func TestServeTLS(t *testing.T) {
	e := testEnv(t)
	certs := writeCerts(t, t.TempDir())
	s, _, _ := serveSetup(t, "x", "--tls-cert", certs["server.pem"], "--tls-key", certs["server-key.pem"])
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(certs["ca.pem"])
	if err != nil || !pool.AppendCertsFromPEM(ca) {
		t.Fatalf("reading the CA: %v", err)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	https := strings.Replace(s.url, "http://", "https://", 1)
	req, _ := http.NewRequest("GET", https+"/v1/builds", nil)
	req.Header.Set("Authorization", "Bearer "+serveTokenA)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/builds over HTTPS: %v", err)
	}
	dt, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || !strings.Contains(string(dt), `"builds"`) {
		t.Errorf("GET /v1/builds over HTTPS = %d %s (TLS %v), want 200 with the list", resp.StatusCode, dt, resp.TLS != nil)
	}
	if resp, err := http.Get(s.url + "/v1/builds"); err == nil {
		dt, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(dt), "builds") {
			t.Errorf("plain HTTP to the TLS port = %d %s, want 400 and no API answer", resp.StatusCode, dt)
		}
	}
	if _, err := (&http.Client{Timeout: 5 * time.Second}).Get(https + "/healthz"); err == nil {
		t.Error("a client that does not trust the CA got an answer")
	}
	w, code := e.run(t, t.TempDir(), "serve", "--listen", "127.0.0.1:0", "--state", t.TempDir(), "--tokens", filepath.Join(t.TempDir(), "none"), "--tls-cert", certs["server.pem"])
	w.expect(t, code, 2, "--tls-cert and --tls-key together")
}
