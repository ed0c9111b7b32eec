//go:build integration

package builder_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
)

// TestSecretapp builds the seed's example end to end: the scratch image
// holds only the binary, which prints the seed's line; no runtime layer
// holds Go source; the secret is nowhere in the output or the progress.
func TestSecretapp(t *testing.T) {
	e := testEnv(t)
	files := map[string]string{}
	src := filepath.Join("..", "examples", "secretapp")
	for _, name := range []string{"build.yml", "go.mod", "main.go", "Dockerfile.compile", "Dockerfile.minimal.production", "Dockerfile.alpine.production"} {
		dt, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(dt)
	}
	token := "tok-" + nonce(t)
	files["token.txt"] = token
	dir := writeProject(t, files)
	out := filepath.Join(t.TempDir(), "out")
	p := loadPlan(t, dir, dag.WithEnv(map[string]string{"SECRETAPP_TOKEN_FILE": filepath.Join(dir, "token.txt")}))
	b := e.runPlan(t, ctxTimeout(t, 10*time.Minute), p,
		e.imageOpt(t, "golang:1.26", "golang", "alpine:3.20", "busybox"),
		builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
	b.mustPass(t)

	if _, err := os.Stat(filepath.Join(out, "compile")); !os.IsNotExist(err) {
		t.Errorf("out/compile: Stat err = %v, want not exist (publish: false)", err)
	}
	minimal := readLayout(t, filepath.Join(out, "runtime_minimal"))
	alpine := readLayout(t, filepath.Join(out, "runtime_alpine"))

	t.Run("scratch image holds only secretapp", func(t *testing.T) {
		var entries []string
		for _, l := range minimal.layers {
			for _, n := range l.names {
				if n != "" {
					entries = append(entries, n)
				}
			}
		}
		if !slices.Equal(entries, []string{"secretapp"}) {
			t.Errorf("runtime_minimal layers hold %q, want exactly [secretapp]", entries)
		}
	})
	t.Run("no Go source in the runtime images", func(t *testing.T) {
		isGo := func(n string) bool { return strings.HasSuffix(n, ".go") || filepath.Base(n) == "go.mod" }
		for name, img := range map[string]*ociImage{"runtime_minimal": minimal, "runtime_alpine": alpine} {
			if hits := img.layersNaming(isGo); len(hits) > 0 {
				t.Errorf("%s holds Go source: %q", name, hits)
			}
		}
	})
	t.Run("the secret leaks nowhere", func(t *testing.T) {
		if where := layoutBytesContain(t, out, []byte(token)); len(where) > 0 {
			t.Errorf("the secret's value is in the output: %q", where)
		}
		for name, img := range map[string]*ociImage{"runtime_minimal": minimal, "runtime_alpine": alpine} {
			if where := img.containsBytes([]byte(token)); len(where) > 0 {
				t.Errorf("the secret's value is in %s: %q", name, where)
			}
		}
		if strings.Contains(b.progress.text(), token) {
			t.Errorf("the secret's value is in the progress output")
		}
	})
	t.Run("alpine image runs as daemon", func(t *testing.T) {
		if alpine.config.Config.User != "daemon" {
			t.Errorf("runtime_alpine user = %q, want daemon", alpine.config.Config.User)
		}
		if _, ok := alpine.file("usr/local/bin/secretapp"); !ok {
			t.Errorf("runtime_alpine has no /usr/local/bin/secretapp")
		}
	})
	t.Run("the binary prints the seed's line", func(t *testing.T) {
		bin, ok := minimal.file("secretapp")
		if !ok {
			t.Fatal("no secretapp in runtime_minimal")
		}
		path := filepath.Join(t.TempDir(), "secretapp")
		if err := os.WriteFile(path, bin, 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		cmd := exec.CommandContext(ctx, path)
		cmd.WaitDelay = time.Second
		outb, _ := cmd.Output() // killed by the timeout: it prints forever
		host, _ := os.Hostname()
		want := "Protect all your base @ " + host
		if !strings.Contains(string(outb), want) {
			t.Errorf("secretapp printed %q, want a line %q", outb, want)
		}
	})
	t.Run("scratch image SBOM lists the Go module and its dependencies", func(t *testing.T) {
		checkSecretappSBOM(t, filepath.Join(out, "runtime_minimal")) // integration_sbom_test.go
	})
}

// TestSecretsReachTheRun checks that step secrets (file and env) and
// --secret reach RUN --mount=type=secret with their exact values, without
// landing in the image or the progress.
func TestSecretsReachTheRun(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	fileTok, envTok, globalTok := "file-"+nonce(t), "env-"+nonce(t), "glob-"+nonce(t)
	envVar := "WELD_IT_TOKEN_" + strings.ToUpper(n[:8])
	t.Setenv(envVar, envTok)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    s:
      name: weld-it-secrets
      dockerfile: Dockerfile
      secrets:
        ftok:
          type: file
          value: tok.txt
        etok:
          type: env
          value: ` + envVar + `
`,
		"tok.txt": fileTok,
		"gtok":    globalTok,
		"Dockerfile": "FROM busybox\n" +
			"RUN --mount=type=secret,id=ftok --mount=type=secret,id=etok --mount=type=secret,id=gtok " +
			"sha256sum /run/secrets/ftok /run/secrets/etok /run/secrets/gtok | cut -d' ' -f1 > /hashes && echo " + n + "\n",
	})
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir,
		builder.WithSecrets(builder.SecretSpec{ID: "gtok", Src: filepath.Join(dir, "gtok")}),
		builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
	b.mustPass(t)
	img := readLayout(t, filepath.Join(out, "s"))
	var want []string
	for _, v := range []string{fileTok, envTok, globalTok} {
		h := sha256.Sum256([]byte(v))
		want = append(want, hex.EncodeToString(h[:]))
	}
	if got := strings.Fields(img.mustFile(t, "hashes")); !slices.Equal(got, want) {
		t.Errorf("sha256 of the mounted secrets = %q, want %q", got, want)
	}
	for _, tok := range []string{fileTok, envTok, globalTok} {
		if where := layoutBytesContain(t, out, []byte(tok)); len(where) > 0 {
			t.Errorf("secret %q is in the output: %q", tok, where)
		}
		if strings.Contains(b.progress.text(), tok) {
			t.Errorf("secret %q is in the progress output", tok)
		}
	}
}

// TestFromStepChaining: FROM <step name> alone (no depends_on) makes the
// child build on the parent's image, with its ENV, WORKDIR and USER.
func TestFromStepChaining(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    child:
      name: weld-it-child
      dockerfile: Dockerfile.child
    parent:
      name: weld-it-parent-` + n[:8] + `
      dockerfile: Dockerfile.parent
`,
		"Dockerfile.parent": "FROM busybox\n" +
			"ENV GREETING=hello-" + n + "\n" +
			"RUN mkdir -p /srv/app /out && chmod 777 /out && echo " + n + " > /srv/app/parent.txt\n" +
			"WORKDIR /srv/app\n" +
			"USER 1234:1234\n",
		"Dockerfile.child": "FROM weld-it-parent-" + n[:8] + "\n" +
			"RUN echo \"$GREETING $(pwd) $(id -u) $(cat parent.txt)\" > /out/seen\n",
	})
	p := loadPlan(t, dir)
	if got := p.Build().Step("child").DependsOn; !slices.Equal(got, []string{"parent"}) {
		t.Fatalf("child.DependsOn = %q, want [parent] (from the FROM)", got)
	}
	out := filepath.Join(t.TempDir(), "out")
	b := e.runPlan(t, ctxTimeout(t, 3*time.Minute), p, e.imageOpt(t, "busybox", "busybox"),
		builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
	b.mustPass(t)
	img := readLayout(t, filepath.Join(out, "child"))
	want := "hello-" + n + " /srv/app 1234 " + n
	if got := img.mustFile(t, "out/seen"); got != want {
		t.Errorf("the child's RUN saw %q, want %q", got, want)
	}
	cfg := img.config.Config
	if !slices.Contains(cfg.Env, "GREETING=hello-"+n) || cfg.WorkingDir != "/srv/app" || cfg.User != "1234:1234" {
		t.Errorf("child config Env=%q WorkingDir=%q User=%q, want the parent's GREETING, /srv/app, 1234:1234", cfg.Env, cfg.WorkingDir, cfg.User)
	}
}

// TestDiamondArtifacts: root → left, right → bottom; bottom gets artifacts
// from both parents, one placed with :dest; a step with context: sub sees
// the artifact placed under sub at its context's root.
func TestDiamondArtifacts(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    root:
      dockerfile: Dockerfile.root
      artifacts:
        - /r/root.txt
    left:
      dockerfile: Dockerfile.left
      depends_on: [root]
      artifacts:
        - /l/left.txt
    right:
      dockerfile: Dockerfile.right
      depends_on: [root]
      artifacts:
        - /r/right.txt:sub
    bottom:
      name: weld-it-bottom
      dockerfile: Dockerfile.bottom
      depends_on: [left, right]
    subctx:
      name: weld-it-subctx
      context: sub
      dockerfile: Dockerfile
      depends_on: [right]
`,
		"Dockerfile.root":   "FROM busybox\nRUN mkdir /r && echo root-" + n + " > /r/root.txt\n",
		"Dockerfile.left":   "FROM busybox\nCOPY root.txt /l/\nRUN echo left-$(cat /l/root.txt) > /l/left.txt\n",
		"Dockerfile.right":  "FROM busybox\nCOPY root.txt /r/\nRUN echo right-$(cat /r/root.txt) > /r/right.txt\n",
		"Dockerfile.bottom": "FROM busybox\nCOPY left.txt sub/right.txt /got/\n",
		"sub/Dockerfile":    "FROM busybox\nCOPY right.txt /got/\n",
	})
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
	b.mustPass(t)
	bottom := readLayout(t, filepath.Join(out, "bottom"))
	if got, want := bottom.mustFile(t, "got/left.txt"), "left-root-"+n; got != want {
		t.Errorf("bottom /got/left.txt = %q, want %q", got, want)
	}
	if got, want := bottom.mustFile(t, "got/right.txt"), "right-root-"+n; got != want {
		t.Errorf("bottom /got/right.txt = %q, want %q", got, want)
	}
	sub := readLayout(t, filepath.Join(out, "subctx"))
	if got, want := sub.mustFile(t, "got/right.txt"), "right-root-"+n; got != want {
		t.Errorf("subctx /got/right.txt = %q, want %q", got, want)
	}
	for _, name := range []string{"root", "left", "right"} {
		if _, err := os.Stat(filepath.Join(out, name)); !os.IsNotExist(err) {
			t.Errorf("out/%s: Stat err = %v, want not exist (the step has no name)", name, err)
		}
	}
	for _, f := range []string{"root.txt", "left.txt", "sub/right.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("artifact %s is on the host (Stat err = %v): artifacts stay in the engine", f, err)
		}
	}
}

// TestMissingArtifact: an artifact path the image lacks fails its step, and
// the error names the step and the path.
func TestMissingArtifact(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    producer:
      dockerfile: Dockerfile.producer
      artifacts:
        - /nowhere/missing-` + n[:6] + `.bin
    consumer:
      dockerfile: Dockerfile.consumer
      depends_on: [producer]
`,
		"Dockerfile.producer": "FROM busybox\nRUN echo " + n + " > /present\n",
		"Dockerfile.consumer": "FROM busybox\nCOPY missing-" + n[:6] + ".bin /\n",
	})
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir)
	if b.err == nil {
		t.Fatal("Run succeeded, want a missing-artifact failure")
	}
	msg := b.err.Error()
	for _, want := range []string{`"producer"`, "/nowhere/missing-" + n[:6] + ".bin"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Run error %q does not name %s", msg, want)
		}
	}
	if strings.Contains(msg, `"consumer"`) {
		t.Errorf("Run error %q blames the consumer too; report a failure once", msg)
	}
	if s := b.res.Step("producer"); s == nil || s.Status != builder.StatusFailed {
		t.Errorf("producer result = %+v, want status failed", s)
	}
}

