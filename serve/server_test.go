package serve

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	h := newHarness(t, t.TempDir(), 1, 1)
	id := h.submit(tokenA)
	tests := []struct {
		name, method, path, token string
		want                      int
	}{
		{"no token", "GET", "/v1/builds", "", 401},
		{"wrong token", "GET", "/v1/builds", "token-of-nobody-0123456789", 401},
		{"a prefix of a token", "GET", "/v1/builds", tokenA[:20], 401},
		{"no token submit", "POST", "/v1/builds", "", 401},
		{"no token get", "GET", "/v1/builds/" + id, "", 401},
		{"no token cancel", "POST", "/v1/builds/" + id + "/cancel", "", 401},
		{"no token unknown path", "GET", "/v1/nothing", "", 401},
		{"other tenant get", "GET", "/v1/builds/" + id, tokenB, 404},
		{"other tenant events", "GET", "/v1/builds/" + id + "/events", tokenB, 404},
		{"other tenant cancel", "POST", "/v1/builds/" + id + "/cancel", tokenB, 404},
		{"other tenant report", "GET", "/v1/builds/" + id + "/report", tokenB, 404},
		{"unknown build", "GET", "/v1/builds/0123", tokenA, 404},
		{"owner", "GET", "/v1/builds/" + id, tokenA, 200},
		{"openapi needs no token", "GET", "/v1/openapi.json", "", 200},
		{"healthz", "GET", "/healthz", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, dt := h.do(tc.method, tc.path, tc.token, nil)
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, resp.StatusCode, dt, tc.want)
			}
		})
	}
	resp, dt := h.do("GET", "/v1/builds", tokenB, nil)
	if resp.StatusCode != 200 || strings.Contains(string(dt), id) {
		t.Errorf("tenant b's list = %d %s, want 200 without a's build %s", resp.StatusCode, dt, id)
	}
}

func TestSubmitRunsAndStreams(t *testing.T) {
	h := newHarness(t, t.TempDir(), 1, 0)
	id := h.submit(tokenA)
	h.record(tokenA, id, StatusRunning)
	close(h.fr.release)
	rec := h.record(tokenA, id, StatusSucceeded)
	if string(rec.Result) == "" || !strings.Contains(string(rec.Result), `"hello"`) || rec.Finished == nil {
		t.Errorf("record = %+v, want the runner's metadata and a finish time", rec)
	}
	resp, err := http.Get(h.url + "/v1/builds/" + id + "/events")
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("events without a token = %v %v, want 401", resp, err)
	}
	evs := h.events(id, "")
	var types []string
	for i, e := range evs {
		if e.ID != i+1 {
			t.Errorf("event %d has id %d, want %d", i, e.ID, i+1)
		}
		types = append(types, e.Type)
	}
	if got, want := strings.Join(types, ","), "status,status,step,log,result"; got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
	if again := h.events(id, "3"); len(again) != 2 || again[0].ID != 4 {
		t.Errorf("events after Last-Event-ID 3 = %+v, want ids 4 and 5", again)
	}
	if _, dt := h.do("GET", "/v1/builds/"+id+"/report", tokenA, nil); string(dt) != "<html>report</html>" {
		t.Errorf("report = %q, want the runner's", dt)
	}
	if ents, _ := os.ReadDir(filepath.Join(h.srv.cfg.StateDir, "work")); len(ents) != 0 {
		t.Errorf("work folder holds %d entries after the build, want none", len(ents))
	}
	_, m := h.do("GET", "/metrics", "", nil)
	for _, want := range []string{"weld_step_duration_seconds_sum 1.5\n", "weld_step_duration_seconds_count 1\n", `weld_builds{status="succeeded"} 1`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, m)
		}
	}
}

func (h *harness) events(id, last string) []Event {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.url+"/v1/builds/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+tokenA)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		h.t.Fatalf("events Content-Type = %q", ct)
	}
	return readSSE(h.t, resp.Body)
}

