package serve

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// submit accepts a build: POST /v1/builds with a tar(.gz) body.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, tenant string) {
	claimed, answered := s.idempotent(w, r, tenant)
	if answered {
		return
	}
	key, made := r.Header.Get("Idempotency-Key"), ""
	if claimed {
		defer func() { s.settleKey(tenant, key, made) }()
	}
	if le := s.admit(tenant); le != nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(s.cfg.RetryAfter.Seconds())))
		writeJSON(w, le.code, le)
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.UploadTimeout))
	job, err := s.accept(r, tenant)
	if err != nil {
		s.release(tenant)
		code := http.StatusInternalServerError
		if errors.Is(err, ErrBadUpload) {
			code = http.StatusBadRequest
		}
		httpError(w, code, err.Error())
		return
	}
	rec := Record{ID: job.ID, Tenant: tenant, IdempotencyKey: key, Status: StatusQueued, File: job.File, Steps: job.Steps, NoCache: job.NoCache, Created: time.Now().UTC()}
	if err := s.start(job, rec); err != nil {
		s.release(tenant)
		_ = os.RemoveAll(job.Dir)
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	made = job.ID
	url := "/v1/builds/" + job.ID
	w.Header().Set("Location", url)
	writeJSON(w, http.StatusAccepted, map[string]string{"id": job.ID, "url": url})
}

// accept reads the query and the upload into a fresh work folder and has
// the runner check the job; on an error the folder is gone.
func (s *Server) accept(r *http.Request, tenant string) (*Job, error) {
	job, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	job.ID, job.Tenant = newID(), tenant
	if job.Dir, err = s.st.workDir(job.ID); err != nil {
		return nil, err
	}
	if err := os.Mkdir(job.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the build's folder: %w", err)
	}
	lim := s.cfg.Limits
	body := http.MaxBytesReader(nil, r.Body, lim.Bytes+int64(lim.Entries+2)*1024)
	err = Extract(body, job.Dir, lim)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = fmt.Errorf("%w: the body is larger than %d bytes", ErrBadUpload, mbe.Limit)
	}
	if err == nil {
		err = s.cfg.Runner.Check(r.Context(), job)
	}
	if err != nil {
		_ = os.RemoveAll(job.Dir)
		return nil, err
	}
	return job, nil
}

var revisionRE = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// queryKeys are the query parameters a submission may have: nothing else
// of a build (credentials, DOCKER_CONFIG, outputs, secrets) is the
// request's to choose.
var queryKeys = []string{"file", "steps", "no_cache", "revision"}

// credentialHeaders are Docker's ways for a request to carry registry
// credentials; a build pushes with the server's only.
var credentialHeaders = []string{"X-Registry-Auth", "X-Registry-Config"}

// parseQuery reads file=, steps= (comma-separated or repeated), revision= and no_cache=.
func parseQuery(r *http.Request) (*Job, error) {
	q := r.URL.Query()
	for k := range q {
		if !slices.Contains(queryKeys, k) {
			return nil, fmt.Errorf("%w: unknown query parameter %q: a submission takes %s; registry credentials, DOCKER_CONFIG, outputs and secrets are the server's", ErrBadUpload, k, strings.Join(queryKeys, ", "))
		}
	}
	for _, h := range credentialHeaders {
		if r.Header.Get(h) != "" {
			return nil, fmt.Errorf("%w: header %s: credentials never come with a request; builds push with the server's", ErrBadUpload, h)
		}
	}
	job := &Job{File: "build.yml"}
	if f := q.Get("file"); f != "" {
		c, err := cleanName(f)
		if err != nil || c == "." {
			return nil, fmt.Errorf("%w: file=%q: give the build file's path inside the upload", ErrBadUpload, f)
		}
		job.File = path.Clean(c)
	}
	for _, v := range q["steps"] {
		for _, st := range strings.Split(v, ",") {
			if st = strings.TrimSpace(st); st != "" {
				job.Steps = append(job.Steps, st)
			}
		}
	}
	if v := q.Get("revision"); v != "" {
		if !revisionRE.MatchString(v) {
			return nil, fmt.Errorf("%w: revision=%q: give a commit id, 7 to 64 hex digits", ErrBadUpload, v)
		}
		job.Revision = v
	}
	if v := q.Get("no_cache"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%w: no_cache=%q: give true or false", ErrBadUpload, v)
		}
		job.NoCache = b
	}
	return job, nil
}