// TestFailingRun: a failing RUN fails its step; the error names the step and
// the Dockerfile file:line, and keeps the output's tail.
func TestFailingRun(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    breaks:
      dockerfile: Dockerfile.breaks
`,
		"Dockerfile.breaks": "FROM busybox\n" +
			"RUN echo fine\n" +
			"RUN echo boom-" + n + " && exit 3\n" +
			"RUN echo never\n",
	})
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir)
	if b.err == nil {
		t.Fatal("Run succeeded, want the RUN on line 3 to fail it")
	}
	var se *builder.StepError
	if !errors.As(b.err, &se) {
		t.Fatalf("Run error %v (%T) holds no *builder.StepError", b.err, b.err)
	}
	if se.Step != "breaks" {
		t.Errorf("StepError.Step = %q, want breaks", se.Step)
	}
	if !strings.HasSuffix(se.Source, "Dockerfile.breaks:3") {
		t.Errorf("StepError.Source = %q, want …Dockerfile.breaks:3", se.Source)
	}
	if msg := b.err.Error(); !strings.Contains(msg, `"breaks"`) || !strings.Contains(msg, "Dockerfile.breaks:3") {
		t.Errorf("Run error %q does not name the step and Dockerfile.breaks:3", msg)
	}
	if !strings.Contains(strings.Join(se.Tail, "\n"), "boom-"+n) {
		t.Errorf("StepError.Tail = %q, want the RUN's output boom-%s", se.Tail, n)
	}
	if s := b.res.Step("breaks"); s == nil || s.Status != builder.StatusFailed {
		t.Errorf("breaks result = %+v, want status failed", s)
	}
}

// cleanupProject is a step tidy whose Dockerfile starts FROM from, writes
// files that its cleanup.commands remove, and keeps one.
func cleanupProject(t *testing.T, n, from string, extraSteps, extraFiles map[string]string) string {
	y := `build:
  version: 2016-03-14
  steps:
    tidy:
      name: weld-it-tidy
      dockerfile: Dockerfile
      cleanup:
        commands:
          - rm -rf /junk
          - rm /etc/build-secret.conf
`
	for _, st := range extraSteps {
		y += st
	}
	files := map[string]string{
		"build.yml": y,
		"Dockerfile": "FROM " + from + "\n" +
			"RUN mkdir /junk && echo junk-" + n + " > /junk/cache.bin\n" +
			"RUN echo conf-" + n + " > /etc/build-secret.conf\n" +
			"RUN echo keep-" + n + " > /kept.txt\n" +
			"ENV TIDY=" + n[:6] + "\n",
	}
	for k, v := range extraFiles {
		files[k] = v
	}
	return writeProject(t, files)
}

// checkSquashed checks that img is base's layers plus one, without the
// files cleanupProject's commands removed.
func checkSquashed(t *testing.T, img, base *ociImage, n string) {
	t.Helper()
	if got, want := len(img.layers), len(base.layers)+1; got != want {
		t.Fatalf("tidy has %d layers, want %d (the base's plus one)", got, want)
	}
	for i, l := range base.layers {
		if img.layers[i].digest != l.digest {
			t.Errorf("layer %d = %s, want the base's %s", i, img.layers[i].digest, l.digest)
		}
	}
	removed := func(p string) bool { return strings.HasPrefix(p, "junk") || strings.Contains(p, "build-secret.conf") }
	if hits := img.layersNaming(removed); len(hits) > 0 {
		t.Errorf("removed files are still in a layer: %q", hits)
	}
	for _, s := range []string{"junk-" + n, "conf-" + n} {
		if where := img.layersContain([]byte(s)); len(where) > 0 {
			t.Errorf("the content %q of a removed file is still in %q", s, where)
		}
	}
	if got := img.mustFile(t, "kept.txt"); got != "keep-"+n {
		t.Errorf("/kept.txt = %q, want keep-%s", got, n)
	}
	if !slices.Contains(img.config.Config.Env, "TIDY="+n[:6]) {
		t.Errorf("config Env = %q lost TIDY after the squash", img.config.Config.Env)
	}
}

// TestCleanupSquashesOntoAStep: cleanup.commands remove files, which are
// then in no layer; the image is its base's layers plus one. The base here
// is another step (FROM <step>); TestCleanupSquashesOntoAnImage (in
// integration_bugs_test.go) does the same on an --image base.
func TestCleanupSquashesOntoAStep(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := cleanupProject(t, n, "weld-it-tidybase-"+n[:8], map[string]string{"base": `    base:
      name: weld-it-tidybase-` + n[:8] + `
      dockerfile: Dockerfile.base
`}, map[string]string{"Dockerfile.base": "FROM busybox\nRUN echo base-" + n + " > /base.txt\n"})
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
	b.mustPass(t)
	img := readLayout(t, filepath.Join(out, "tidy"))
	base := readLayout(t, filepath.Join(out, "base"))
	checkSquashed(t, img, base, n)
	if got := img.mustFile(t, "base.txt"); got != "base-"+n {
		t.Errorf("/base.txt = %q, want the base step's base-%s", got, n)
	}
}

// TestCommand: a step's command runs in the built image; a non-zero exit
// fails the build with the command's output, a zero exit passes.
func TestCommand(t *testing.T) {
	e := testEnv(t)
	project := func(n, command string) string {
		return writeProject(t, map[string]string{
			"build.yml": `build:
  version: 2016-03-14
  steps:
    checked:
      name: weld-it-checked
      dockerfile: Dockerfile
      command: ` + command + `
`,
			"Dockerfile": "FROM busybox\nRUN echo " + n + " > /marker\n",
		})
	}
	t.Run("passing", func(t *testing.T) {
		n := nonce(t)
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), project(n, `sh -c "grep -q `+n+` /marker"`))
		b.mustPass(t)
	})
	t.Run("failing", func(t *testing.T) {
		n := nonce(t)
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), project(n, `sh -c "echo cmd-said-`+n+`; exit 7"`))
		if b.err == nil {
			t.Fatal("Run succeeded, want the command's exit 7 to fail it")
		}
		var se *builder.StepError
		if !errors.As(b.err, &se) || se.Step != "checked" {
			t.Fatalf("Run error %v: want a *StepError for step checked", b.err)
		}
		if msg := b.err.Error(); !strings.Contains(msg, "exit code 7") || !strings.Contains(msg, "command:") {
			t.Errorf("Run error %q does not say that the command exited with code 7", msg)
		}
		if !strings.Contains(b.progress.text(), "cmd-said-"+n) {
			t.Errorf("the command's output cmd-said-%s is not in the progress output", n)
		}
		if s := b.res.Step("checked"); s == nil || s.Status != builder.StatusFailed {
			t.Errorf("checked result = %+v, want status failed", s)
		}
	})
}

// TestTests: tests run inside the built image; a failing one fails the build.
func TestTests(t *testing.T) {
	e := testEnv(t)
	project := func(n string, tests ...string) string {
		y := `build:
  version: 2016-03-14
  steps:
    tested:
      name: weld-it-tested
      dockerfile: Dockerfile
      tests:
`
		for _, tc := range tests {
			y += "        - '" + tc + "'\n"
		}
		return writeProject(t, map[string]string{
			"build.yml":  y,
			"Dockerfile": "FROM busybox\nRUN echo " + n + " > /marker\n",
		})
	}
	t.Run("passing", func(t *testing.T) {
		n := nonce(t)
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), project(n, "test -f /marker", "grep -q "+n+" /marker"))
		b.mustPass(t)
	})
	t.Run("failing", func(t *testing.T) {
		n := nonce(t)
		out := filepath.Join(t.TempDir(), "out")
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), project(n, "test -f /marker", "echo test-said-"+n+"; test -f /absent"),
			builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
		if b.err == nil {
			t.Fatal("Run succeeded, want the second test to fail it")
		}
		var se *builder.StepError
		if !errors.As(b.err, &se) || se.Step != "tested" {
			t.Fatalf("Run error %v: want a *StepError for step tested", b.err)
		}
		if msg := b.err.Error(); !strings.Contains(msg, "test -f /absent") || !strings.Contains(msg, "exit code 1") {
			t.Errorf("Run error %q does not name the failing test and its exit code", msg)
		}
		if !strings.Contains(b.progress.text(), "test-said-"+n) {
			t.Errorf("the test's output test-said-%s is not in the progress output", n)
		}
		checkNoLayout(t, filepath.Join(out, "tested"))
	})
}

// twoSleepers is a project with two independent, named steps a and b, each
// sleeping secs in a RUN and recording when.
func twoSleepers(t *testing.T, secs string) string {
	return writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    a:
      name: weld-it-a
      dockerfile: Dockerfile.a
    b:
      name: weld-it-b
      dockerfile: Dockerfile.b
`,
		"Dockerfile.a": timingDockerfile(nonce(t), secs),
		"Dockerfile.b": timingDockerfile(nonce(t), secs),
	})
}

