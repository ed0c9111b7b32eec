//go:build integration

package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// server is one real `weld serve` process on a free loopback port.
type server struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr bytes.Buffer
}

func (s *server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.Write(p)
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

var listenRE = regexp.MustCompile(`serving listen=(127\.0\.0\.1:\d+)`)

// startServe starts weld serve with state, tokens and the busybox mapping,
// and waits until it listens; the test's end kills it.
func startServe(t *testing.T, e cliEnv, state string, args ...string) *server {
	t.Helper()
	all := append([]string{"serve", "--listen", "127.0.0.1:0", "--state", state,
		"--image", "busybox=oci-layout://" + filepath.Join(e.images, "busybox")}, args...)
	s := &server{cmd: exec.Command(e.bin, all...)}
	s.cmd.Env = append(os.Environ(), "BUILDKIT_HOST="+e.host)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.cmd.Process.Kill(); _ = s.cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := listenRE.FindStringSubmatch(s.log()); m != nil {
			s.url = "http://" + m[1]
			return s
		}
	}
	t.Fatalf("weld serve did not listen within 20s; stderr:\n%s", s.log())
	return nil
}

// call makes one request; it returns the status, the body and the response.
func (s *server) call(t *testing.T, method, path, token string, body []byte) (int, []byte, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dt, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, dt, resp
}

// submitTar posts a project and returns the build's id.
func (s *server) submitTar(t *testing.T, token, query string, body []byte) string {
	t.Helper()
	code, dt, _ := s.call(t, "POST", "/v1/builds"+query, token, body)
	var acc struct{ ID string }
	if code != http.StatusAccepted || json.Unmarshal(dt, &acc) != nil || acc.ID == "" {
		t.Fatalf("POST /v1/builds = %d %s, want 202 {id,url}; server log:\n%s", code, dt, s.log())
	}
	return acc.ID
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	id, typ, data string
}

// follow reads the build's event stream to its end.
func (s *server) follow(t *testing.T, token, id string, timeout time.Duration) []sseEvent {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/v1/builds/"+id+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	c := &http.Client{Timeout: timeout}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	evs, err := readEvents(resp.Body, 0)
	if err != nil {
		t.Fatalf("reading the event stream: %v (got %d events)", err, len(evs))
	}
	return evs
}

// readEvents parses Server-Sent Events from r until its end, or until max
// events (0: no cap).
func readEvents(r io.Reader, max int) ([]sseEvent, error) {
	var evs []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for (max == 0 || len(evs) < max) && sc.Scan() {
		switch line := sc.Text(); {
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		case line == "" && cur.typ != "":
			evs, cur = append(evs, cur), sseEvent{}
		}
	}
	return evs, sc.Err()
}

// tarGz packs files (name → content) into a tar.gz.
func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// rawTar packs headers as given (an attacker's archive).
func rawTar(t *testing.T, hdrs ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		h.Mode = 0o644
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write(make([]byte, h.Size))
	}
	tw.Close()
	return buf.Bytes()
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// logText joins the data of the log events: BuildKit may split a line.
func logText(evs []sseEvent) string {
	var sb strings.Builder
	for _, ev := range evs {
		var l struct{ Data string }
		if ev.typ == "log" && json.Unmarshal([]byte(ev.data), &l) == nil {
			sb.WriteString(l.Data)
		}
	}
	return sb.String()
}

// seen writes into w all that tenant A sees of build id: its event stream
// to the end, its record and its report.
func (s *server) seen(t *testing.T, w *strings.Builder, id string, timeout time.Duration) {
	t.Helper()
	for _, ev := range s.follow(t, serveTokenA, id, timeout) {
		w.WriteString(ev.typ + " " + ev.data + "\n")
	}
	for _, p := range []string{"", "/report"} {
		code, dt, _ := s.call(t, "GET", "/v1/builds/"+id+p, serveTokenA, nil)
		if code != 200 {
			t.Fatalf("GET %s%s = %d %s", id, p, code, dt)
		}
		w.Write(dt)
	}
}
