//go:build integration

package builder_test

import (
	"archive/tar"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
)

// Reproducible builds (reproducible.go, reprovenance.go, unchanged.go),
// against the real buildkitd and, through a proxy that records every
// request weld makes, the real registry of scripts/test.sh.

// commitTime is the date of the test projects' one git commit.
const commitTime = 1700000000

// reproProject writes a git checkout whose one commit is dated commitTime,
// with one step named name that copies a source file and runs a RUN.
func reproProject(t *testing.T, name, n string) string {
	t.Helper()
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + name + "\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nCOPY src.txt /src.txt\nRUN echo " + n + " > /made\n",
		"src.txt":    "source " + n + "\n",
	})
	commitAt(t, dir)
	return dir
}

// commitAt makes dir a git checkout whose one commit is dated commitTime.
func commitAt(t *testing.T, dir string) {
	t.Helper()
	env := append(os.Environ(), "GIT_COMMITTER_DATE=@1700000000 +0000", "GIT_AUTHOR_DATE=@1700000000 +0000")
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x"}} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// recordingRegistry is a proxy in front of the test registry that records
// the method and path of every request.
type recordingRegistry struct {
	host string
	mu   sync.Mutex
	reqs []string
}

func newRecordingRegistry(t *testing.T) *recordingRegistry {
	t.Helper()
	reg := os.Getenv("WELD_TEST_REGISTRY")
	if reg == "" {
		t.Fatal("the reproducible push tests need WELD_TEST_REGISTRY (a running registry at 127.0.0.1:PORT); run scripts/test.sh")
	}
	r := &recordingRegistry{}
	p := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: reg})
	p.Transport = &http.Transport{Proxy: nil}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		p.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// writes are the requests since the last call that write to the registry.
func (r *recordingRegistry) writes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var w []string
	for _, q := range r.reqs {
		if !strings.HasPrefix(q, "GET ") && !strings.HasPrefix(q, "HEAD ") {
			w = append(w, q)
		}
	}
	r.reqs = nil
	return w
}

// reproBuild builds dir into the OCI folder out and to the registry, and
// returns the step's result.
func (e itEnv) reproBuild(t *testing.T, dir, out string, opts ...builder.Option) *builder.StepResult {
	t.Helper()
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, append([]builder.Option{builder.WithOutputs(
		builder.Output{Type: builder.OutputOCI, Dest: out}, builder.Output{Type: builder.OutputRegistry})}, opts...)...)
	b.mustPass(t)
	return b.res.Steps[0]
}

// TestReproducibleRebuildPublishesNothingNew: a rebuild of an unchanged
// project gives the same index digest in the OCI folder
// and the registry, is reported unchanged, and writes nothing to the
// registry; when the tag names another index, only the tag is written. The files and the
// config carry the commit's time, and a rebuild without the cache gives the
// same image.
func TestReproducibleRebuildPublishesNothingNew(t *testing.T) {
	e := testEnv(t)
	reg := newRecordingRegistry(t)
	n := nonce(t)
	name := reg.host + "/weld-it/repro-" + n[:8]
	dir := reproProject(t, name+":v1", n)
	out := filepath.Join(dir, "out")
	first := e.reproBuild(t, dir, out)
	if first.Unchanged {
		t.Errorf("the first build is unchanged, want changed (nothing was published before)")
	}
	if w := reg.writes(); len(w) == 0 {
		t.Fatalf("the first push wrote nothing to the registry")
	}
	second := e.reproBuild(t, dir, out)
	if second.Digest != first.Digest {
		t.Fatalf("a rebuild of unchanged inputs has digest %s, want the first build's %s", second.Digest, first.Digest)
	}
	if !second.Unchanged {
		t.Errorf("the rebuild is not reported unchanged (outputs %v)", second.Outputs)
	}
	if w := reg.writes(); len(w) > 0 {
		t.Errorf("the unchanged push wrote to the registry: %v, want nothing", w)
	}
	if got := indexDigest(t, filepath.Join(out, "app")); got != first.Digest {
		t.Errorf("out/app/index.json names %s, want %s", got, first.Digest)
	}
	// The same digest covers the SBOM, dated at the commit.
	if doc := layoutSBOM(t, filepath.Join(out, "app")); doc.CreationInfo.Created != time.Unix(commitTime, 0).UTC().Format(time.RFC3339) {
		t.Errorf("the SBOM was created %s, want the commit's time", doc.CreationInfo.Created)
	}
	// Another source moves the tag away; going back to the first source
	// finds the first index in the registry by digest: only the tag moves.
	src := filepath.Join(dir, "src.txt")
	orig, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, "other "+n+"\n")
	if other := e.reproBuild(t, dir, filepath.Join(dir, "out2")); other.Digest == first.Digest {
		t.Fatalf("another source gives the same digest %s", other.Digest)
	}
	reg.writes()
	writeFile(t, src, string(orig))
	if back := e.reproBuild(t, dir, filepath.Join(dir, "out2")); back.Digest != first.Digest {
		t.Fatalf("the first source again gives digest %s, want %s", back.Digest, first.Digest)
	}
	if w := reg.writes(); len(w) != 1 || !strings.HasSuffix(w[0], "/manifests/v1") {
		t.Errorf("the push of a digest the registry has under a tag that names another wrote %v, want only PUT …/manifests/v1", w)
	}
	checkEpoch(t, filepath.Join(out, "app"))
	// Without the cache every RUN runs again and makes new files: the image
	// is the same bytes (the provenance records the no-cache request, so
	// the index is another).
	e.reproBuild(t, dir, filepath.Join(dir, "out3"), builder.WithNoCache(true))
	if a, b := readLayout(t, filepath.Join(out, "app")).manifest, readLayout(t, filepath.Join(dir, "out3", "app")).manifest; !reflect.DeepEqual(a, b) {
		t.Errorf("the image rebuilt without the cache is\n%+v\nwant the first build's\n%+v", b, a)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkEpoch: the image's config and history are dated at the commit,
// and so is every file of its own layers.
func checkEpoch(t *testing.T, dir string) {
	t.Helper()
	img := readLayout(t, dir)
	want := time.Unix(commitTime, 0).UTC()
	if img.config.Created == nil || !img.config.Created.Equal(want) {
		t.Errorf("config created = %v, want the commit's time %v", img.config.Created, want)
	}
	for _, l := range img.layers[len(img.layers)-2:] { // COPY's and RUN's
		tr := tar.NewReader(bytes.NewReader(l.tar))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !h.ModTime.Equal(want) {
				t.Errorf("layer %s: %s has mtime %v, want the commit's time %v", l.digest, h.Name, h.ModTime.UTC(), want)
			}
		}
	}
}

