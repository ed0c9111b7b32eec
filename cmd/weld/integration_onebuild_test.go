//go:build integration

package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/report"
)

// TestOneBuildCLIAndLibrary: weld build and an embedder's builder.Run with
// the same options build the same thing: a policy that replaces the base
// with a registry image, pins it to its digest, gates the image, and a
// revision label from the work dir's git checkout. The two metadata files
// match but for timings; both runs ran the gate, pinned the base to the
// pushed digest and labelled the image with the revision.
func TestOneBuildCLIAndLibrary(t *testing.T) {
	e := testEnv(t)
	registry := os.Getenv("WELD_TEST_REGISTRY")
	if registry == "" {
		t.Fatal("TestOneBuildCLIAndLibrary needs WELD_TEST_REGISTRY (a running registry at 127.0.0.1:PORT); run scripts/test.sh")
	}
	n := nonce(t)
	base, pushed := pushBase(t, e, registry, n)
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-onebuild-app\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM node:10.4.8 as base\nRUN grep " + n + " /base.txt > /tmp/ok\nUSER 1000\n",
		"weld.policy.yml": "allowed_bases: ['" + registry + "/**', 'node:*']\nreplace:\n  node:10.4.8: " + base + "\npin_digests: true\n" +
			"gates:\n  - run: \"test -f {{oci_dir}}/index.json && echo $WELD_STEP >> gate.log\"\n",
		".dockerignore": "*\n",
	})
	revision := gitCommit(t, dir)
	common := []string{"--output", "oci:out", "--provenance", "none", "--build", "SOURCE_DATE_EPOCH=0"}

	w := e.command(dir, e.host, append(common, "--metadata-file", "m-cli.json", "--report", "r-cli.json")...)
	w.expect(t, w.run(t, 3*time.Minute), 0, "policy weld.policy.yml:3:3 replaces base node:10.4.8 with "+base)
	checkOneBuild(t, dir, "the CLI", 1, revision)

	libraryBuild(t, e, dir, "m-lib.json")
	checkOneBuild(t, dir, "the library", 2, revision)

	cli, lib := metadataWithoutTimings(t, filepath.Join(dir, "m-cli.json")), metadataWithoutTimings(t, filepath.Join(dir, "m-lib.json"))
	// The library rebuilt the same bytes into the same folder: unchanged.
	if u := string(lib["app"]["unchanged"]); u != "true" {
		t.Errorf("the library's build into the CLI's output is unchanged: %q, want true (the same image)", u)
	}
	delete(lib["app"], "unchanged")
	if diff := cmp.Diff(cli, lib); diff != "" {
		t.Errorf("the library's metadata differs from weld build's (-cli +lib):\n%s", diff)
	}
	// The same report findings (the Dockerfile checks' warning), gathered
	// by report.Warnings in both.
	cliRep, libRep := readReport(t, filepath.Join(dir, "r-cli.json")), readReport(t, filepath.Join(dir, "r-lib.json"))
	if len(cliRep.Findings) == 0 || !cmp.Equal(cliRep.Findings, libRep.Findings) {
		t.Errorf("the reports' findings: weld build %+v, the library %+v; want the same, with FromAsCasing", cliRep.Findings, libRep.Findings)
	}
	var bases []builder.BasePin
	if err := json.Unmarshal(lib["app"]["weld.bases"], &bases); err != nil || len(bases) != 1 || bases[0].Digest != pushed || bases[0].Source != "docker-image://"+base {
		t.Errorf("the library's weld.bases = %s, want node:10.4.8 from %s pinned to %s", lib["app"]["weld.bases"], base, pushed)
	}
}

