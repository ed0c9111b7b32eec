//go:build integration

package main

// These tests publish for real: --push into the loopback registry that
// scripts/test.sh starts ($WELD_TEST_REGISTRY), --load into its dockerd
// ($WELD_TEST_DOCKER_HOST), and a partial publish against a second registry
// the test starts and stops itself ($WELD_TEST_REGISTRY2). They read the
// results back over the registry's HTTP API and with the docker CLI.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// pubEnv is what the publish tests need from scripts/test.sh.
type pubEnv struct {
	cliEnv
	registry   string // WELD_TEST_REGISTRY: 127.0.0.1:PORT, running
	registry2  string // WELD_TEST_REGISTRY2: 127.0.0.1:PORT, free; buildkitd may use plain HTTP there
	dockerHost string // WELD_TEST_DOCKER_HOST: unix://…/docker.sock of the test dockerd
	dockerCLI  string // the docker command
}

// publishEnv reads the environment scripts/test.sh sets, and fails (never
// skips) when it is missing or the registry or engine does not answer.
func publishEnv(t *testing.T) pubEnv {
	t.Helper()
	e := pubEnv{cliEnv: testEnv(t), registry: os.Getenv("WELD_TEST_REGISTRY"),
		registry2: os.Getenv("WELD_TEST_REGISTRY2"), dockerHost: os.Getenv("WELD_TEST_DOCKER_HOST")}
	if e.registry == "" || e.registry2 == "" || e.dockerHost == "" {
		t.Fatalf("publish tests need WELD_TEST_REGISTRY (a running registry, 127.0.0.1:PORT), WELD_TEST_REGISTRY2 (a free 127.0.0.1:PORT that buildkitd may push to over HTTP) and WELD_TEST_DOCKER_HOST (a running dockerd); got %q, %q, %q; run scripts/test.sh", e.registry, e.registry2, e.dockerHost)
	}
	if code, body := httpGet(t, "http://"+e.registry+"/v2/", nil); code != http.StatusOK {
		t.Fatalf("the registry at %s does not answer: GET /v2/ = %d %s", e.registry, code, body)
	}
	for _, c := range []string{"docker", "/usr/bin/docker", "/usr/local/bin/docker"} {
		if p, err := exec.LookPath(c); err == nil {
			e.dockerCLI = p
			break
		}
	}
	if e.dockerCLI == "" {
		t.Fatal("no docker CLI (docker on PATH, /usr/bin/docker or /usr/local/bin/docker); scripts/setup.sh installs docker.io")
	}
	if out, err := e.docker("version", "--format", "{{.Server.Version}}"); err != nil {
		t.Fatalf("the dockerd at %s does not answer: %v\n%s", e.dockerHost, err, out)
	}
	return e
}

// httpClient talks to the loopback registries only, never through a proxy.
var httpClient = &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}

// httpGet GETs url with the given headers and returns the status and body.
func httpGet(t *testing.T, url string, header http.Header) (int, []byte) {
	t.Helper()
	code, _, body := httpGetFull(t, url, header)
	return code, body
}

func httpGetFull(t *testing.T, url string, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp.StatusCode, resp.Header, body
}

// manifestAccept asks for any manifest or index, OCI or docker.
var manifestAccept = http.Header{"Accept": {
	ocispecs.MediaTypeImageManifest,
	ocispecs.MediaTypeImageIndex,
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
}}

// manifestDigest fetches REPO:TAG's manifest from the registry and returns
// its digest ("" when the tag does not exist). It checks that the registry's
// Docker-Content-Digest is the sha256 of the body.
func manifestDigest(t *testing.T, registry, repo, tag string) string {
	t.Helper()
	url := fmt.Sprintf("http://%s/v2/%s/manifests/%s", registry, repo, tag)
	code, h, body := httpGetFull(t, url, manifestAccept)
	if code == http.StatusNotFound {
		return ""
	}
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200 or 404: %s", url, code, body)
	}
	sum := sha256.Sum256(body)
	got := "sha256:" + hex.EncodeToString(sum[:])
	if d := h.Get("Docker-Content-Digest"); d != got {
		t.Fatalf("GET %s: Docker-Content-Digest %q, but the body's sha256 is %s", url, d, got)
	}
	return got
}

