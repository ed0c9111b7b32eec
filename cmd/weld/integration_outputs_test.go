//go:build integration

package main

// Outputs under concurrency and a full disk, against the real binary and
// daemon: every run stages privately and commits atomically, so concurrent
// runs on one output folder all succeed and leave a consistent layout; a
// failed run leaves another run's output alone; a full disk is reported
// with the path and the system's reason, and leaves no partial file.

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/internal/itest"
)

// noEngineHost is a DOCKER_HOST where no engine answers: the default output
// is then the store, <work dir>/.weld/images.
const noEngineHost = "unix:///nonexistent/docker.sock"

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
		"build.yml": itest.BuildYML(`    app:
      name: ` + names["app"] + `
      dockerfile: Dockerfile.app
      context: src
    lib:
      name: ` + names["lib"] + `
      dockerfile: Dockerfile.lib
      context: src
`),
		"src/Dockerfile.app": app,
		"src/Dockerfile.lib": "FROM busybox\nARG NONCE\nRUN echo lib-$NONCE > /lib\n",
	})
	return dir, names
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
		found := namedManifests(idx, name)
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

// TestInterruptedRunRemovesOnlyItsStaging: SIGINT while one step sleeps and
// the other waits to publish: weld exits 130, its staging folder is gone,
// and the layouts an earlier run published are as they were.
func TestInterruptedRunRemovesOnlyItsStaging(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": itest.BuildYML(`    fast:
      name: weld-it/int-fast-` + n[:10] + `
      dockerfile: Dockerfile.fast
      context: src
    slow:
      name: weld-it/int-slow-` + n[:10] + `
      dockerfile: Dockerfile.slow
      context: src
`),
		"src/Dockerfile.fast": "FROM busybox\nARG NONCE\nRUN echo $NONCE > /fast\n",
		"src/Dockerfile.slow": "FROM busybox\nARG NONCE\nARG SLEEP=0\nRUN sh -c \"sleep $SLEEP; echo $NONCE\" > /slow\n",
	})
	out := filepath.Join(t.TempDir(), "out")
	first := e.command(dir, e.host, "--build-arg", "NONCE=first-"+n, "--metadata-file", "m.json", "--output", "oci:"+out)
	first.expect(t, first.run(t, 3*time.Minute), 0)
	md := readMetadata(t, filepath.Join(dir, "m.json"))

	w := e.command(dir, e.host, "--build-arg", "NONCE=second-"+n, "--build-arg", "SLEEP=30", "--output", "oci:"+out)
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.cmd.Process.Kill() })
	waitForProcess(t, "sleep 30; echo second-"+n, 60*time.Second)
	if _, err := os.Stat(filepath.Join(out, ".weld-staging")); err != nil {
		t.Errorf("no staging folder while the run builds: %v (is the export staged elsewhere?)", err)
	}
	if err := w.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	w.expect(t, w.wait(t, 30*time.Second), 130)
	noStaging(t, out)
	for _, label := range []string{"fast", "slow"} {
		idx := readIndex(t, filepath.Join(out, label))
		if len(idx.Manifests) != 1 || idx.Manifests[0].Digest.String() != md[label].Digest {
			t.Errorf("after the interrupted run %s/%s holds %+v, want the first run's %s", out, label, idx.Manifests, md[label].Digest)
		}
	}
}