// TestJobsOneSerialises: with WithJobs(1) the RUNs of two independent steps
// do not overlap in time.
func TestJobsOneSerialises(t *testing.T) {
	e := testEnv(t)
	dir := twoSleepers(t, "1.5")
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithJobs(1),
		builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
	b.mustPass(t)
	wa := readWindow(t, readLayout(t, filepath.Join(out, "a")))
	wb := readWindow(t, readLayout(t, filepath.Join(out, "b")))
	if wa.start < wb.end && wb.start < wa.end {
		t.Errorf("with --jobs 1 the RUNs overlap: a ran %.2f–%.2f, b ran %.2f–%.2f (host uptime seconds)", wa.start, wa.end, wb.start, wb.end)
	}
}

// TestIndependentStepsRunInParallel: two independent 2-second steps take
// well under the sum of their times (a ratio within one run, not an
// absolute time).
func TestIndependentStepsRunInParallel(t *testing.T) {
	e := testEnv(t)
	dir := twoSleepers(t, "2")
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
	b.mustPass(t)
	wa := readWindow(t, readLayout(t, filepath.Join(out, "a")))
	wb := readWindow(t, readLayout(t, filepath.Join(out, "b")))
	span := max(wa.end, wb.end) - min(wa.start, wb.start)
	sum := (wa.end - wa.start) + (wb.end - wb.start)
	if r := span / sum; r >= 0.8 {
		t.Errorf("the RUNs took %.2fs together against %.2fs one after the other: ratio %.2f, want < 0.8", span, sum, r)
	}
	var steps time.Duration
	for _, s := range b.res.Steps {
		steps += time.Duration(s.Duration)
	}
	if r := b.wall.Seconds() / steps.Seconds(); r >= 0.8 {
		t.Errorf("Run took %v against %v for its steps' sessions one after the other: ratio %.2f, want < 0.8", b.wall, steps, r)
	}
}