func TestQueueLimits(t *testing.T) {
	h := newHarness(t, t.TempDir(), 2, 1)
	var ids []string
	for range 3 {
		ids = append(ids, h.submit(tokenA))
	}
	<-h.fr.started
	<-h.fr.started
	h.record(tokenA, ids[2], StatusQueued)
	resp, dt := h.do("POST", "/v1/builds", tokenB, makeTar(t, entry{name: "build.yml", body: "x"}))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("4th submission = %d (Retry-After %q) %s, want 429 with Retry-After 7", resp.StatusCode, resp.Header.Get("Retry-After"), dt)
	}
	_, m := h.do("GET", "/metrics", "", nil)
	for _, want := range []string{`weld_builds{status="running"} 2`, `weld_builds{status="queued"} 1`, "weld_queue_length 1"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, m)
		}
	}
	// Canceling the queued build frees its place.
	if resp, dt := h.do("POST", "/v1/builds/"+ids[2]+"/cancel", tokenA, nil); resp.StatusCode != 202 {
		t.Fatalf("cancel = %d %s, want 202", resp.StatusCode, dt)
	}
	rec := h.record(tokenA, ids[2], StatusCanceled)
	if !strings.Contains(rec.Error, "canceled") {
		t.Errorf("canceled build's error = %q", rec.Error)
	}
	if resp, _ := h.do("POST", "/v1/builds/"+ids[2]+"/cancel", tokenA, nil); resp.StatusCode != 409 {
		t.Errorf("cancel of an ended build = %d, want 409", resp.StatusCode)
	}
	h.submit(tokenB)
	// Canceling a running one ends it as canceled.
	h.do("POST", "/v1/builds/"+ids[0]+"/cancel", tokenA, nil)
	h.record(tokenA, ids[0], StatusCanceled)
}