// TestReproducibleDigestFollowsInputs: a changed source file gives another
// digest, and so does a rebuild with WithReproducible(false).
func TestReproducibleDigestFollowsInputs(t *testing.T) {
	e := testEnv(t)
	reg := newRecordingRegistry(t)
	n := nonce(t)
	dir := reproProject(t, reg.host+"/weld-it/repro-in-"+n[:8]+":v1", n)
	out := filepath.Join(dir, "out")
	first := e.reproBuild(t, dir, out)
	writeFile(t, filepath.Join(dir, "src.txt"), "changed "+n+"\n")
	changed := e.reproBuild(t, dir, out)
	if changed.Digest == first.Digest || changed.Unchanged {
		t.Errorf("a changed source file gives digest %s (unchanged %v), want one other than %s", changed.Digest, changed.Unchanged, first.Digest)
	}
	off1 := e.reproBuild(t, dir, out, builder.WithReproducible(false))
	time.Sleep(1100 * time.Millisecond) // the created times are in seconds
	off2 := e.reproBuild(t, dir, out, builder.WithReproducible(false))
	if off1.Digest == off2.Digest || off2.Unchanged {
		t.Errorf("two builds with WithReproducible(false) give %s and %s (unchanged %v), want different digests", off1.Digest, off2.Digest, off2.Unchanged)
	}
}

// indexDigest is the digest the OCI layout in dir names.
func indexDigest(t *testing.T, dir string) string {
	t.Helper()
	var idx struct {
		Manifests []struct{ Digest string } `json:"manifests"`
	}
	dt, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(dt, &idx); err != nil || len(idx.Manifests) != 1 {
		t.Fatalf("%s/index.json: %v %s", dir, err, dt)
	}
	return idx.Manifests[0].Digest
}

// TestSignedRebuildWritesNothing: a signed rebuild of an unchanged image
// writes nothing to the registry, though ECDSA signatures are randomized:
// the signature the key made of that digest is there already. A second
// key's signature is appended (one manifest PUT for the signature tag and
// its new blobs), keeping the first.
func TestSignedRebuildWritesNothing(t *testing.T) {
	e := testEnv(t)
	reg := newRecordingRegistry(t)
	n := nonce(t)
	dir := reproProject(t, reg.host+"/weld-it/repro-sign-"+n[:8]+":v1", n)
	keyA, keyB := ecdsaKeyFile(t, dir, "a.key"), ecdsaKeyFile(t, dir, "b.key")
	first := e.reproBuild(t, dir, filepath.Join(dir, "out"), builder.WithSignKey(keyA))
	sigTag := "/manifests/" + strings.Replace(first.Digest, ":", "-", 1) + ".sig"
	if w := reg.writes(); !containsSuffix(w, sigTag) {
		t.Fatalf("the first signed push wrote %v, want the signature tag …%s among them", w, sigTag)
	}
	second := e.reproBuild(t, dir, filepath.Join(dir, "out"), builder.WithSignKey(keyA))
	if second.Digest != first.Digest || !second.Unchanged {
		t.Fatalf("the rebuild: digest %s (want %s), unchanged %v", second.Digest, first.Digest, second.Unchanged)
	}
	if w := reg.writes(); len(w) > 0 {
		t.Errorf("the unchanged signed push wrote to the registry: %v, want nothing", w)
	}
	e.reproBuild(t, dir, filepath.Join(dir, "out"), builder.WithSignKey(keyA), builder.WithSignKey(keyB))
	if w := reg.writes(); !containsSuffix(w, sigTag) || strings.Contains(strings.Join(w, " "), "/manifests/v1") {
		t.Errorf("the push with a second key wrote %v, want only the signature tag (and its blobs)", w)
	}
}

func containsSuffix(list []string, suffix string) bool {
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}

// ecdsaKeyFile writes a plain PEM ECDSA P-256 private key into dir.
func ecdsaKeyFile(t *testing.T, dir, name string) string {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // crypto/rand does not fail
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	writeFile(t, path, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	return path
}
