//go:build integration

package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// multiEnv is testEnv for the platform tests: the busybox-multi layout
// (scripts/images.sh) and arm64 emulation (scripts/binfmt.sh) must be there.
func multiEnv(t *testing.T) cliEnv {
	t.Helper()
	e := testEnv(t)
	if _, err := os.Stat(filepath.Join(e.images, "busybox-multi", "index.json")); err != nil {
		t.Fatalf("the platform tests need the busybox-multi layout (scripts/images.sh makes it): %v", err)
	}
	h, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-aarch64")
	if err != nil || !strings.Contains(string(h), "enabled") || !strings.Contains(string(h), "flags: ") ||
		!strings.Contains(strings.SplitN(string(h[strings.Index(string(h), "flags: "):]), "\n", 2)[0], "F") {
		t.Fatalf("the platform tests need arm64 emulation with the F flag (run scripts/binfmt.sh as root): %v %s", err, h)
	}
	return e
}

// multiCommand is weld build with busybox as the two-platform busybox.
func (e cliEnv) multiCommand(dir string, args ...string) *weld {
	all := append([]string{"build", "--progress", "plain",
		"--image", "busybox=oci-layout://" + filepath.Join(e.images, "busybox-multi"),
		"--image", "golang:1.26=oci-layout://" + filepath.Join(e.images, "golang")}, args...)
	w := &weld{cmd: exec.Command(e.bin, all...)}
	w.cmd.Dir = dir
	w.cmd.Env = append(os.Environ(), "BUILDKIT_HOST="+e.host)
	w.cmd.Stdout, w.cmd.Stderr = &w.stdout, &w.stderr
	return w
}

// platformMeta is a step's entry in --metadata-file.
type platformMeta struct {
	Digest    string `json:"containerimage.digest"`
	Unchanged bool   `json:"unchanged"`
	Platforms []struct {
		Platform, Digest string
	} `json:"weld.platforms"`
}

func readPlatformMeta(t *testing.T, path string) map[string]platformMeta {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]platformMeta
	if err := json.Unmarshal(dt, &md); err != nil {
		t.Fatalf("parsing %s: %v\n%s", path, err, dt)
	}
	return md
}

// platformFile reads file (a path without the leading /) from the layers of
// each platform's image of the layout's one index: platform → content.
func platformFile(t *testing.T, layout, file string) map[string]string {
	t.Helper()
	idx := readIndex(t, layout)
	if len(idx.Manifests) != 1 || idx.Manifests[0].MediaType != ocispecs.MediaTypeImageIndex {
		t.Fatalf("%s/index.json = %+v, want one image index", layout, idx.Manifests)
	}
	var root ocispecs.Index
	readBlobJSON(t, layout, idx.Manifests[0], &root)
	out := map[string]string{}
	for _, m := range root.Manifests {
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue
		}
		var man ocispecs.Manifest
		readBlobJSON(t, layout, m, &man)
		for _, l := range man.Layers {
			if v, ok := fileInLayer(t, layout, l, file); ok {
				out[m.Platform.OS+"/"+m.Platform.Architecture] = v
			}
		}
	}
	return out
}

func readBlobJSON(t *testing.T, layout string, d ocispecs.Descriptor, v any) {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(layout, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded()))
	if err == nil {
		err = json.Unmarshal(dt, v)
	}
	if err != nil {
		t.Fatalf("reading blob %s: %v", d.Digest, err)
	}
}

