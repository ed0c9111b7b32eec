//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// buildxBin is the real docker buildx that scripts/install-buildx.sh
// builds into $WELD_TOOLS/bin (scripts/setup.sh runs it); the test fails
// when it is missing.
func buildxBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("buildx"); err == nil {
		return p
	}
	tools := os.Getenv("WELD_TOOLS")
	if tools == "" {
		home, _ := os.UserHomeDir()
		tools = filepath.Join(home, ".local", "share", "weld", "tools")
	}
	p := filepath.Join(tools, "bin", "buildx")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no docker buildx on PATH nor at %s (%v): scripts/install-buildx.sh builds it, scripts/setup.sh runs that", p, err)
	}
	return p
}

// imagetoolsSBOM runs `buildx imagetools inspect --format '{{json .SBOM}}'
// REF` and returns its SPDX document (nil when it finds none).
func imagetoolsSBOM(t *testing.T, ref string) map[string]any {
	t.Helper()
	cmd := exec.Command(buildxBin(t), "imagetools", "inspect", "--format", "{{json .SBOM}}", ref)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("buildx imagetools inspect %s: %v\n%s", ref, err, stderr)
	}
	var got struct{ SPDX map[string]any }
	if s := strings.TrimSpace(string(out)); s != "" && s != "null" && s != "{}" {
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("buildx imagetools inspect printed %s: %v", out, err)
		}
	}
	return got.SPDX
}

// TestPushedSBOMFoundByBuildx: after weld build --push, the real buildx
// imagetools inspect finds the image's SBOM where it finds BuildKit's, with
// the image's files; --sbom=false pushes an image without one.
func TestPushedSBOMFoundByBuildx(t *testing.T) {
	e := publishEnv(t)
	buildxBin(t)
	n := nonce(t)
	repo := e.registry + "/weld-it/sbom-" + n[:12]
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + repo + ":v1\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /pushed-" + n[:8] + "\n",
	})
	w := e.command(dir, e.host, "--push")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	doc := imagetoolsSBOM(t, repo+":v1")
	if doc["spdxVersion"] != "SPDX-2.3" {
		t.Fatalf("buildx finds SBOM %v, want an SPDX-2.3 document", doc)
	}
	dt, _ := json.Marshal(doc["files"])
	var files []struct{ FileName string }
	_ = json.Unmarshal(dt, &files)
	if !slices.ContainsFunc(files, func(f struct{ FileName string }) bool { return f.FileName == "/pushed-"+n[:8] }) {
		t.Errorf("the SBOM buildx finds lists %d files, not /pushed-%s", len(files), n[:8])
	}

	w = e.command(dir, e.host, "--push", "--sbom=false")
	bf := filepath.Join(dir, "build.yml")
	if err := os.WriteFile(bf, []byte(strings.Replace(readFile(t, bf), ":v1", ":nosbom", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	w.expect(t, w.run(t, 3*time.Minute), 0)
	if doc := imagetoolsSBOM(t, repo+":nosbom"); doc != nil {
		t.Errorf("--sbom=false: buildx finds an SBOM %v, want none", doc)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}