// TestPublishAllOrNothing: when one step fails, no step's OCI layout is
// written, not even a step that built fine (also with keep-going, where it
// surely finished its build).
func TestPublishAllOrNothing(t *testing.T) {
	e := testEnv(t)
	for _, keepGoing := range []bool{false, true} {
		t.Run("keep-going="+map[bool]string{false: "false", true: "true"}[keepGoing], func(t *testing.T) {
			n := nonce(t)
			dir := writeProject(t, map[string]string{
				"build.yml": `build:
  version: 2016-03-14
  steps:
    good:
      name: weld-it-good
      dockerfile: Dockerfile.good
    bad:
      name: weld-it-bad
      dockerfile: Dockerfile.bad
`,
				"Dockerfile.good": "FROM busybox\nRUN echo good-" + n + " > /good\n",
				"Dockerfile.bad":  "FROM busybox\nRUN sleep 1 && echo bad-" + n + " && exit 1\n",
			})
			out := filepath.Join(t.TempDir(), "out")
			b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithKeepGoing(keepGoing),
				builder.WithOutputs(builder.Output{Type: "oci", Dest: out}))
			if b.err == nil {
				t.Fatal("Run succeeded, want step bad to fail it")
			}
			checkNoLayout(t, filepath.Join(out, "good"))
			checkNoLayout(t, filepath.Join(out, "bad"))
			if s := b.res.Step("good"); s == nil || s.Digest != "" || len(s.Outputs) > 0 {
				t.Errorf("good result = %+v, want no digest and no outputs", s)
			}
			if s := b.res.Step("bad"); s == nil || s.Status != builder.StatusFailed {
				t.Errorf("bad result = %+v, want status failed", s)
			}
		})
	}
}

// TestCancel: canceling the context during a long RUN returns promptly with
// context.Canceled, and the daemon stops the RUN's process.
func TestCancel(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    long:
      dockerfile: Dockerfile
`,
		"Dockerfile": "FROM busybox\nRUN sh -c 'sleep 30; echo " + n + "'\n",
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan build, 1)
	go func() { done <- e.runBuild(t, ctx, dir) }()
	waitForProcess(t, n, 60*time.Second)
	canceledAt := time.Now()
	cancel()
	var b build
	select {
	case b = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return within 15 s of the cancel")
	}
	if took := time.Since(canceledAt); took > 10*time.Second {
		t.Errorf("Run returned %v after the cancel, want promptly", took)
	}
	if !errors.Is(b.err, context.Canceled) {
		t.Errorf("Run error = %v, want context.Canceled", b.err)
	}
	if s := b.res.Step("long"); s == nil || s.Status != builder.StatusCanceled {
		t.Errorf("long result = %+v, want status canceled", s)
	}
	waitNoProcess(t, n, 10*time.Second)
}
