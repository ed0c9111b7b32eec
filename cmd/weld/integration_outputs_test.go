//go:build integration

package main

// Outputs under concurrency and a full disk, against the real binary and
// daemon: every run stages privately and commits atomically, so concurrent
// runs on one output folder all succeed and leave a consistent layout; a
// failed run leaves another run's output alone; a full disk is reported
// with the path and the system's reason, and leaves no partial file.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// deadDocker is a DOCKER_HOST where no engine answers: the default output
// is then the store, <work dir>/.weld/images.
const deadDocker = "unix:///nonexistent/docker.sock"

// twoStepProject is a project whose steps app and lib take their content
// from the build arg NONCE, so that every run's images differ. Their
// context is a subfolder: the project folder also holds .weld/, which
// concurrent runs write while others send their contexts.
func twoStepProject(t *testing.T, n string, failArg bool) (dir string, names map[string]string) {
	t.Helper()
	names = map[string]string{"app": "weld-it/out-app-" + n[:10] + ":v1", "lib": "weld-it/out-lib-" + n[:10] + ":v1"}
	app := "FROM busybox\nARG NONCE\nRUN echo app-$NONCE > /app\n"
	if failArg {
		app = "FROM busybox\nARG NONCE\nARG FAIL\nRUN echo app-$NONCE > /app && [ \"$FAIL\" != 1 ]\n"
	}
	dir = writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: ` + names["app"] + `
      dockerfile: Dockerfile.app
      context: src
    lib:
      name: ` + names["lib"] + `
      dockerfile: Dockerfile.lib
      context: src
`,
		"src/Dockerfile.app": app,
		"src/Dockerfile.lib": "FROM busybox\nARG NONCE\nRUN echo lib-$NONCE > /lib\n",
	})
	return dir, names
}

// runOutcome is one finished run of a concurrent batch.
type runOutcome struct {
	w    *weld
	code int
	meta string
	// missing lists the outputs the run named that did not exist the
	// moment it exited.
	missing []string
}

// runConcurrently starts n runs of weld build in dir at once (run i gets
// NONCE=<nonce>-i and --metadata-file m<i>.json) and waits for all; check
// runs right after each exits.
func (e cliEnv) runConcurrently(t *testing.T, dir, nonce string, n int, check func(meta string) []string, args ...string) []runOutcome {
	t.Helper()
	out := make([]runOutcome, n)
	var wg sync.WaitGroup
	for i := range n {
		meta := filepath.Join(dir, fmt.Sprintf("m%d.json", i))
		all := append([]string{"--build-arg", fmt.Sprintf("NONCE=%s-%d", nonce, i), "--metadata-file", meta}, args...)
		w := e.command(dir, e.host, all...).withDockerHost(deadDocker)
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		out[i] = runOutcome{w: w, meta: meta}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].code = w.waitExit(5 * time.Minute)
			if out[i].code == 0 {
				out[i].missing = check(meta)
			}
		}()
	}
	wg.Wait()
	return out
}

// waitExit waits for weld (killing it after d) and returns its exit code;
// -1 when it had to be killed. It does not call t.Fatal, so goroutines may
// use it.
func (w *weld) waitExit(d time.Duration) int {
	timer := time.AfterFunc(d, func() { _ = w.cmd.Process.Kill() })
	defer timer.Stop()
	err := w.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		if ee.ProcessState.Exited() {
			return ee.ExitCode()
		}
		return -1
	}
	if err != nil {
		return -1
	}
	return 0
}

// layoutTree checks that the descriptor's blob and everything it names are
// in the layout, whole (their digest matches); it returns a description of
// the first problem, or "".
func layoutTree(layout string, d ocispecs.Descriptor) string {
	p := filepath.Join(layout, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded())
	dt, err := os.ReadFile(p)
	if err != nil {
		return fmt.Sprintf("blob %s is missing: %v", d.Digest, err)
	}
	if sum := sha256.Sum256(dt); "sha256:"+hex.EncodeToString(sum[:]) != d.Digest.String() || int64(len(dt)) != d.Size {
		return fmt.Sprintf("blob %s is not whole: %d bytes, want %d, or its digest differs", d.Digest, len(dt), d.Size)
	}
	var children []ocispecs.Descriptor
	switch d.MediaType {
	case ocispecs.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
		var idx ocispecs.Index
		if err := json.Unmarshal(dt, &idx); err != nil {
			return fmt.Sprintf("parsing index %s: %v", d.Digest, err)
		}
		children = idx.Manifests
	case ocispecs.MediaTypeImageManifest, "application/vnd.docker.distribution.manifest.v2+json":
		var m ocispecs.Manifest
		if err := json.Unmarshal(dt, &m); err != nil {
			return fmt.Sprintf("parsing manifest %s: %v", d.Digest, err)
		}
		children = append([]ocispecs.Descriptor{m.Config}, m.Layers...)
	}
	for _, c := range children {
		if msg := layoutTree(layout, c); msg != "" {
			return msg
		}
	}
	return ""
}

// readIndex reads a layout's index.json.
func readIndex(t *testing.T, layout string) ocispecs.Index {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatalf("reading the layout's index: %v", err)
	}
	var idx ocispecs.Index
	if err := json.Unmarshal(dt, &idx); err != nil {
		t.Fatalf("parsing %s/index.json: %v\n%s", layout, err, dt)
	}
	return idx
}

// noStaging fails the test if a staging folder is left in dest.
func noStaging(t *testing.T, dest string) {
	t.Helper()
	if ents, err := os.ReadDir(filepath.Join(dest, ".weld-staging")); err == nil {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("%s/.weld-staging is left, holding %v: a run did not remove its staging folder", dest, names)
	}
}

// TestConcurrentRunsDefaultStore: four runs at once in one project, each
// building different images into the default store. All exit 0; the
// store's index names one image per name, one of the runs' images; every
// run's reported image is whole in the store; no staging folder is left.
func TestConcurrentRunsDefaultStore(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir, names := twoStepProject(t, n, false)
	store := filepath.Join(dir, ".weld", "images")
	runs := e.runConcurrently(t, dir, n, 4, func(string) []string { return nil })
	reported := map[string]map[string]bool{} // name → digests reported
	for i, r := range runs {
		r.w.expect(t, r.code, 0, ".weld/images")
		if r.code != 0 {
			continue
		}
		for label, m := range readMetadata(t, r.meta) {
			if reported[names[label]] == nil {
				reported[names[label]] = map[string]bool{}
			}
			reported[names[label]][m.Digest] = true
			d := ocispecs.Descriptor{MediaType: ocispecs.MediaTypeImageIndex, Digest: digestOf(t, m.Digest), Size: blobSize(store, m.Digest)}
			if msg := layoutTree(store, d); msg != "" {
				t.Errorf("run %d reported %s = %s, but in the store: %s", i, label, m.Digest, msg)
			}
		}
	}
	idx := readIndex(t, store)
	for _, name := range names {
		var found []ocispecs.Descriptor
		for _, m := range idx.Manifests {
			if m.Annotations[ocispecs.AnnotationRefName] == name {
				found = append(found, m)
			}
		}
		if len(found) != 1 {
			t.Errorf("the store's index names %s %d times, want once: %+v", name, len(found), idx.Manifests)
			continue
		}
		if !reported[name][found[0].Digest.String()] {
			t.Errorf("the store's %s is %s, which no run reported (reported: %v)", name, found[0].Digest, reported[name])
		}
		if msg := layoutTree(store, found[0]); msg != "" {
			t.Errorf("the store's %s: %s", name, msg)
		}
	}
	noStaging(t, store)
}

// TestConcurrentRunsSharedOCIFolder: four runs at once with one shared
// --output oci:DIR. Each run that exits 0 names folders that exist the
// moment it exits; at the end each DIR/<label> is one run's whole layout.
func TestConcurrentRunsSharedOCIFolder(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir, names := twoStepProject(t, n, false)
	out := filepath.Join(t.TempDir(), "out")
	present := func(meta string) []string {
		var missing []string
		for label := range names {
			if _, err := os.Stat(filepath.Join(out, label, "index.json")); err != nil {
				missing = append(missing, label)
			}
		}
		return missing
	}
	runs := e.runConcurrently(t, dir, n, 4, present, "--output", "oci:"+out)
	reported := map[string]map[string]bool{}
	for i, r := range runs {
		r.w.expect(t, r.code, 0, "oci:"+out)
		if len(r.missing) > 0 {
			t.Errorf("run %d exited 0 naming %v in %s, which did not exist when it exited", i, r.missing, out)
		}
		if r.code != 0 {
			continue
		}
		for label, m := range readMetadata(t, r.meta) {
			if reported[label] == nil {
				reported[label] = map[string]bool{}
			}
			reported[label][m.Digest] = true
		}
	}
	for label := range names {
		layout := filepath.Join(out, label)
		idx := readIndex(t, layout)
		if len(idx.Manifests) != 1 {
			t.Errorf("%s/index.json has %d images, want 1: %+v", layout, len(idx.Manifests), idx.Manifests)
			continue
		}
		if d := idx.Manifests[0]; !reported[label][d.Digest.String()] {
			t.Errorf("%s holds %s, which no run reported (reported: %v)", layout, d.Digest, reported[label])
		} else if msg := layoutTree(layout, d); msg != "" {
			t.Errorf("%s (run's image %s): %s", layout, d.Digest, msg)
		}
	}
	noStaging(t, out)
}

// TestFailedRunLeavesOtherOutputs: after a run has published app and lib
// to --output oci:DIR, a run in which app's RUN exits 1 (so lib is built
// but held back) leaves both of the first run's layouts as they were.
func TestFailedRunLeavesOtherOutputs(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir, names := twoStepProject(t, n, true)
	out := filepath.Join(t.TempDir(), "out")
	good := e.command(dir, e.host, "--build-arg", "NONCE=good-"+n, "--metadata-file", "good.json", "--output", "oci:"+out)
	good.expect(t, good.run(t, 3*time.Minute), 0)
	md := readMetadata(t, filepath.Join(dir, "good.json"))
	bad := e.command(dir, e.host, "--build-arg", "NONCE=bad-"+n, "--build-arg", "FAIL=1", "--output", "oci:"+out)
	bad.expect(t, bad.run(t, 3*time.Minute), 1, `"app"`)
	for label := range names {
		layout := filepath.Join(out, label)
		idx := readIndex(t, layout)
		if len(idx.Manifests) != 1 || idx.Manifests[0].Digest.String() != md[label].Digest {
			t.Errorf("after the failed run %s holds %+v, want the first run's %s", layout, idx.Manifests, md[label].Digest)
			continue
		}
		if msg := layoutTree(layout, idx.Manifests[0]); msg != "" {
			t.Errorf("after the failed run %s: %s", layout, msg)
		}
	}
	noStaging(t, out)
}

// mountTmpfs mounts a 256 KiB tmpfs, unmounted at the end of the test. The
// tests run as root: a failing mount fails the test.
func mountTmpfs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mounting a small tmpfs for the full-disk test (run the integration tests as root): %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file into dir until the disk is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "fill"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("filling %s: %v, want no space left", dir, err)
			}
			return
		}
	}
}

// onlyFill fails unless dir holds nothing but the fill file (and so no
// partial or empty file weld wrote).
func onlyFill(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "fill" {
			fi, _ := e.Info()
			t.Errorf("the full disk holds %s (%d bytes) after the failed run, want nothing weld wrote", e.Name(), fi.Size())
		}
	}
}

// TestFullDiskMetadataFile: the images are published to a disk with room,
// the metadata file is to go on a full one: weld exits 1, says the file was
// not written and why (the path, "no space left"), says the images WERE
// published, and leaves no empty file.
func TestFullDiskMetadataFile(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir, names := twoStepProject(t, n, false)
	full := mountTmpfs(t)
	fill(t, full)
	out := filepath.Join(t.TempDir(), "out")
	meta := filepath.Join(full, "m.json")
	w := e.command(dir, e.host, "--build-arg", "NONCE="+n, "--metadata-file", meta, "--output", "oci:"+out)
	w.expect(t, w.run(t, 3*time.Minute), 1, "no space left", meta, "was NOT written", "WERE published", names["app"], names["lib"])
	onlyFill(t, full)
	for label := range names {
		if _, err := os.Stat(filepath.Join(out, label, "index.json")); err != nil {
			t.Errorf("weld said it published %s, but %s/%s has no layout: %v", label, out, label, err)
		}
	}
}

// TestFullDiskTarOutput: a tar output on a disk too small for it: weld
// exits 1, says what failed (the path, "no space left") and that nothing
// was published, and leaves no truncated tar.
func TestFullDiskTarOutput(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir, _ := twoStepProject(t, n, false)
	full := mountTmpfs(t)
	if err := os.WriteFile(filepath.Join(full, "fill"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	w := e.command(dir, e.host, "--build-arg", "NONCE="+n, "--output", "type=oci,dest="+full+",tar=true")
	w.expect(t, w.run(t, 3*time.Minute), 1, "no space left", full, "nothing was published", "NOT published")
	onlyFill(t, full)
}

// digestOf parses a digest the metadata file reported.
func digestOf(t *testing.T, s string) digest.Digest {
	t.Helper()
	d := digest.Digest(s)
	if err := d.Validate(); err != nil {
		t.Fatalf("the metadata file's digest %q: %v", s, err)
	}
	return d
}

// blobSize is the size of the blob named by d in the layout, or -1.
func blobSize(layout, d string) int64 {
	alg, enc, _ := strings.Cut(d, ":")
	fi, err := os.Stat(filepath.Join(layout, "blobs", alg, enc))
	if err != nil {
		return -1
	}
	return fi.Size()
}