// tagList returns the tags of repo in the registry (nil when the registry
// does not know repo).
func tagList(t *testing.T, registry, repo string) []string {
	t.Helper()
	url := fmt.Sprintf("http://%s/v2/%s/tags/list", registry, repo)
	code, body := httpGet(t, url, nil)
	if code == http.StatusNotFound {
		return nil
	}
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200 or 404: %s", url, code, body)
	}
	var l struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
	slices.Sort(l.Tags)
	return l.Tags
}

// docker runs the docker CLI against the test dockerd.
func (e pubEnv) docker(args ...string) ([]byte, error) {
	cmd := exec.Command(e.dockerCLI, append([]string{"--host", e.dockerHost}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.dockerHost)
	return cmd.CombinedOutput()
}

// imageID returns the ID of ref in the test dockerd, "" when it has none.
func (e pubEnv) imageID(t *testing.T, ref string) string {
	t.Helper()
	out, err := e.docker("image", "inspect", "--format", "{{.Id}}", ref)
	if err != nil {
		if strings.Contains(strings.ToLower(string(out)), "no such image") {
			return ""
		}
		t.Fatalf("docker image inspect %s: %v\n%s", ref, err, out)
	}
	return strings.TrimSpace(string(out))
}

// stepMeta is one step of --metadata-file.
type stepMeta struct {
	ImageName      string   `json:"image.name"`
	Digest         string   `json:"containerimage.digest"`
	ConfigDigest   string   `json:"containerimage.config.digest"`
	Status         string   `json:"status"`
	Error          string   `json:"error"`
	Outputs        []string `json:"outputs"`
	Vertices       int      `json:"vertices"`
	CachedVertices int      `json:"cached_vertices"`
}

func readMetadata(t *testing.T, path string) map[string]stepMeta {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the metadata file: %v", err)
	}
	var m map[string]stepMeta
	if err := json.Unmarshal(dt, &m); err != nil {
		t.Fatalf("parsing %s: %v\n%s", path, err, dt)
	}
	return m
}

// withDockerHost sets DOCKER_HOST for weld (the last value wins).
func (w *weld) withDockerHost(host string) *weld {
	w.cmd.Env = append(w.cmd.Env, "DOCKER_HOST="+host)
	return w
}

// TestPushThenFetchManifest: --push puts the image in the registry; the
// manifest the registry serves has the digest the metadata file reports.
func TestPushThenFetchManifest(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	repo := "weld-it/push-" + n[:12]
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: ` + e.registry + "/" + repo + `:v1
      dockerfile: Dockerfile
`,
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /pushed\n",
	})
	w := e.command(dir, e.host, "--push", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	md := readMetadata(t, filepath.Join(dir, "m.json"))["app"]
	if !strings.HasPrefix(md.Digest, "sha256:") {
		t.Fatalf("m.json app.containerimage.digest = %q, want sha256:…", md.Digest)
	}
	if got := manifestDigest(t, e.registry, repo, "v1"); got != md.Digest {
		t.Errorf("the registry serves %s:v1 with digest %q, the metadata file says %q", repo, got, md.Digest)
	}
	if want := "registry:" + e.registry + "/" + repo + ":v1"; !slices.Contains(md.Outputs, want) {
		t.Errorf("m.json app.outputs = %q, want it to hold %q", md.Outputs, want)
	}
	if !strings.Contains(w.stderr.String(), "→ registry:"+e.registry+"/"+repo+":v1") {
		t.Errorf("the closing summary does not say the image went to the registry; stderr:\n%s", w.stderr.String())
	}
}

// TestLoadThenInspect: --load puts the image into the engine at
// DOCKER_HOST; docker image inspect finds it with the config digest the
// metadata file reports as its ID, and the image's own content.
func TestLoadThenInspect(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	name := "weld-it/load-" + n[:12] + ":v1"
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: ` + name + `
      dockerfile: Dockerfile
`,
		"Dockerfile": "FROM busybox\nENV WELD_NONCE=" + n + "\nRUN echo " + n + " > /loaded\n",
	})
	w := e.command(dir, e.host, "--load", "--metadata-file", "m.json").withDockerHost(e.dockerHost)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	md := readMetadata(t, filepath.Join(dir, "m.json"))["app"]
	id := e.imageID(t, name)
	if id == "" {
		t.Fatalf("docker image inspect %s: no such image after --load; stderr:\n%s", name, w.stderr.String())
	}
	if id != md.ConfigDigest {
		t.Errorf("docker's image ID = %s, want the config digest %s of the metadata file", id, md.ConfigDigest)
	}
	out, err := e.docker("image", "inspect", "--format", "{{json .Config.Env}} {{json .RepoTags}}", name)
	if err != nil {
		t.Fatalf("docker image inspect: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "WELD_NONCE="+n) || !strings.Contains(string(out), name) {
		t.Errorf("docker image inspect %s: Env and RepoTags %s, want WELD_NONCE=%s and the tag", name, out, n)
	}
	if !slices.Contains(md.Outputs, "docker:"+name) {
		t.Errorf("m.json app.outputs = %q, want docker:%s", md.Outputs, name)
	}
}