// pushBase pushes a base image holding /base.txt (the nonce) to the
// registry, and returns its ref and manifest digest.
func pushBase(t *testing.T, e cliEnv, registry, n string) (string, string) {
	t.Helper()
	ref := registry + "/weld-onebuild-base:" + n[:8]
	seed := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    base:\n      name: " + ref + "\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /base.txt\nUSER 1000\n",
	})
	w := e.command(seed, e.host, "--push", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	var pushed string
	_ = json.Unmarshal(readPolicyMetadata(t, filepath.Join(seed, "m.json"))["base"]["containerimage.digest"], &pushed)
	if !strings.HasPrefix(pushed, "sha256:") {
		t.Fatalf("pushing %s: no digest in its metadata", ref)
	}
	return ref, pushed
}

// libraryBuild builds dir as an embedder does, with the options weld build
// maps its flags to (the same --image as cliEnv.command).
func libraryBuild(t *testing.T, e cliEnv, dir, metadata string) {
	t.Chdir(dir) // relative outputs and the policy's FILE:LINE, as the CLI's
	b, err := dag.Load("build.yml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := dag.NewPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Find("", b.WorkDir)
	if err != nil {
		t.Fatal(err)
	}
	ref, src, err := builder.ParseImage("busybox=oci-layout://" + filepath.Join(e.images, "busybox"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := builder.ParseOutput("oci:out")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, closeSolver, err := builder.Daemons{Addrs: []string{e.host}}.Solver()
	if err != nil {
		t.Fatal(err)
	}
	defer closeSolver()
	var warnings report.Warnings
	bl, err := builder.New(c, builder.WithPolicy(pol), builder.WithEvents(warnings.Event), builder.WithImages(map[string]builder.ImageSource{ref: src}),
		builder.WithOutputs(out), builder.WithProvenance(""), builder.WithBuildArgs(map[string]string{"SOURCE_DATE_EPOCH": "0"}),
		builder.WithRegistryAuth(builder.DockerAuth(io.Discard)), builder.WithOwnFiles(metadata, "r-lib.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := bl.Run(ctx, plan)
	if err != nil {
		t.Fatalf("builder.Run: %v", err)
	}
	if err := builder.WriteMetadata(metadata, res); err != nil {
		t.Fatal(err)
	}
	if err := report.Build(plan, res, report.WithFindings(warnings.Findings()...)).WriteFile("r-lib.json"); err != nil {
		t.Fatal(err)
	}
}

// checkOneBuild checks what the runs so far did: the gate ran once per run,
// and the image published last carries the revision.
func checkOneBuild(t *testing.T, dir, who string, runs int, revision string) {
	t.Helper()
	dt, _ := os.ReadFile(filepath.Join(dir, "gate.log"))
	if got := strings.Count(string(dt), "app\n"); got != runs {
		t.Errorf("after %s's build the gate ran %d times, want %d (gate.log %q)", who, got, runs, dt)
	}
	if got := layoutLabels(t, filepath.Join(dir, "out", "app"))[builder.LabelRevision]; got != revision {
		t.Errorf("%s's image has revision %q, want %q", who, got, revision)
	}
}

// gitCommit makes dir a git checkout with one commit, and returns it.
func gitCommit(t *testing.T, dir string) string {
	t.Helper()
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// gateDuration is how long a gate ran: a time, not a result.
var gateDuration = regexp.MustCompile(`"duration":\s*[0-9.eE+-]+`)

var createdTime = regexp.MustCompile(`"org\.opencontainers\.image\.created":\s*"[^"]*"`)

// metadataWithoutTimings reads a metadata file without what differs from
// run to run: the durations, the phases' times (their names stay) and how many
// vertices were cached.
func metadataWithoutTimings(t *testing.T, path string) map[string]map[string]json.RawMessage {
	t.Helper()
	md := readPolicyMetadata(t, path)
	for _, fields := range md {
		delete(fields, "duration")
		delete(fields, "vertices")
		delete(fields, "cached_vertices")
		var phases []struct{ Name string }
		if err := json.Unmarshal(fields["phases"], &phases); err != nil {
			t.Fatalf("%s: phases: %v", path, err)
		}
		names := make([]string, len(phases)) // the same phases, not the same times
		for i, ph := range phases {
			names[i] = ph.Name
		}
		fields["phases"], _ = json.Marshal(names)
		// The index's descriptor carries the export's second as its
		// creation time.
		fields["containerimage.descriptor"] = createdTime.ReplaceAll(fields["containerimage.descriptor"], []byte(`"org.opencontainers.image.created": "T"`))
		if g, ok := fields["gates"]; ok {
			fields["gates"] = gateDuration.ReplaceAll(g, []byte(`"duration": 0`))
		}
	}
	return md
}

// layoutLabels are the config labels of the one image of an OCI layout.
func layoutLabels(t *testing.T, layout string) map[string]string {
	t.Helper()
	blob := func(d ocispecs.Descriptor, v any) {
		t.Helper()
		dt, err := os.ReadFile(filepath.Join(layout, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded()))
		if err == nil {
			err = json.Unmarshal(dt, v)
		}
		if err != nil {
			t.Fatalf("reading blob %s of %s: %v", d.Digest, layout, err)
		}
	}
	idx := readIndex(t, layout)
	if len(idx.Manifests) != 1 {
		t.Fatalf("%s holds %d manifests, want 1", layout, len(idx.Manifests))
	}
	var m ocispecs.Manifest
	blob(idx.Manifests[0], &m)
	if m.MediaType == ocispecs.MediaTypeImageIndex { // an image with attestations (SBOM, provenance)
		var inner ocispecs.Index
		blob(idx.Manifests[0], &inner)
		for _, d := range inner.Manifests {
			if d.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
				blob(d, &m)
				break
			}
		}
	}
	var cfg ocispecs.Image
	blob(m.Config, &cfg)
	return cfg.Config.Labels
}

// TestEmbedExample: examples/embed, built from source, runs weld build's
// build through the library: the service's policy replaces alpine:3.20
// with busybox:1.36 and runs its gate, the image lands in the OCI output,
// the report file holds the Dockerfile checks' warning, and the exit code
// is weld build's (2 for a build file that cannot be used, 1 for a base
// the service's allowlist refuses).
func TestEmbedExample(t *testing.T) {
	e := testEnv(t)
	bin := filepath.Join(t.TempDir(), "embed")
	if out, err := exec.Command("go", "build", "-o", bin, "../../examples/embed").CombinedOutput(); err != nil {
		t.Fatalf("go build examples/embed: %v\n%s", err, out)
	}
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: embed-app\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM alpine:3.20 as base\nRUN echo " + n + " > /n\n",
	})
	embed := func(want int, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"-addr", e.host, "-image", "busybox:1.36=oci-layout://" + filepath.Join(e.images, "busybox")}, args...)...)
		cmd.Dir = dir
		out, _ := cmd.CombinedOutput()
		if got := cmd.ProcessState.ExitCode(); got != want {
			t.Fatalf("embed %v exited %d, want %d:\n%s", args, got, want, out)
		}
		return string(out)
	}
	out := embed(0, "-output", "oci:out", "-report", "r.json")
	if !strings.Contains(out, "replaces base alpine:3.20 with busybox:1.36") || !regexp.MustCompile(`(?m)^  app +done .*  sha256:`).MatchString(out) {
		t.Errorf("embed's output names no replacement or no built app:\n%s", out)
	}
	if idx := readIndex(t, filepath.Join(dir, "out", "app")); len(idx.Manifests) != 1 {
		t.Errorf("out/app holds %v, want the image", idx.Manifests)
	}
	rep := readFile(t, filepath.Join(dir, "r.json"))
	if !strings.Contains(rep, `"status": "succeeded"`) || !strings.Contains(rep, "FromAsCasing") {
		t.Errorf("r.json is no succeeded build's report with the FromAsCasing warning:\n%s", rep)
	}
	writeFile(t, filepath.Join(dir, "build.yml"), "build:\n  version: 2016-03-14\n  nosuch: 1\n")
	embed(2)
	writeFile(t, filepath.Join(dir, "build.yml"), "build:\n  version: 2016-03-14\n  steps:\n    app:\n      dockerfile: Dockerfile\n")
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM debian:12\n")
	embed(1)
}