func fileInLayer(t *testing.T, layout string, l ocispecs.Descriptor, file string) (string, bool) {
	t.Helper()
	f, err := os.Open(filepath.Join(layout, "blobs", l.Digest.Algorithm().String(), l.Digest.Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("layer %s: %v", l.Digest, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", false
		}
		if err != nil {
			t.Fatalf("layer %s: %v", l.Digest, err)
		}
		if strings.TrimPrefix(h.Name, "./") == file {
			dt, _ := io.ReadAll(tr)
			return strings.TrimSpace(string(dt)), true
		}
	}
}

const platformsYML = `build:
  version: 2016-03-14
  steps:
    compile:
      dockerfile: Dockerfile.compile
      artifacts: [/arch, /stamp]
      platforms: [linux/amd64, linux/arm64]
    runtime:
      name: weld-it/platforms
      dockerfile: Dockerfile.runtime
      depends_on: [compile]
      platforms: [linux/amd64, linux/arm64]
      tests: ['test "$(cat /arch)" = "$(uname -m)"']
`

// TestPlatformsArtifactsFollowThePlatform: a compile step writes uname -m
// into its artifact for linux/amd64 and linux/arm64 (this one under
// emulation, which the progress says); the runtime step's index has both
// platforms, each holding its own platform's artifact (and its test ran in
// each); --artifacts-dir gets a folder per platform; the metadata lists both
// manifests; a no-op rebuild gives the same
// index digest and a changed source file another.
func TestPlatformsArtifactsFollowThePlatform(t *testing.T) {
	e := multiEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml":          platformsYML,
		"Dockerfile.compile": "FROM busybox\nCOPY src /src\nRUN uname -m > /arch && cp /src /stamp\n",
		"Dockerfile.runtime": "FROM busybox\nCOPY arch stamp /\nRUN test \"$(cat /arch)\" = \"$(uname -m)\"\n",
		"src":                n,
	})
	w := e.multiCommand(dir, "-o", "oci:out", "--metadata-file", "m.json", "--artifacts-dir", "arts")
	w.expect(t, w.run(t, 5*time.Minute), 0, "linux/arm64 runs under emulation on "+e.host)
	for p, want := range map[string]string{"linux_amd64": "x86_64", "linux_arm64": "aarch64"} {
		if dt, err := os.ReadFile(filepath.Join(dir, "arts", p, "arch")); err != nil || strings.TrimSpace(string(dt)) != want {
			t.Errorf("--artifacts-dir arts/%s/arch = %q, %v; want %s", p, dt, err, want)
		}
	}
	got := platformFile(t, filepath.Join(dir, "out", "runtime"), "arch")
	if got["linux/amd64"] != "x86_64" || got["linux/arm64"] != "aarch64" || len(got) != 2 {
		t.Errorf("the runtime index's /arch per platform = %v, want linux/amd64: x86_64, linux/arm64: aarch64", got)
	}
	checkEveryPlatform(t, filepath.Join(dir, "out", "runtime"), "runtime")
	md := readPlatformMeta(t, filepath.Join(dir, "m.json"))["runtime"]
	if len(md.Platforms) != 2 || md.Platforms[0].Platform != "linux/amd64" || md.Platforms[1].Platform != "linux/arm64" ||
		!strings.HasPrefix(md.Platforms[0].Digest, "sha256:") || md.Platforms[0].Digest == md.Platforms[1].Digest {
		t.Errorf("m.json runtime weld.platforms = %+v, want linux/amd64 and linux/arm64, each its own digest", md.Platforms)
	}
	for _, p := range md.Platforms {
		if !summaryHas(w.stderr.String(), p.Platform+" ", p.Digest) {
			t.Errorf("the summary does not list %s's digest %s; stderr:\n%s", p.Platform, p.Digest, w.stderr.String())
		}
	}
	first := md.Digest

	w = e.multiCommand(dir, "-o", "oci:out", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 5*time.Minute), 0)
	if again := readPlatformMeta(t, filepath.Join(dir, "m.json"))["runtime"].Digest; again != first {
		t.Errorf("a no-op rebuild gives index %s, want the same %s", again, first)
	}
	if err := os.WriteFile(filepath.Join(dir, "src"), []byte(n+" changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	w = e.multiCommand(dir, "-o", "oci:out", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 5*time.Minute), 0)
	if changed := readPlatformMeta(t, filepath.Join(dir, "m.json"))["runtime"].Digest; changed == first || changed == "" {
		t.Errorf("after a source change the index is %q, want a new digest (not %s)", changed, first)
	}
}

// TestPlatformsCrossCompile: FROM --platform=$BUILDPLATFORM with
// GOARCH=$TARGETARCH, as in buildx: the amd64 Go toolchain builds an arm64
// binary, which an arm64 step's RUN and test then run under emulation.
func TestPlatformsCrossCompile(t *testing.T) {
	e := multiEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    hello:
      name: weld-it/cross
      dockerfile: Dockerfile
      platforms: [linux/arm64]
      tests: ['test "$(/hello)" = "` + n + ` arm64 aarch64"']
`,
		"Dockerfile": `FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
COPY go.mod main.go /src/
RUN cd /src && GOOS=$TARGETOS GOARCH=$TARGETARCH CGO_ENABLED=0 go build -o /hello . && test "$(uname -m)" = x86_64
FROM busybox
COPY --from=build /hello /hello
RUN /hello > /said
`,
		"go.mod":  "module hello\ngo 1.22\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"os/exec\"\n\t\"runtime\"\n)\n\nfunc main() {\n\tm, _ := exec.Command(\"uname\", \"-m\").Output()\n\tfmt.Printf(\"" + n + " %s %s\", runtime.GOARCH, m)\n}\n",
	})
	w := e.multiCommand(dir, "-o", "oci:out")
	w.expect(t, w.run(t, 5*time.Minute), 0, "linux/arm64 runs under emulation")
	if got := platformFile(t, filepath.Join(dir, "out", "hello"), "said"); got["linux/arm64"] != n+" arm64 aarch64" || len(got) != 1 {
		t.Errorf("/said of the arm64 image = %v, want %q from the arm64 binary run under emulation", got, n+" arm64 aarch64")
	}
}

// TestPlatformsMissingInDependency: a runtime step for amd64 and arm64 on
// a compile step for amd64 only exits 2 before any build (no daemon is
// there to reach), naming both steps at build.yml:LINE:COL.
func TestPlatformsMissingInDependency(t *testing.T) {
	e := testEnv(t)
	dir := writeProject(t, map[string]string{
		"build.yml":          strings.Replace(platformsYML, "      platforms: [linux/amd64, linux/arm64]\n    runtime", "      platforms: [linux/amd64]\n    runtime", 1),
		"Dockerfile.compile": "FROM busybox\nRUN uname -m > /arch && touch /stamp\n",
		"Dockerfile.runtime": "FROM busybox\nCOPY arch stamp /\n",
	})
	w := e.command(dir, "unix:///nonexistent/buildkitd.sock")
	w.expect(t, w.run(t, time.Minute), 2, "build.yml:12:32: step runtime builds for linux/arm64 and takes artifacts from step compile, which builds only for linux/amd64")
	w = e.command(dir, "unix:///nonexistent/buildkitd.sock", "--platform", "linux/arm64")
	w.cmd.Args[1] = "plan"
	w.cmd.Args = append(w.cmd.Args[:2], w.cmd.Args[6:]...) // weld plan --platform …: no --progress, no --image
	w.expect(t, w.run(t, time.Minute), 2, "step runtime builds for linux/arm64")
}

// summaryHas reports whether one line of the closing summary (after the
// last blank line) holds every part.
func summaryHas(stderr string, parts ...string) bool {
	summary := stderr[strings.LastIndex(stderr, "\n\n")+1:]
	for _, l := range strings.Split(summary, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestPlatformsPushAndLoad: --push sends the step's one index (the
// registry serves its digest for the tag) and --load loads this machine's
// platform of it, saying which; pushed again, the index is unchanged.
func TestPlatformsPushAndLoad(t *testing.T) {
	pe := publishEnv(t)
	e, dir, repo, name := twoPlatformProject(t, pe, "plat-") // integration_repro_outputs_test.go
	w := e.multiCommand(dir, "--push", "--load", "--metadata-file", "m.json").withDockerHost(pe.dockerHost)
	w.expect(t, w.run(t, 5*time.Minute), 0, "loading "+name+" into docker: linux/amd64, this machine's platform, of linux/amd64, linux/arm64")
	md := readPlatformMeta(t, filepath.Join(dir, "m.json"))["app"]
	if got := manifestDigest(t, pe.registry, repo, "v1"); got != md.Digest || len(md.Platforms) != 2 {
		t.Errorf("the registry serves %s as %s, want the index %s (with 2 platforms: %+v)", name, got, md.Digest, md.Platforms)
	}
	out, err := pe.docker("image", "inspect", "--format", "{{.Architecture}}", name)
	if err != nil || strings.TrimSpace(string(out)) != "amd64" {
		t.Errorf("docker image inspect %s: architecture %q, %v; want amd64", name, out, err)
	}
	w = e.multiCommand(dir, "--push", "--load", "--metadata-file", "m.json").withDockerHost(pe.dockerHost)
	w.expect(t, w.run(t, 5*time.Minute), 0)
	if again := readPlatformMeta(t, filepath.Join(dir, "m.json"))["app"]; again.Digest != md.Digest || !again.Unchanged {
		t.Errorf("the second push: index %s, unchanged %v; want %s, unchanged", again.Digest, again.Unchanged, md.Digest)
	}
}

// TestPlatformsLeakInOnePlatform: a RUN that writes the mounted secret into
// the arm64 image only (the amd64 one is clean) is caught: the leak scan
// reads every platform's layers, the build exits 1 and nothing is pushed.
func TestPlatformsLeakInOnePlatform(t *testing.T) {
	t.Run("staged", func(t *testing.T) { leakInOnePlatform(t) })
	// With --cache-to the session scans before its cache goes out
	// (prepublish), on an export of every platform.
	t.Run("in the session, before --cache-to", func(t *testing.T) { leakInOnePlatform(t, "--cache-to", "type=local,dest=cache") })
}

func leakInOnePlatform(t *testing.T, args ...string) {
	pe := publishEnv(t)
	e := multiEnv(t)
	n := nonce(t)
	token := "tok-" + n
	repo := "weld-it/plat-leak-" + n[:12]
	dir := writeProject(t, map[string]string{
		"tok":        token,
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok if [ \"$(uname -m)\" = aarch64 ]; then base64 /run/secrets/tok > /leak; fi; echo " + n + "\n",
		"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    leaky:\n      name: " + pe.registry + "/" + repo + ":v1" +
			"\n      dockerfile: Dockerfile\n      platforms: [linux/amd64, linux/arm64]\n      secrets:\n        tok: {type: file, value: tok}\n",
	})
	w := e.multiCommand(dir, append([]string{"--push"}, args...)...)
	w.expect(t, w.run(t, 5*time.Minute), 1, `secret "tok" in layer sha256:`, "file /leak (base64)", "not published")
	if strings.Contains(w.stderr.String(), token) {
		t.Errorf("weld's output holds the secret")
	}
	if got := manifestDigest(t, pe.registry, repo, "v1"); got != "" {
		t.Errorf("the registry serves %s:v1 (%s): the image was pushed", repo, got)
	}
}

// checkEveryPlatform fails unless each platform's image of the layout's
// index carries weld's labels, and has an attestation manifest of its own
// with a provenance and an SPDX SBOM statement.
func checkEveryPlatform(t *testing.T, layout, step string) {
	t.Helper()
	idx := readIndex(t, layout)
	var root ocispecs.Index
	readBlobJSON(t, layout, idx.Manifests[0], &root)
	preds := map[string][]string{} // image digest → predicate types
	var images []ocispecs.Descriptor
	for _, m := range root.Manifests {
		if ref := m.Annotations["vnd.docker.reference.digest"]; ref != "" {
			var att ocispecs.Manifest
			readBlobJSON(t, layout, m, &att)
			for _, l := range att.Layers {
				preds[ref] = append(preds[ref], l.Annotations["in-toto.io/predicate-type"])
			}
			continue
		}
		images = append(images, m)
	}
	if len(images) != 2 {
		t.Fatalf("the index has %d images, want 2: %+v", len(images), root.Manifests)
	}
	for _, m := range images {
		var man ocispecs.Manifest
		readBlobJSON(t, layout, m, &man)
		var cfg ocispecs.Image
		readBlobJSON(t, layout, man.Config, &cfg)
		if cfg.Config.Labels["dev.weld.step"] != step || cfg.Architecture != m.Platform.Architecture {
			t.Errorf("%s: config labels %v, architecture %s; want dev.weld.step=%s and %s", m.Platform.Architecture, cfg.Config.Labels, cfg.Architecture, step, m.Platform.Architecture)
		}
		got := strings.Join(preds[m.Digest.String()], " ")
		if !strings.Contains(got, "https://slsa.dev/provenance/") || !strings.Contains(got, "https://spdx.dev/Document") {
			t.Errorf("%s: attestations %q, want a provenance and an SPDX SBOM", m.Platform.Architecture, got)
		}
	}
}

// TestPlatformsTestFailsOnOnePlatform: tests run in each platform's image;
// one that passes on amd64 and fails on arm64 fails the build (exit 1),
// naming the platform, and publishes nothing.
func TestPlatformsTestFailsOnOnePlatform(t *testing.T) {
	e := multiEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-it/plat-test\n      dockerfile: Dockerfile\n" +
			"      platforms: [linux/amd64, linux/arm64]\n      tests: [test \"$(uname -m)\" = x86_64]\n",
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /n\n",
	})
	w := e.multiCommand(dir, "-o", "oci:out")
	w.expect(t, w.run(t, 5*time.Minute), 1, `step "app" (build.yml:8:15) on linux/arm64: test: test "$(uname -m)" = x86_64: exit code 1`)
	if strings.Contains(w.stderr.String(), "on linux/amd64") {
		t.Errorf("the amd64 test is reported as failed; stderr:\n%s", w.stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "app")); !os.IsNotExist(err) {
		t.Errorf("out/app exists (%v): a failed build published", err)
	}
}

// TestPlatformsFromStep: FROM <step> follows the platform: each platform
// of the child builds on the same platform's image of its parent (and sees
// its ENV), which is not published.
func TestPlatformsFromStep(t *testing.T) {
	e := multiEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    base:
      name: weld-it/plat-base
      dockerfile: Dockerfile.base
      publish: false
    child:
      name: weld-it/plat-child
      dockerfile: Dockerfile.child
`,
		"Dockerfile.base":  "FROM busybox\nENV WELD_N=" + n + "\nRUN uname -m > /base-arch\n",
		"Dockerfile.child": "FROM weld-it/plat-base\nRUN test \"$(cat /base-arch)\" = \"$(uname -m)\" && echo \"$WELD_N $(cat /base-arch)\" > /child\n",
	})
	w := e.multiCommand(dir, "-o", "oci:out", "--platform", "linux/arm64,linux/amd64")
	w.expect(t, w.run(t, 5*time.Minute), 0)
	got := platformFile(t, filepath.Join(dir, "out", "child"), "child")
	if got["linux/amd64"] != n+" x86_64" || got["linux/arm64"] != n+" aarch64" || len(got) != 2 {
		t.Errorf("the child's /child per platform = %v, want each platform's own base (%s x86_64, %s aarch64)", got, n, n)
	}
}
