package serve

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

//go:embed openapi.json
var openapi []byte

// Handler returns the service's API:
//
//	POST /v1/builds                 submit a tar(.gz) of the project → 202 {"id","url"}
//	GET  /v1/builds                 the tenant's builds, newest first
//	GET  /v1/builds/{id}            a build's record
//	GET  /v1/builds/{id}/events     its events as Server-Sent Events
//	POST /v1/builds/{id}/cancel     cancel it
//	GET  /v1/builds/{id}/report     its HTML report
//	GET  /v1/openapi.json           the API as OpenAPI 3
//	GET  /healthz, GET /metrics     liveness, Prometheus metrics
//	GET  /                          the web page (web.go)
//
// Every /v1 call but the OpenAPI document needs Authorization: Bearer
// TOKEN (401 without); another tenant's build is answered 404.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.method+" "+rt.pattern, rt.h)
	}
	mux.HandleFunc("/v1/", s.authed(func(w http.ResponseWriter, _ *http.Request, _ string) {
		httpError(w, http.StatusNotFound, "no such endpoint; see /v1/openapi.json")
	}))
	return mux
}

// route is one call of the API; openapi.json documents each (a test
// holds them to it).
type route struct {
	method, pattern string
	h               http.HandlerFunc
}

func (s *Server) routes() []route {
	return []route{
		{"POST", "/v1/builds", s.authed(s.submit)},
		{"GET", "/v1/builds", s.authed(s.list)},
		{"GET", "/v1/builds/{id}", s.authed(s.withBuild(s.get))},
		{"GET", "/v1/builds/{id}/events", s.authed(s.withBuild(s.events))},
		{"POST", "/v1/builds/{id}/cancel", s.authed(s.withBuild(s.cancelBuild))},
		{"GET", "/v1/builds/{id}/report", s.authed(s.withBuild(s.report))},
		{"GET", "/v1/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(openapi)
		}},
		{"GET", "/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }},
		{"GET", "/metrics", s.metrics},
		{"GET", "/{$}", s.web},
	}
}

type tenantHandler func(w http.ResponseWriter, r *http.Request, tenant string)
type buildHandler func(w http.ResponseWriter, r *http.Request, b *build)

// authed answers 401 unless the request's bearer token names a tenant.
func (s *Server) authed(h tenantHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant := s.cfg.Tokens.authenticate(r)
		if tenant == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="weld"`)
			httpError(w, http.StatusUnauthorized, "missing or unknown bearer token")
			return
		}
		h(w, r, tenant)
	}
}

// withBuild finds the tenant's build {id}, else answers 404.
func (s *Server) withBuild(h buildHandler) tenantHandler {
	return func(w http.ResponseWriter, r *http.Request, tenant string) {
		b := s.lookup(tenant, r.PathValue("id"))
		if b == nil {
			httpError(w, http.StatusNotFound, "no such build")
			return
		}
		h(w, r, b)
	}
}

func (s *Server) get(w http.ResponseWriter, _ *http.Request, b *build) {
	writeJSON(w, http.StatusOK, b.record())
}

func (s *Server) list(w http.ResponseWriter, _ *http.Request, tenant string) {
	s.mu.Lock()
	bs := make([]*build, 0, len(s.order))
	for _, id := range s.order {
		bs = append(bs, s.builds[id])
	}
	s.mu.Unlock()
	out := []Record{}
	for _, b := range bs {
		if r := b.record(); r.Tenant == tenant {
			r.Result = nil // the list is a summary; GET the build for its steps
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	writeJSON(w, http.StatusOK, map[string][]Record{"builds": out})
}

func (s *Server) cancelBuild(w http.ResponseWriter, _ *http.Request, b *build) {
	if !s.cancel(b) {
		httpError(w, http.StatusConflict, "the build has already ended")
		return
	}
	writeJSON(w, http.StatusAccepted, b.record())
}

// reportCSP is the Content-Security-Policy of GET /v1/builds/{id}/report.
const reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"

func (s *Server) report(w http.ResponseWriter, r *http.Request, b *build) {
	// The report has no script: none may run, nothing may be fetched,
	// and the page opened alone is an origin of its own (sandbox).
	h := w.Header()
	h.Set("Content-Security-Policy", reportCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	p, err := s.reportPath(b.record().ID)
	if err != nil {
		live := s.liveReport(b) // live.go: the report so far
		if live == nil {
			httpError(w, http.StatusNotFound, err.Error())
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(live)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	http.ServeFile(w, r, p)
}

// metrics writes Prometheus' text format: builds by status, the queue.
func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	counts := map[Status]int{}
	s.mu.Lock()
	for _, b := range s.builds {
		counts[b.record().Status]++
	}
	stepSeconds, stepCount := s.stepSeconds, s.stepCount
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	var sb strings.Builder
	sb.WriteString("# HELP weld_builds Builds this server knows, by status.\n# TYPE weld_builds gauge\n")
	for _, st := range statuses {
		fmt.Fprintf(&sb, "weld_builds{status=%q} %d\n", st, counts[st])
	}
	sb.WriteString("# HELP weld_queue_length Builds waiting for a slot.\n# TYPE weld_queue_length gauge\n")
	fmt.Fprintf(&sb, "weld_queue_length %d\n", counts[StatusQueued])
	fmt.Fprintf(&sb, "# HELP weld_build_slots Builds that may run at once.\n# TYPE weld_build_slots gauge\nweld_build_slots %d\n", s.cfg.MaxBuilds)
	sb.WriteString("# HELP weld_step_duration_seconds Wall time of the steps of the builds that ended since the server started.\n# TYPE weld_step_duration_seconds summary\n")
	fmt.Fprintf(&sb, "weld_step_duration_seconds_sum %g\nweld_step_duration_seconds_count %d\n", stepSeconds, stepCount)
	_, _ = w.Write([]byte(sb.String()))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
