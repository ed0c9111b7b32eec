//go:build integration

package main

// Helpers of integration_outputs_test.go: concurrent runs, checking OCI
// layouts blob by blob, and a small full disk.

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
		w := e.command(dir, e.host, all...).withDockerHost(noEngineHost)
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

// namedManifests returns the index's entries named name (by
// org.opencontainers.image.ref.name).
func namedManifests(idx ocispecs.Index, name string) []ocispecs.Descriptor {
	var found []ocispecs.Descriptor
	for _, m := range idx.Manifests {
		if m.Annotations[ocispecs.AnnotationRefName] == name {
			found = append(found, m)
		}
	}
	return found
}

// noStaging fails the test if a run's staging folder is left in dest (an
// empty .weld-staging may stay when runs overlapped).
func noStaging(t *testing.T, dest string) {
	t.Helper()
	if ents, err := os.ReadDir(filepath.Join(dest, ".weld-staging")); err == nil && len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("%s/.weld-staging is left, holding %v: a run did not remove its staging folder", dest, names)
	}
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