// TestPublishAllOrNothingRegistry: a DAG whose slow step fails while the
// others build fine pushes and loads nothing: no new tag in the registry,
// the tag pushed earlier under the same name keeps its manifest, and the
// engine keeps exactly the images it had.
func TestPublishAllOrNothingRegistry(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	repo := "weld-it/aon-" + n[:12]
	ref := func(tag string) string { return e.registry + "/" + repo + ":" + tag }

	// A release pushed and loaded earlier under the same name.
	seed := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    good:
      name: ` + ref("v1") + `
      dockerfile: Dockerfile
`,
		"Dockerfile": "FROM busybox\nRUN echo old-" + n + " > /release\n",
	})
	w := e.command(seed, e.host, "--push", "--load").withDockerHost(e.dockerHost)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	before := manifestDigest(t, e.registry, repo, "v1")
	beforeID := e.imageID(t, ref("v1"))
	if before == "" || beforeID == "" {
		t.Fatalf("the earlier release is not in the registry (%q) or docker (%q)", before, beforeID)
	}

	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    good:
      name: ` + ref("v1") + `
      dockerfile: Dockerfile.good
    other:
      name: ` + ref("v2") + `
      dockerfile: Dockerfile.other
    slow:
      name: ` + ref("slow") + `
      dockerfile: Dockerfile.slow
`,
		"Dockerfile.good":  "FROM busybox\nRUN echo new-" + n + " > /release\n",
		"Dockerfile.other": "FROM busybox\nRUN echo other-" + n + " > /release\n",
		"Dockerfile.slow":  "FROM busybox\nRUN sleep 2 && false\n",
	})
	w = e.command(dir, e.host, "--push", "--load", "--metadata-file", "m.json").withDockerHost(e.dockerHost)
	w.expect(t, w.run(t, 3*time.Minute), 1, `"slow"`)
	if got := tagList(t, e.registry, repo); !slices.Equal(got, []string{"v1"}) {
		t.Errorf("tags of %s after the failed run = %q, want only the earlier [v1]", repo, got)
	}
	if after := manifestDigest(t, e.registry, repo, "v1"); after != before {
		t.Errorf("%s:v1 changed from %s to %s: a failed run published", repo, before, after)
	}
	if id := e.imageID(t, ref("v1")); id != beforeID {
		t.Errorf("docker's %s changed from %s to %s: a failed run loaded", ref("v1"), beforeID, id)
	}
	for _, tag := range []string{"v2", "slow"} {
		if id := e.imageID(t, ref(tag)); id != "" {
			t.Errorf("docker has %s (%s): a failed run loaded", ref(tag), id)
		}
	}
	md := readMetadata(t, filepath.Join(dir, "m.json"))
	for _, l := range []string{"good", "other", "slow"} {
		if md[l].Digest != "" || len(md[l].Outputs) > 0 {
			t.Errorf("m.json %s = %+v, want no digest and no outputs: nothing was published", l, md[l])
		}
	}
}

// TestRegistryDownBeforePublish: step b's registry goes away while a slow
// step still builds; a and slow are pushed to the registry that is up, b is
// not; weld exits 1 and says exactly which images were published and which
// were not, as does the metadata file.
func TestRegistryDownBeforePublish(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	regDir := t.TempDir()
	_, port, _ := strings.Cut(e.registry2, ":")
	script := filepath.Join("..", "..", "scripts", "registry.sh")
	start := exec.Command(script, "start", regDir, port)
	out, err := start.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/registry.sh start %s %s: %v\n%s", regDir, port, err, out)
	}
	stopped := false
	stop := func() {
		if out, err := exec.Command(script, "stop", regDir).CombinedOutput(); err != nil {
			t.Errorf("scripts/registry.sh stop: %v\n%s", err, out)
		}
		stopped = true
	}
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})

	repo := "weld-it/partial-" + n[:12]
	nameA := e.registry + "/" + repo + "/a:v1"
	nameB := e.registry2 + "/" + repo + "/b:v1"
	nameSlow := e.registry + "/" + repo + "/slow:v1"
	marker := "slow-" + n
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    a:
      name: ` + nameA + `
      dockerfile: Dockerfile.a
    b:
      name: ` + nameB + `
      dockerfile: Dockerfile.b
    slow:
      name: ` + nameSlow + `
      dockerfile: Dockerfile.slow
