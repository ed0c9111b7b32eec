//go:build integration

package main

// weld's own state (.weld/, the image store, outputs inside the project)
// never goes into a build context: not into the image, not into the cache
// key, not over the wire.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
)

const deadDocker = "unix:///nonexistent/docker.sock"

// TestOwnStateNotInImage: two builds of a project whose Dockerfile does
// `COPY . /src`, whose .dockerignore tries to bring everything back, and
// which holds weld state of its own (a token under .weld/, another
// project's .weld/ below it). The second build's image holds none of it,
// nor the first build's output, and its COPY is a cache hit.
func TestOwnStateNotInImage(t *testing.T) {
	e := testEnv(t)
	for _, tc := range []struct {
		name   string
		args   []string
		layout string // the OCI layout the image lands in, relative to the project
	}{
		{"default store output, no engine", nil, ".weld/images"},
		{"--output oci:out inside the project", []string{"--output", "oci:out"}, "out/app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := nonce(t)
			name := "weld-it/ownstate-" + n[:8] + ":v1"
			dir := writeProject(t, map[string]string{
				"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + name + "\n      dockerfile: Dockerfile\n",
				// A build arg, so that the COPY's cache record is this test's.
				"Dockerfile":          "FROM busybox\nARG NONCE=" + n + "\nCOPY . /src\n",
				".dockerignore":       "# bring everything back\n!*\n!.*\n!**\n",
				".weld/secret-token":  "tok-" + n,
				"sub/.weld/images/x":  "another project's store",
				"sub/keep.txt":        "kept",
				".welding/not-weld's": "a folder only named like it",
			})
			for i := 1; i <= 2; i++ {
				args := append(slices.Clone(tc.args), "--progress", "rawjson", "--metadata-file", "m.json")
				w := e.command(dir, e.host, args...).withDockerHost(deadDocker)
				w.expect(t, w.run(t, 3*time.Minute), 0)
				if t.Failed() {
					return
				}
				if i == 1 {
					continue
				}
				if cached, seen := vertexCached(w.stderr.Bytes(), "COPY . /src"); !seen {
					t.Errorf("build 2: no COPY . /src vertex in the progress; stderr:\n%s", w.stderr.String())
				} else if !cached {
					t.Errorf("build 2: COPY . /src was not a cache hit: the context changed between two builds of the same sources")
				}
			}
			entries := imageEntries(t, filepath.Join(dir, tc.layout), name)
			for _, want := range []string{"src/Dockerfile", "src/.dockerignore", "src/sub/keep.txt", "src/.welding/not-weld's"} {
				if !slices.Contains(entries, want) {
					t.Errorf("the image has no %s; its entries: %q", want, entries)
				}
			}
			for _, p := range entries {
				if strings.Contains(p, ".weld/") || strings.HasSuffix(p, ".weld") || strings.HasPrefix(p, "src/out") || p == "src/m.json" {
					t.Errorf("the image holds %s, weld's own state", p)
				}
			}
		})
	}
}

// TestOwnStateNamedByDockerignore: a `!` line of the .dockerignore that
// names a file in .weld/ brings back that file, and only it, with a warning.
func TestOwnStateNamedByDockerignore(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	name := "weld-it/ownstate-named-" + n[:8]
	dir := writeProject(t, map[string]string{
		"build.yml":     "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + name + "\n      dockerfile: Dockerfile\n",
		"Dockerfile":    "FROM busybox\nARG NONCE=" + n + "\nCOPY . /src\n",
		".dockerignore": "!.weld/keep\n",
		".weld/keep":    "wanted",
		".weld/other":   "not named",
	})
	w := e.command(dir, e.host).withDockerHost(deadDocker)
	w.expect(t, w.run(t, 3*time.Minute), 0, ".weld/keep", "weld's own state")
	entries := imageEntries(t, filepath.Join(dir, ".weld", "images"), name)
	if !slices.Contains(entries, "src/.weld/keep") {
		t.Errorf("the image has no src/.weld/keep, which the .dockerignore names; entries: %q", entries)
	}
	if slices.ContainsFunc(entries, func(p string) bool { return strings.HasPrefix(p, "src/.weld/") && p != "src/.weld/keep" }) {
		t.Errorf("the image holds more of .weld/ than .weld/keep: %q", entries)
	}
}

