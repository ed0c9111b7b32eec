//go:build integration

package builder_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
)

// TestLeakScanBlocksPublish: a Dockerfile that deliberately copies a secret
// into a file (and its base64 into another) is built, but nothing is
// published; the error names the image, the layer and the files, never the
// secret. A clean sibling built with the same secret is held back too.
func TestLeakScanBlocksPublish(t *testing.T) {
	e := testEnv(t)
	token := "leak-" + nonce(t)
	dir := writeProject(t, map[string]string{
		"tok": token,
		"Dockerfile.leaky": "FROM busybox\n" +
			"RUN --mount=type=secret,id=tok cp /run/secrets/tok /leaked && base64 /run/secrets/tok > /leaked.b64 && echo " + nonce(t) + "\n",
		"Dockerfile.clean": "FROM busybox\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo " + nonce(t) + " > /ok\n",
		"build.yml": `build:
  version: 2016-03-14
  steps:
    leaky:
      name: leaky
      dockerfile: Dockerfile.leaky
      secrets:
        tok: {type: file, value: tok}
    clean:
      name: clean
      dockerfile: Dockerfile.clean
      secrets:
        tok: {type: file, value: tok}
`,
	})
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
	if !errors.Is(b.err, builder.ErrSecretLeak) {
		t.Fatalf("Run() = %v, want ErrSecretLeak", b.err)
	}
	msg := b.err.Error()
	for _, want := range []string{"leaky", "layer sha256:", "/leaked (raw)", "/leaked.b64 (base64)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, token) || strings.Contains(b.progress.text(), token) {
		t.Errorf("the secret's value is in the error or the progress")
	}
	checkNoLayout(t, filepath.Join(out, "leaky"))
	checkNoLayout(t, filepath.Join(out, "clean"))
	if got := b.res.Step("leaky").Status; got != builder.StatusFailed {
		t.Errorf("leaky: status %q, want failed", got)
	}
}

// TestLabelsAndProvenance: a published image carries its step, its base
// (name and digest of the replacing OCI layout) and the caller's revision as
// labels, and a provenance attestation that holds no secret value.
func TestLabelsAndProvenance(t *testing.T) {
	e := testEnv(t)
	token := "prov-" + nonce(t)
	dir := writeProject(t, map[string]string{
		"tok":        token,
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo " + nonce(t) + " > /x\n",
		"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: app
      secrets:
        tok: {type: file, value: tok}
`,
	})
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir,
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}),
		builder.WithLabels(map[string]string{builder.LabelRevision: "abc123"}))
	b.mustPass(t)
	img := readLayout(t, filepath.Join(out, "app"))
	labels := img.config.Config.Labels
	_, busybox, err := builder.ParseImage("busybox=oci-layout://" + filepath.Join(e.images, "busybox"))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		builder.LabelStep:       "app",
		builder.LabelBaseName:   "busybox",
		builder.LabelBaseDigest: busybox.Digest.String(),
		builder.LabelRevision:   "abc123",
	} {
		if labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, labels[k], want)
		}
	}
	var prov []byte
	blobs, err := filepath.Glob(filepath.Join(out, "app", "blobs", "sha256", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range blobs {
		if blob, err := os.ReadFile(p); err == nil && strings.Contains(string(blob), "https://slsa.dev/provenance") {
			prov = blob
		}
	}
	if prov == nil {
		t.Fatal("the layout holds no SLSA provenance attestation")
	}
	if strings.Contains(string(prov), token) {
		t.Error("the provenance attestation holds the secret's value")
	}
}

// TestGateBlocksPublish: a gate command gets an OCI layout of each image
// about to be published; a non-zero exit blocks every publish, a zero exit
// lets it through.
func TestGateBlocksPublish(t *testing.T) {
	e := testEnv(t)
	dir := writeProject(t, map[string]string{
		"Dockerfile": "FROM busybox\nRUN echo " + nonce(t) + " > /x\n",
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: app\n",
	})
	seen := filepath.Join(t.TempDir(), "seen")
	for _, tc := range []struct {
		gate string
		pass bool
	}{
		{gate: "test -f {{oci_dir}}/index.json && echo $WELD_IMAGE >> " + seen, pass: true},
		{gate: "echo refusing; exit 3", pass: false},
	} {
		out := filepath.Join(t.TempDir(), "out")
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir,
			builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}), builder.WithGates(builder.Gate{Run: tc.gate, Source: "test.yml:1:1"}))
		checkGateResult(t, b, tc.gate, tc.pass, e.host)
		if tc.pass {
			b.mustPass(t)
			if dt, _ := os.ReadFile(seen); strings.TrimSpace(string(dt)) != "app" {
				t.Errorf("the gate saw %q, want the image app", dt)
			}
			readLayout(t, filepath.Join(out, "app"))
			continue
		}
		if !errors.Is(b.err, builder.ErrGateFailed) {
			t.Fatalf("gate %q: Run() = %v, want ErrGateFailed", tc.gate, b.err)
		}
		var se *builder.StepError
		if !errors.As(b.err, &se) || !strings.Contains(strings.Join(se.Tail, "\n"), "refusing") {
			t.Errorf("the error does not carry the gate's output: %v", b.err)
		}
		checkNoLayout(t, filepath.Join(out, "app"))
	}
}

// checkGateResult: the step's result names the gate, whether it passed,
// why not, how long it ran, and the daemon (redacted) it ran on.
func checkGateResult(t *testing.T, b build, gate string, pass bool, host string) {
	t.Helper()
	app := b.res.Step("app")
	if app == nil || len(app.Gates) != 1 {
		t.Fatalf("the result's gates = %+v, want one", app)
	}
	g := app.Gates[0]
	if g.Name != gate || g.Source != "test.yml:1:1" || g.Passed != pass || g.Duration <= 0 {
		t.Errorf("gate result %+v, want name %q, source test.yml:1:1, passed %v, a duration", g, gate, pass)
	}
	if !pass && (!strings.Contains(g.Message, "exit status 3") || !strings.Contains(g.Message, "refusing")) {
		t.Errorf("a refusing gate's message %q, want its exit and last line", g.Message)
	}
	if want := builder.RedactAddr(host); app.Daemon != want || want == "" {
		t.Errorf("step daemon %q, want %q", app.Daemon, want)
	}
}