`,
		"Dockerfile.a":    "FROM busybox\nRUN echo a-" + n + " > /a\n",
		"Dockerfile.b":    "FROM busybox\nRUN echo b-" + n + " > /b\n",
		"Dockerfile.slow": "FROM busybox\nRUN sleep 4 && echo " + marker + " > /slow\n",
	})
	w := e.command(dir, e.host, "--push", "--metadata-file", "m.json")
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cmd.Process.Kill() })
	waitForProcess(t, marker, 60*time.Second)
	stop()
	code := w.wait(t, 3*time.Minute)
	if len(procsWith(marker)) > 0 {
		t.Log("the slow step was still running when weld ended")
	}
	w.expect(t, code, 1)
	stderr := w.stderr.String()

	// The closing summary says exactly what went where.
	i := strings.LastIndex(stderr, "FAILED: ")
	if i < 0 {
		t.Fatalf("stderr has no FAILED summary:\n%s", stderr)
	}
	report := stderr[i:]
	for _, want := range []string{"published 2, not published 1", "published: a (" + nameA + "), slow (", `NOT published: publishing step "b"`, e.registry2} {
		if !strings.Contains(report, want) {
			t.Errorf("the failure report does not hold %q; it is:\n%s", want, report)
		}
	}
	summary := map[string]string{} // step label → its line in the step table
	for _, line := range strings.Split(stderr[:i], "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(line, "  ") {
			summary[f[0]] = line
		}
	}
	if l := summary["a"]; !strings.Contains(l, " done ") || !strings.Contains(l, "→ registry:"+nameA) {
		t.Errorf("summary line for a = %q, want done → registry:%s", l, nameA)
	}
	if l := summary["b"]; !strings.Contains(l, " publish failed ") || strings.Contains(l, "→") {
		t.Errorf("summary line for b = %q, want publish failed and no output", l)
	}

	// The registries agree.
	md := readMetadata(t, filepath.Join(dir, "m.json"))
	for l, name := range map[string]string{"a": nameA, "slow": nameSlow} {
		s := md[l]
		if s.Status != "done" || s.Digest == "" || !slices.Contains(s.Outputs, "registry:"+name) {
			t.Errorf("m.json %s = %+v, want status done, a digest and outputs [registry:%s]", l, s, name)
			continue
		}
		r, _ := strings.CutPrefix(name, e.registry+"/")
		repoPath, tag, _ := strings.Cut(r, ":")
		if got := manifestDigest(t, e.registry, repoPath, tag); got != s.Digest {
			t.Errorf("%s in the registry has digest %q, the metadata file says %q", name, got, s.Digest)
		}
	}
	if s := md["b"]; s.Status != "publish failed" || s.Digest != "" || len(s.Outputs) > 0 || !strings.Contains(s.Error, e.registry2) {
		t.Errorf("m.json b = %+v, want status \"publish failed\", no digest, no outputs, an error naming %s", s, e.registry2)
	}
}

// TestFailureSummaryIsLast: on a failing RUN, the last lines weld prints
// are the summary: the failing step, its Dockerfile file:line and the tail
// of its output; no progress output comes after it.
func TestFailureSummaryIsLast(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)[:10]
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    fine:
      name: weld-it-fine
      dockerfile: Dockerfile.fine
    breaks:
      name: weld-it-breaks
      dockerfile: Dockerfile.breaks
`,
		"Dockerfile.fine": "FROM busybox\nRUN echo fine-" + n + "\n",
		"Dockerfile.breaks": "FROM busybox\n" +
			"RUN echo fine\n" +
			"RUN for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo out-$i-" + n + "; done && exit 3\n" +
			"RUN echo never\n",
	})
	w := e.command(dir, e.host, "--output", "oci:out")
	w.expect(t, w.run(t, 3*time.Minute), 1)
	lines := strings.Split(strings.TrimRight(w.stderr.String(), "\n"), "\n")
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "FAILED: ") {
			last = i
		}
	}
	if last < 0 {
		t.Fatalf("stderr has no FAILED: line; stderr:\n%s", w.stderr.String())
	}
	head := lines[last]
	for _, want := range []string{`step "breaks"`, "Dockerfile.breaks:3", "exit code: 3"} {
		if !strings.Contains(head, want) {
			t.Errorf("the summary's FAILED line %q does not hold %q", head, want)
		}
	}
	tail := lines[last+1:]
	if len(tail) == 0 || !strings.HasSuffix(tail[len(tail)-1], "out-12-"+n) {
		t.Errorf("the last line weld printed is %q, want the failing RUN's last output line out-12-%s; stderr:\n%s", lines[len(lines)-1], n, w.stderr.String())
	}
	for _, l := range tail {
		if !strings.HasPrefix(l, "  out-") {
			t.Errorf("after the FAILED line, weld printed %q; want only the output's tail; stderr:\n%s", l, w.stderr.String())
		}
	}
	// The step table sits right above it: every step, none after.
	if !slices.ContainsFunc(lines[:last], func(l string) bool {
		return strings.HasPrefix(strings.TrimSpace(l), "breaks") && strings.Contains(l, "failed")
	}) {
		t.Errorf("no summary line says breaks failed; stderr:\n%s", w.stderr.String())
	}
}