// secretapp copies examples/secretapp into a fresh project with a 10 MB
// file of random bytes in .weld/, where weld's default store would be, and
// returns the project and the sizes of its sources.
func secretapp(t *testing.T) (dir string, files, bytes int64) {
	t.Helper()
	copied := exampleFiles(t, "secretapp")
	for _, dt := range copied {
		files++
		bytes += int64(len(dt))
	}
	dir = writeProject(t, copied)
	junk := make([]byte, 10<<20)
	if _, err := rand.Read(junk); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".weld", "images", "blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".weld", "images", "blobs", "junk"), junk, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, files, bytes
}

// exampleFiles reads the regular files of examples/NAME (name → content).
func exampleFiles(t *testing.T, name string) map[string]string {
	t.Helper()
	src := filepath.Join("..", "..", "examples", name)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, de := range entries {
		if !de.Type().IsRegular() {
			continue
		}
		dt, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[de.Name()] = string(dt)
	}
	return files
}

// TestOwnStateSecretappPlan: weld plan shows the secretapp example's
// contexts at the size of its sources, with a 10 MB file in .weld/.
func TestOwnStateSecretappPlan(t *testing.T) {
	e := testEnv(t)
	dir, files, size := secretapp(t)
	for _, format := range []string{"json", "text"} {
		token := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(token, []byte("tok"), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(e.bin, "plan", "--format", format, "--allow", "fs.read="+token)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SECRETAPP_TOKEN_FILE="+token)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("weld plan --format %s: %v\n%s", format, err, stderr.String())
		}
		want := dag.ContextSize{Files: files, Bytes: size}
		if format == "text" {
			if n := strings.Count(string(out), "context:    .  ("+want.String()+")"); n != 3 {
				t.Errorf("weld plan shows %q %d times, want 3 (one per step); stdout:\n%s", want.String(), n, out)
			}
			continue
		}
		var plan dag.PlanJSON
		if err := json.Unmarshal(out, &plan); err != nil {
			t.Fatalf("parsing weld plan's json: %v\n%s", err, out)
		}
		for _, s := range plan.Steps {
			if s.ContextSize == nil || *s.ContextSize != want {
				t.Errorf("step %s: context_size = %+v, want %+v (the sources, without .weld/)", s.Label, s.ContextSize, want)
			}
		}
	}
}

