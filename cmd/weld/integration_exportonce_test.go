//go:build integration

package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/internal/itest"
)

// vertexTimes are the first start and last completion of every vertex of
// the rawjson progress whose name holds name, by digest.
func vertexTimes(stderr []byte, name string) map[digest.Digest]*client.Vertex {
	out := map[digest.Digest]*client.Vertex{}
	for _, st := range statuses(stderr) {
		for _, v := range st.Vertexes {
			if !strings.Contains(v.Name, name) {
				continue
			}
			have, ok := out[v.Digest]
			if !ok {
				cp := *v
				out[v.Digest] = &cp
				continue
			}
			if have.Started == nil || (v.Started != nil && v.Started.Before(*have.Started)) {
				have.Started = v.Started
			}
			if v.Completed != nil && (have.Completed == nil || v.Completed.After(*have.Completed)) {
				have.Completed = v.Completed
			}
		}
	}
	return out
}

// TestExportOnceWithSecret: a published step whose session serves a secret
// is exported once (one "exporting to oci image format" vertex, where the
// leak scan used to need an export of its own), and the scan reads that
// export: it starts after the export completed, and the image is published.
func TestExportOnceWithSecret(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"tok":        "tok-" + n,
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo " + n + " > /built\n",
		"build.yml": itest.BuildYML(`    app:
      name: weld-it/once-` + n[:12] + `:v1
      dockerfile: Dockerfile
      secrets:
        tok: {type: file, value: tok}
`),
	})
	out := filepath.Join(t.TempDir(), "out")
	w := e.command(dir, e.host, "--progress", "rawjson", "--output", "oci:"+out)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	exports := vertexTimes(w.stderr.Bytes(), "[app] exporting to oci image format")
	if len(exports) != 1 {
		t.Fatalf("%d \"[app] exporting to oci image format\" vertices, want 1: the image is exported once", len(exports))
	}
	scans := vertexTimes(w.stderr.Bytes(), "[app] scan the image for secrets")
	if len(scans) != 1 {
		t.Fatalf("%d leak-scan vertices, want 1", len(scans))
	}
	for _, ex := range exports {
		for _, sc := range scans {
			if ex.Completed == nil || sc.Started == nil || sc.Started.Before(*ex.Completed) {
				t.Errorf("the scan started at %v, before the export completed at %v: it did not read that export", sc.Started, ex.Completed)
			}
		}
	}
	if idx := readIndex(t, filepath.Join(out, "app")); len(idx.Manifests) != 1 {
		t.Errorf("%s/app holds %d images, want 1", out, len(idx.Manifests))
	}
}

// TestExportBeforeLastLeaf: in a fan-out of four leaves, the three fast
// leaves are exported while the slow one still runs: each export starts
// before the slow leaf's RUN completes. Publishing still waits for all.
func TestExportBeforeLastLeaf(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	steps := ""
	files := map[string]string{
		"Dockerfile.slow": "FROM busybox\nRUN sleep 3 && echo slow-" + n + " > /leaf\n",
	}
	for _, l := range []string{"a", "b", "c", "slow"} {
		steps += "    " + l + ":\n      name: weld-it/fan-" + l + "-" + n[:10] + "\n      dockerfile: Dockerfile." + l + "\n"
		if l != "slow" {
			files["Dockerfile."+l] = "FROM busybox\nRUN echo " + l + "-" + n + " > /leaf\n"
		}
	}
	files["build.yml"] = itest.BuildYML(steps)
	dir := writeProject(t, files)
	out := filepath.Join(t.TempDir(), "out")
	w := e.command(dir, e.host, "--progress", "rawjson", "--output", "oci:"+out)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	slow := vertexTimes(w.stderr.Bytes(), "[slow] [1/2] RUN sleep 3")
	if len(slow) != 1 {
		t.Fatalf("%d vertices of the slow leaf's RUN, want 1", len(slow))
	}
	var slowDone time.Time
	for _, v := range slow {
		if v.Completed == nil {
			t.Fatal("the slow leaf's RUN never completed")
		}
		slowDone = *v.Completed
	}
	for _, l := range []string{"a", "b", "c"} {
		ex := vertexTimes(w.stderr.Bytes(), "["+l+"] exporting to oci image format")
		if len(ex) != 1 {
			t.Errorf("leaf %s: %d export vertices, want 1", l, len(ex))
			continue
		}
		for _, v := range ex {
			if v.Started == nil || !v.Started.Before(slowDone) {
				t.Errorf("leaf %s was exported at %v, not before the slow leaf finished at %v", l, v.Started, slowDone)
			}
		}
	}
	for _, l := range []string{"a", "b", "c", "slow"} {
		if idx := readIndex(t, filepath.Join(out, l)); len(idx.Manifests) != 1 {
			t.Errorf("%s/%s holds %d images, want 1", out, l, len(idx.Manifests))
		}
	}
}
