//go:build integration

package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// weld containers against the real dockerd of scripts/test.sh: two images
// weld built on different bases, loaded with --load, a container of each,
// a stopped one, and a container of an image weld did not build whose own
// labels claim the base; only the running container on the base is listed
// and touched.

// containersRun runs `weld containers --host … args…` and returns its exit
// code and stdout.
func (e pubEnv) containersRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(e.bin, append([]string{"containers", "--host", e.dockerHost}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running weld containers: %v", err)
	}
	return code, stdout.String(), stderr.String()
}

// mustDocker runs the docker CLI and fails the test on an error.
func (e pubEnv) mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := e.docker(args...)
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// importNonWeldImage makes an image weld did not build: the host's
// busybox, imported from a tar.
func (e pubEnv) importNonWeldImage(t *testing.T, ref string) {
	t.Helper()
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("the non-weld image needs the host's /bin/busybox (Debian busybox-static, scripts/setup.sh installs it): %v", err)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "busybox", Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg})
	tw.Write(bin)
	tw.Close()
	cmd := exec.Command(e.dockerCLI, "--host", e.dockerHost, "import", "-", ref)
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v\n%s", err, out)
	}
}

func TestContainersBaseExec(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)[:10]
	other := filepath.Join(t.TempDir(), "layouts")
	// The other base: an OCI layout weld builds first.
	baseDir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    otherbase:\n      name: weld-it/otherbase-" + n + "\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /other-base\n",
	})
	w := e.command(baseDir, e.host, "-o", "oci:"+other)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	imgA, imgB, imgX := "weld-it/ct-a-"+n+":v1", "weld-it/ct-b-"+n+":v1", "weld-it/ct-x-"+n+":v1"
	dir := writeProject(t, map[string]string{
		"build.yml":    "build:\n  version: 2016-03-14\n  steps:\n    a: {name: \"" + imgA + "\", dockerfile: Dockerfile.a}\n    b: {name: \"" + imgB + "\", dockerfile: Dockerfile.b}\n",
		"Dockerfile.a": "FROM busybox\nRUN echo a > /a\n",
		"Dockerfile.b": "FROM weld-it/otherbase-" + n + "\nRUN echo b > /b\n",
	})
	w = e.command(dir, e.host, "--load", "--image", "weld-it/otherbase-"+n+"=oci-layout://"+filepath.Join(other, "otherbase"))
	w.cmd.Env = append(w.cmd.Env, "DOCKER_HOST="+e.dockerHost)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	e.importNonWeldImage(t, imgX)

	busyboxDigest := e.mustDocker(t, "image", "inspect", "--format", `{{index .Config.Labels "org.opencontainers.image.base.digest"}}`, imgA)
	names := map[string]string{"a": "ct-a-" + n, "b": "ct-b-" + n, "x": "ct-x-" + n, "stopped": "ct-stopped-" + n}
	t.Cleanup(func() {
		for _, c := range names {
			_, _ = e.docker("rm", "-f", c)
		}
	})
	e.mustDocker(t, "run", "-d", "--name", names["a"], imgA, "sleep", "600")
	e.mustDocker(t, "run", "-d", "--name", names["b"], imgB, "sleep", "600")
	e.mustDocker(t, "create", "--name", names["stopped"], imgA, "sleep", "600")
	// A container whose own labels claim the base: it must not match.
	e.mustDocker(t, "run", "-d", "--name", names["x"], "--label", "org.opencontainers.image.base.name=busybox",
		"--label", "org.opencontainers.image.base.digest="+busyboxDigest, "--label", "dev.weld.step=a", imgX, "/busybox", "sleep", "600")

	listed := func(args ...string) []string {
		t.Helper()
		code, out, stderr := e.containersRun(t, append(args, "--format", "json")...)
		if code != 0 {
			t.Fatalf("weld containers %v exited %d: %s", args, code, stderr)
		}
		var cs []struct{ Name, Step, BaseName string }
		if err := json.Unmarshal([]byte(out), &cs); err != nil {
			t.Fatalf("weld containers printed %q: %v", out, err)
		}
		var mine []string
		for _, c := range cs {
			if strings.HasSuffix(c.Name, n) {
				mine = append(mine, c.Name)
			}
		}
		return mine
	}
	for _, tc := range []struct {
		base string
		want []string
	}{
		{"busybox", []string{names["a"]}},
		{"busybox:latest", []string{names["a"]}},
		{busyboxDigest, []string{names["a"]}},
		{"weld-it/otherbase-" + n, []string{names["b"]}},
		{"alpine", nil},
	} {
		if got := listed("--base", tc.base); !slices.Equal(got, tc.want) {
			t.Errorf("weld containers --base %s lists %v, want %v", tc.base, got, tc.want)
		}
	}

	code, out, stderr := e.containersRun(t, "--base", "busybox", "--exec", "--", "touch", "/execd-"+n)
	if code != 0 || !strings.Contains(out, names["a"]) || !strings.Contains(out, "exit 0") {
		t.Fatalf("--exec touch exited %d, printed %q (%s), want exit 0 and container %s's exit 0", code, out, stderr, names["a"])
	}
	for c, want := range map[string]bool{"a": true, "b": false, "x": false} {
		bin := []string{"test"}
		if c == "x" {
			bin = []string{"/busybox", "test"}
		}
		_, err := e.docker(append([]string{"exec", names[c]}, append(bin, "-e", "/execd-"+n)...)...)
		if (err == nil) != want {
			t.Errorf("container %s has /execd-%s: %v, want %v", names[c], n, err == nil, want)
		}
	}

	code, out, _ = e.containersRun(t, "--base", "busybox", "--format", "json", "--exec", "--", "sh", "-c", "echo boom-"+n+"; exit 3")
	var res []struct {
		Name     string
		ExitCode int `json:"exit_code"`
		Output   string
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--format json --exec printed %q: %v", out, err)
	}
	i := slices.IndexFunc(res, func(r struct {
		Name     string
		ExitCode int `json:"exit_code"`
		Output   string
	}) bool {
		return r.Name == names["a"]
	})
	if code != 1 || i < 0 || res[i].ExitCode != 3 || !strings.Contains(res[i].Output, "boom-"+n) {
		t.Errorf("a failing command: weld exited %d with %+v, want exit 1 and %s's exit code 3 and output", code, res, names["a"])
	}

	start := time.Now()
	code, out, _ = e.containersRun(t, "--base", "busybox", "--timeout", "1s", "--exec", "--", "sleep", "30")
	if code != 1 || !strings.Contains(out, "timed out after 1s") || time.Since(start) > 20*time.Second {
		t.Errorf("--timeout 1s on sleep 30: weld exited %d after %v, printed %q; want exit 1, a timeout, at once", code, time.Since(start), out)
	}
}