func TestBadUploadAndRefusal(t *testing.T) {
	h := newHarness(t, t.TempDir(), 1, 1)
	tests := []struct {
		name, query string
		body        []byte
		refuse      error
		want        string
	}{
		{"escaping entry", "", makeTar(t, entry{name: "../evil", body: "x"}), nil, ".."},
		{"bad file", "?file=../build.yml", makeTar(t, entry{name: "build.yml", body: "x"}), nil, "file="},
		{"bad revision", "?revision=$(id)", makeTar(t, entry{name: "build.yml", body: "x"}), nil, "revision="},
		{"bad no_cache", "?no_cache=maybe", makeTar(t, entry{name: "build.yml", body: "x"}), nil, "no_cache"},
		{"bad platform", "?platform=linux/amd64,plan9/arm64", makeTar(t, entry{name: "build.yml", body: "x"}), nil, "platform="},
		{"runner refuses", "", makeTar(t, entry{name: "build.yml", body: "x"}), fmt.Errorf("%w: secret token: no server-side source", ErrBadUpload), "secret token"},
		{"docker config", "?DOCKER_CONFIG=/home/other/.docker", makeTar(t, entry{name: "build.yml", body: "x"}), nil, `unknown query parameter \"DOCKER_CONFIG\"`},
		{"registry auth", "?registry_auth=dXNlcjpwYXNz", makeTar(t, entry{name: "build.yml", body: "x"}), nil, "registry credentials"},
		{"output", "?output=oci:/etc", makeTar(t, entry{name: "build.yml", body: "x"}), nil, `\"output\"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.fr.refuse = tc.refuse
			resp, dt := h.do("POST", "/v1/builds"+tc.query, tokenA, tc.body)
			if resp.StatusCode != 400 || !strings.Contains(string(dt), tc.want) {
				t.Errorf("POST = %d %s, want 400 naming %q", resp.StatusCode, dt, tc.want)
			}
		})
	}
	h.fr.refuse = nil
	for _, hdr := range credentialHeaders {
		resp, dt := h.do("POST", "/v1/builds", tokenA, makeTar(t, entry{name: "build.yml", body: "x"}), hdr, "eyJ1c2VybmFtZSI6InUifQ==")
		if resp.StatusCode != 400 || !strings.Contains(string(dt), hdr) {
			t.Errorf("POST with %s = %d %s, want 400 naming it", hdr, resp.StatusCode, dt)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(h.srv.cfg.StateDir, "work")); len(ents) != 0 {
		t.Errorf("work folder holds %d entries after refusals, want none", len(ents))
	}
	h.submit(tokenA) // the refusals released their places
	h.submit(tokenA)
}

func TestRestartMarksInterrupted(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir, 1, 1)
	done, running := h.submit(tokenA), ""
	h.fr.release <- struct{}{}
	h.record(tokenA, done, StatusSucceeded)
	running = h.submit(tokenA)
	h.record(tokenA, running, StatusRunning)
	// Its first event is written before a "kill -9": the old server writes
	// nothing after the new one marked the build interrupted.
	for id := range h.fr.started {
		if id == running {
			break
		}
	}
	// A second server on the same state, as after kill -9.
	h2 := newHarness(t, dir, 1, 1)
	if rec := h2.record(tokenA, done, StatusSucceeded); !strings.Contains(string(rec.Result), "hello") {
		t.Errorf("after a restart the finished build's result = %s", rec.Result)
	}
	rec := h2.record(tokenA, running, StatusFailed)
	if !strings.Contains(rec.Error, "interrupted") {
		t.Errorf("after a restart the running build's error = %q, want interrupted", rec.Error)
	}
	evs := h2.events(running, "")
	if len(evs) == 0 || evs[len(evs)-1].Type != EventResult {
		t.Errorf("after a restart the running build's events = %+v, want a result last", evs)
	}
	if resp, _ := h2.do("GET", "/v1/builds/"+running, tokenB, nil); resp.StatusCode != 404 {
		t.Errorf("after a restart another tenant sees the build: %d", resp.StatusCode)
	}
}

func TestDrain(t *testing.T) {
	h := newHarness(t, t.TempDir(), 1, 1)
	id := h.submit(tokenA)
	h.record(tokenA, id, StatusRunning)
	go func() { time.Sleep(100 * time.Millisecond); close(h.fr.release) }()
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	h.srv.Drain(ctx)
	h.record(tokenA, id, StatusSucceeded)
	if resp, _ := h.do("POST", "/v1/builds", tokenA, makeTar(t, entry{name: "build.yml", body: "x"})); resp.StatusCode != 503 {
		t.Errorf("a submission while draining = %d, want 503", resp.StatusCode)
	}
	// Past the timeout, running builds are canceled.
	h2 := newHarness(t, t.TempDir(), 1, 1)
	id2 := h2.submit(tokenA)
	h2.record(tokenA, id2, StatusRunning)
	ctx2, cancel2 := contextWithTimeout(50 * time.Millisecond)
	defer cancel2()
	h2.srv.Drain(ctx2)
	if rec := h2.record(tokenA, id2, StatusCanceled); !strings.Contains(rec.Error, "server stopped") {
		t.Errorf("drained build's error = %q", rec.Error)
	}
}

func TestParseTokens(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"short", "abc tenant\n", "shorter than 16"},
		{"one field", "0123456789abcdef0\n", "TOKEN TENANT"},
		{"bad tenant", "0123456789abcdef0 ../x\n", "tenant"},
		{"twice", "0123456789abcdef0 a\n0123456789abcdef0 b\n", "twice"},
		{"empty", "# nothing\n", "no tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseTokens("tokens", []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseTokens(%q) = %v, want an error naming %q", tc.data, err, tc.want)
			}
		})
	}
	toks, err := ParseTokens("tokens", []byte("# c\n\n"+tokenA+" a\n"))
	if err != nil || toks.Tenant(tokenA) != "a" || toks.Tenant(tokenB) != "" || toks.Tenant("") != "" {
		t.Errorf("ParseTokens: %v; Tenant(a)=%q", err, toks.Tenant(tokenA))
	}
}

func TestIdempotencyKey(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir, 1, 5)
	body := makeTar(t, entry{name: "build.yml", body: "x"})
	post := func(h *harness, token, key string) string {
		resp, dt := h.do("POST", "/v1/builds", token, body, "Idempotency-Key", key)
		if resp.StatusCode != 202 {
			t.Fatalf("POST with key %q = %d %s", key, resp.StatusCode, dt)
		}
		return resp.Header.Get("Location")
	}
	first := post(h, tokenA, "k1")
	if again := post(h, tokenA, "k1"); again != first {
		t.Errorf("a retry with the same key made %s, want %s", again, first)
	}
	if other := post(h, tokenB, "k1"); other == first {
		t.Errorf("another tenant's key k1 answered with tenant a's build")
	}
	if fresh := post(h, tokenA, "k2"); fresh == first {
		t.Errorf("a new key answered with the old build")
	}
	// A refused request does not keep the key.
	resp, _ := h.do("POST", "/v1/builds", tokenA, makeTar(t, entry{name: "/abs", body: "x"}), "Idempotency-Key", "k3")
	if resp.StatusCode != 400 || post(h, tokenA, "k3") == first {
		t.Errorf("a refused request's key: %d", resp.StatusCode)
	}
	for _, bad := range []string{strings.Repeat("k", 256), "a key", "k\tey", "kéy"} {
		if resp, dt := h.do("POST", "/v1/builds", tokenA, body, "Idempotency-Key", bad); resp.StatusCode != 400 || !strings.Contains(string(dt), "Idempotency-Key") {
			t.Errorf("POST with key %.20q = %d %s, want 400 naming the header", bad, resp.StatusCode, dt)
		}
	}
	if got := post(h, tokenA, strings.Repeat("k", 255)); got == first {
		t.Error("a 255-character key answered with another key's build")
	}
	h2 := newHarness(t, dir, 1, 5) // the keys hold across a restart
	if again := post(h2, tokenA, "k1"); again != first {
		t.Errorf("after a restart a retry with key k1 made %s, want %s", again, first)
	}
}

func TestLogCap(t *testing.T) {
	defer func(n int) { maxLogBytes = n }(maxLogBytes)
	maxLogBytes = 120 // each log event below is 51 bytes
	b := newBuild(Record{ID: "x"}, true, store{dir: t.TempDir()})
	var logged []Event
	for range 10 {
		b.add(EventLog, map[string]string{"data": "0123456789012345678901234567890123456789"}, func(e Event) { logged = append(logged, e) })
	}
	b.add(EventResult, Record{}, func(e Event) { logged = append(logged, e) })
	evs, ended, _ := b.since(0)
	if len(evs) != 4 || evs[2].Type != EventStep || !strings.Contains(string(evs[2].Data), "cap") || evs[3].Type != EventResult || !ended || len(logged) != 4 {
		t.Errorf("events past the log cap = %+v (ended %v), want 2 logs, one warning, the result", evs, ended)
	}
}

// TestSlowUploadTimesOut: a client that sends its upload slowly loses its
// place after UploadTimeout.
func TestSlowUploadTimesOut(t *testing.T) {
	h := newHarness(t, t.TempDir(), 1, 0)
	h.srv.cfg.UploadTimeout = 200 * time.Millisecond
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = pw.Write(makeTar(t, entry{name: "build.yml", body: "x"})[:100]) }() // then nothing
	req, _ := http.NewRequest("POST", h.url+"/v1/builds", pr)
	req.Header.Set("Authorization", "Bearer "+tokenA)
	done := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		if code != 0 && code != 400 {
			t.Errorf("a slow upload = %d, want 400 or a closed connection", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a slow upload held its place past UploadTimeout")
	}
	h.submit(tokenA) // the place is free again
}