// TestDefaultOutputDocker: with no output flag and an engine answering at
// DOCKER_HOST, the image is loaded into it.
func TestDefaultOutputDocker(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	name := "weld-it/default-" + n[:12] + ":v1"
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: ` + name + `
      dockerfile: Dockerfile
`,
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /default\n",
	})
	w := e.command(dir, e.host, "--metadata-file", "m.json").withDockerHost(e.dockerHost)
	w.expect(t, w.run(t, 3*time.Minute), 0, "→ docker:"+name)
	md := readMetadata(t, filepath.Join(dir, "m.json"))["app"]
	if id := e.imageID(t, name); id == "" || id != md.ConfigDigest {
		t.Errorf("docker's %s has ID %q, want the loaded config digest %q", name, id, md.ConfigDigest)
	}
	if _, err := os.Stat(filepath.Join(dir, ".weld", "images")); !os.IsNotExist(err) {
		t.Errorf(".weld/images: Stat err = %v, want not exist: the image went to docker", err)
	}
}

// TestDefaultOutputStore: with no output flag and no engine at
// DOCKER_HOST, every image lands in one OCI layout, <workdir>/.weld/images,
// tagged with its name.
func TestDefaultOutputStore(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	names := map[string]string{"one": "weld-it/store-one-" + n[:8] + ":v1", "two": "weld-it/store-two-" + n[:8]}
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    one:
      name: ` + names["one"] + `
      dockerfile: Dockerfile.one
    two:
      name: ` + names["two"] + `
      dockerfile: Dockerfile.two
`,
		"Dockerfile.one": "FROM busybox\nRUN echo one-" + n + " > /one\n",
		"Dockerfile.two": "FROM busybox\nRUN echo two-" + n + " > /two\n",
	})
	w := e.command(dir, e.host, "--metadata-file", "m.json").withDockerHost("unix:///nonexistent/docker.sock")
	w.expect(t, w.run(t, 3*time.Minute), 0, ".weld/images")
	store := filepath.Join(dir, ".weld", "images")
	dt, err := os.ReadFile(filepath.Join(store, "index.json"))
	if err != nil {
		t.Fatalf("no OCI layout at .weld/images: %v; stderr:\n%s", err, w.stderr.String())
	}
	var idx ocispecs.Index
	if err := json.Unmarshal(dt, &idx); err != nil {
		t.Fatalf("parsing .weld/images/index.json: %v", err)
	}
	md := readMetadata(t, filepath.Join(dir, "m.json"))
	for label, name := range names {
		found := namedManifests(idx, name)
		if len(found) != 1 {
			t.Errorf(".weld/images/index.json has %d images named %s, want 1; index:\n%s", len(found), name, dt)
			continue
		}
		if got := found[0].Digest.String(); got != md[label].Digest {
			t.Errorf("%s in .weld/images has digest %s, the metadata file says %s", name, got, md[label].Digest)
		}
		blob := filepath.Join(store, "blobs", found[0].Digest.Algorithm().String(), found[0].Digest.Encoded())
		if _, err := os.Stat(blob); err != nil {
			t.Errorf("%s: its manifest blob is missing from the layout: %v", name, err)
		}
	}
}
