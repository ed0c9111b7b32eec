package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	tokenA = "token-of-tenant-a-0123456789"
	tokenB = "token-of-tenant-b-0123456789"
)

// fakeRunner builds nothing: each Run emits a step event and waits for
// release (or its context), then ends with err.
type fakeRunner struct {
	release chan struct{}
	started chan string
	err     error
	refuse  error
}

var _ Runner = (*fakeRunner)(nil)

func (f *fakeRunner) Check(context.Context, *Job) error { return f.refuse }

func (f *fakeRunner) Run(ctx context.Context, job *Job, emit Emitter) Outcome {
	emit(EventStep, map[string]string{"step": "hello", "type": "started"})
	if f.started != nil {
		f.started <- job.ID
	}
	select {
	case <-f.release:
	case <-ctx.Done():
		return Outcome{Err: context.Cause(ctx)}
	}
	emit(EventLog, map[string]string{"vertex": "[hello] RUN echo", "data": "hi\n"})
	return Outcome{Metadata: json.RawMessage(`{"hello":{"status":"done","duration":1.5}}`), Report: []byte("<html>report</html>"), Err: f.err}
}

type harness struct {
	t   *testing.T
	srv *Server
	url string
	fr  *fakeRunner
}

func newHarness(t *testing.T, dir string, maxBuilds, queue int) *harness {
	t.Helper()
	return newHarnessWith(t, Config{StateDir: dir, MaxBuilds: maxBuilds, Queue: queue})
}

// newHarnessWith serves cfg with tenants a and b, the fake runner and
// Retry-After 7s.
func newHarnessWith(t *testing.T, cfg Config) *harness {
	t.Helper()
	toks, err := ParseTokens("tokens", []byte(tokenA+" a\n"+tokenB+" b\n"))
	if err != nil {
		t.Fatal(err)
	}
	fr := &fakeRunner{release: make(chan struct{}), started: make(chan string, 100)}
	cfg.Tokens, cfg.Runner, cfg.RetryAfter = toks, fr, 7*time.Second
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		srv.Drain(ctx)
	})
	return &harness{t: t, srv: srv, url: ts.URL, fr: fr}
}

func (h *harness) do(method, path, token string, body []byte, hdr ...string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	dt, _ := io.ReadAll(resp.Body)
	return resp, dt
}

// submit posts a small valid upload and returns the build's id.
func (h *harness) submit(token string) string {
	h.t.Helper()
	resp, dt := h.do("POST", "/v1/builds", token, makeTar(h.t, entry{name: "build.yml", body: "x"}))
	if resp.StatusCode != http.StatusAccepted {
		h.t.Fatalf("POST /v1/builds = %d %s, want 202", resp.StatusCode, dt)
	}
	var acc struct{ ID, URL string }
	if err := json.Unmarshal(dt, &acc); err != nil || acc.ID == "" || acc.URL != "/v1/builds/"+acc.ID {
		h.t.Fatalf("POST /v1/builds body = %s (%v), want {id, url}", dt, err)
	}
	return acc.ID
}

// record waits until the build has status want and returns its record.
func (h *harness) record(token, id string, want Status) Record {
	h.t.Helper()
	var rec Record
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		resp, dt := h.do("GET", "/v1/builds/"+id, token, nil)
		if resp.StatusCode != http.StatusOK {
			h.t.Fatalf("GET /v1/builds/%s = %d %s", id, resp.StatusCode, dt)
		}
		if err := json.Unmarshal(dt, &rec); err != nil {
			h.t.Fatal(err)
		}
		if rec.Status == want {
			return rec
		}
	}
	h.t.Fatalf("build %s status = %s, want %s", id, rec.Status, want)
	return rec
}

// sse reads a whole event stream.
func readSSE(t *testing.T, r io.Reader) []Event {
	t.Helper()
	var evs []Event
	var cur Event
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			if err := json.Unmarshal([]byte(line[4:]), &cur.ID); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(line, "event: "):
			cur.Type = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.Data = json.RawMessage(line[6:])
		case line == "" && cur.Type != "":
			evs, cur = append(evs, cur), Event{}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return evs
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