// TestOwnStateSecretappTransfer: building the secretapp example with
// 10 MB in .weld/ transfers contexts the size of its sources.
func TestOwnStateSecretappTransfer(t *testing.T) {
	e := testEnv(t)
	dir, _, _ := secretapp(t)
	token := filepath.Join(t.TempDir(), "token")
	w := e.command(dir, e.host, "--progress", "rawjson", "--output", "oci:"+filepath.Join(t.TempDir(), "out"),
		"--image", "golang:1.26=oci-layout://"+filepath.Join(e.images, "golang"),
		"--image", "alpine:3.20=oci-layout://"+filepath.Join(e.images, "busybox"),
		"--allow", "fs.read="+token)
	if err := os.WriteFile(token, []byte("tok-"+nonce(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	w.cmd.Env = append(w.cmd.Env, "SECRETAPP_TOKEN_FILE="+token)
	w.expect(t, w.run(t, 10*time.Minute), 0)
	sent := transferred(w.stderr.Bytes())
	for _, l := range []string{"compile", "runtime_minimal", "runtime_alpine"} {
		got, ok := sent["ctx-"+l]
		switch {
		case !ok:
			t.Errorf("no 'transferring ctx-%s:' status in the progress; transfers seen: %v", l, sent)
		case got > 100_000:
			t.Errorf("step %s transferred a %d-byte context, want the sources' few kB (not .weld/'s 10 MB)", l, got)
		}
	}
}

// statuses parses the SolveStatus lines of --progress rawjson output.
func statuses(stderr []byte) []client.SolveStatus {
	var out []client.SolveStatus
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var st client.SolveStatus
		if line := sc.Bytes(); len(line) > 0 && line[0] == '{' && json.Unmarshal(line, &st) == nil {
			out = append(out, st)
		}
	}
	return out
}

// vertexCached reports whether a completed vertex whose name holds name
// was seen, and whether it was cached.
func vertexCached(stderr []byte, name string) (cached, seen bool) {
	for _, st := range statuses(stderr) {
		for _, v := range st.Vertexes {
			if strings.Contains(v.Name, name) && v.Completed != nil {
				seen, cached = true, cached || v.Cached
			}
		}
	}
	return cached, seen
}

// transferred returns, per local source name, the most bytes a
// "transferring NAME:" status reported.
func transferred(stderr []byte) map[string]int64 {
	out := map[string]int64{}
	for _, st := range statuses(stderr) {
		for _, s := range st.Statuses {
			if name, ok := strings.CutPrefix(s.ID, "transferring "); ok {
				name = strings.TrimSuffix(name, ":")
				out[name] = max(out[name], s.Current)
			}
		}
	}
	return out
}

// imageEntries lists the entries of every layer of the image named name in
// the OCI layout dir (or of its only image).
func imageEntries(t *testing.T, dir, name string) []string {
	t.Helper()
	var out []string
	eachImageEntry(t, dir, name, func(h *tar.Header, _ io.Reader) {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/"))
	})
	return out
}

// imageFile is the content of the file at path (no leading /) in the
// topmost layer of the image that has it; "" when none has.
func imageFile(t *testing.T, dir, name, path string) string {
	t.Helper()
	var got string
	eachImageEntry(t, dir, name, func(h *tar.Header, r io.Reader) {
		if strings.TrimPrefix(h.Name, "./") == path {
			dt, _ := io.ReadAll(r)
			got = string(dt)
		}
	})
	return got
}

// eachImageEntry calls f with every entry of every layer, bottom first, of
// the image named name in the OCI layout dir (or of its only image).
func eachImageEntry(t *testing.T, dir, name string, f func(*tar.Header, io.Reader)) {
	t.Helper()
	blob := func(d ocispecs.Descriptor) []byte {
		t.Helper()
		dt, err := os.ReadFile(filepath.Join(dir, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded()))
		if err != nil {
			t.Fatalf("reading blob %s: %v", d.Digest, err)
		}
		return dt
	}
	var idx ocispecs.Index
	dt, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err == nil {
		err = json.Unmarshal(dt, &idx)
	}
	if err != nil {
		t.Fatalf("reading the OCI layout %s: %v", dir, err)
	}
	var desc *ocispecs.Descriptor
	for i, m := range idx.Manifests {
		if len(idx.Manifests) == 1 || m.Annotations[ocispecs.AnnotationRefName] == name {
			desc = &idx.Manifests[i]
		}
	}
	if desc == nil {
		t.Fatalf("%s has no image named %s; index:\n%s", dir, name, dt)
	}
	for desc.MediaType == ocispecs.MediaTypeImageIndex {
		var sub ocispecs.Index
		if err := json.Unmarshal(blob(*desc), &sub); err != nil || len(sub.Manifests) == 0 {
			t.Fatalf("parsing the index %s: %v", desc.Digest, err)
		}
		desc = &sub.Manifests[0] // the image; attestations come after it
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(blob(*desc), &m); err != nil {
		t.Fatalf("parsing the manifest %s: %v", desc.Digest, err)
	}
	for _, l := range m.Layers {
		zr, err := gzip.NewReader(bytes.NewReader(blob(l)))
		if err != nil {
			t.Fatalf("layer %s: %v", l.Digest, err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
			f(h, tr)
		}
	}
}
