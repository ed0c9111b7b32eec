//go:build integration

package main

// Signing on publish, checked with the real cosign (scripts/install-cosign.sh
// builds it into $WELD_TOOLS/bin): weld build --sign-key (a key cosign
// generate-key-pair made, opened with $COSIGN_PASSWORD) and the policy's
// sign: {key} (a plain PEM ed25519 key) sign what --push publishes, and
// cosign verify --key accepts it; a wrong key, a moved tag and a replayed
// signature fail; an OCI output carries its signature as a referrer.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cosignBin finds the real cosign, failing the test when it is missing.
func cosignBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("cosign"); err == nil {
		return p
	}
	tools := os.Getenv("WELD_TOOLS")
	if tools == "" {
		tools = filepath.Join(os.Getenv("HOME"), ".local/share/weld/tools")
	}
	p := filepath.Join(tools, "bin", "cosign")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the signing tests need the real cosign (on PATH or in $WELD_TOOLS/bin); run scripts/install-cosign.sh: %v", err)
	}
	return p
}

// cosign runs the real cosign in dir with $COSIGN_PASSWORD set to pw.
func cosign(t *testing.T, dir, pw string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(cosignBin(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+pw, "TUF_ROOT="+filepath.Join(dir, ".sigstore"), "HOME="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("cosign %s did not finish in 2 minutes:\n%s", strings.Join(args, " "), out.String())
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// cosignKeyPair makes prefix.key (encrypted with pw) and prefix.pub in dir
// with cosign generate-key-pair.
func cosignKeyPair(t *testing.T, dir, prefix, pw string) {
	t.Helper()
	if code, out := cosign(t, dir, pw, "generate-key-pair", "--output-key-prefix", prefix); code != 0 {
		t.Fatalf("cosign generate-key-pair exited %d:\n%s", code, out)
	}
}

// ed25519KeyPair writes a plain PEM ed25519 key pair, name.key and name.pub.
func ed25519KeyPair(t *testing.T, dir, name string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, name+".key"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
	writeFile(t, filepath.Join(dir, name+".pub"), string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
}

// cosignVerify runs cosign verify --key KEY --insecure-ignore-tlog=true.
func cosignVerify(t *testing.T, dir, key string, image ...string) (int, string) {
	t.Helper()
	args := append([]string{"verify", "--key", key, "--insecure-ignore-tlog=true", "--allow-http-registry"}, image...)
	return cosign(t, dir, "", args...)
}

func signProject(t *testing.T, name, nonce string) string {
	t.Helper()
	return writeProject(t, map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: ` + name + `
      dockerfile: Dockerfile
`,
		"Dockerfile": "FROM busybox\nRUN echo " + nonce + " > /signed\n",
	})
}

func TestSignOnPushCosignVerifies(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	repo := "weld-it/sign-" + n[:12]
	image := e.registry + "/" + repo + ":v1"
	dir := signProject(t, image, n)
	cosignKeyPair(t, dir, "cosign", "pw-"+n)
	cosignKeyPair(t, dir, "other", "other")
	ed25519KeyPair(t, dir, "plain")
	writeFile(t, filepath.Join(dir, "weld.policy.yml"), "sign: {key: plain.key}\n")

	w := e.command(dir, e.host, "--push", "--sign-key", "cosign.key", "--metadata-file", "m.json")
	w.cmd.Env = append(w.cmd.Env, "COSIGN_PASSWORD=pw-"+n)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	md := readMetadata(t, filepath.Join(dir, "m.json"))["app"]
	sigTag := strings.Replace(md.Digest, ":", "-", 1) + ".sig"
	if manifestDigest(t, e.registry, repo, sigTag) == "" {
		t.Fatalf("the registry has no %s:%s (tags %v)", repo, sigTag, tagList(t, e.registry, repo))
	}
	for _, key := range []string{"cosign.pub", "plain.pub"} {
		if code, out := cosignVerify(t, dir, key, image); code != 0 {
			t.Errorf("cosign verify --key %s %s exited %d, want 0:\n%s", key, image, code, out)
		}
	}
	if code, out := cosignVerify(t, dir, "other.pub", image); code == 0 {
		t.Errorf("cosign verify with a key that did not sign exited 0, want a failure:\n%s", out)
	}

	// Tampering: the tag moves to another (unsigned) image, and an
	// attacker replays the first image's signature under the new digest's
	// signature tag. cosign refuses both.
	other := signProject(t, image, n+"-other")
	w2 := e.command(other, e.host, "--push", "--metadata-file", "m.json")
	w2.expect(t, w2.run(t, 3*time.Minute), 0)
	moved := readMetadata(t, filepath.Join(other, "m.json"))["app"].Digest
	if code, out := cosignVerify(t, dir, "cosign.pub", image); code == 0 {
		t.Errorf("cosign verify of the moved tag (unsigned %s) exited 0, want a failure:\n%s", moved, out)
	}
	replaySignature(t, e.registry, repo, sigTag, strings.Replace(moved, ":", "-", 1)+".sig")
	if code, out := cosignVerify(t, dir, "cosign.pub", image); code == 0 || !strings.Contains(out, "digest") {
		t.Errorf("cosign verify with a replayed signature exited %d, want a digest mismatch:\n%s", code, out)
	}
	// The signed digest itself still verifies.
	if code, out := cosignVerify(t, dir, "cosign.pub", e.registry+"/"+repo+"@"+md.Digest); code != 0 {
		t.Errorf("cosign verify of the signed digest exited %d, want 0:\n%s", code, out)
	}
}

// replaySignature copies the signature manifest at tag from to tag to.
func replaySignature(t *testing.T, registry, repo, from, to string) {
	t.Helper()
	url := fmt.Sprintf("http://%s/v2/%s/manifests/", registry, repo)
	code, h, body := httpGetFull(t, url+from, manifestAccept)
	if code != http.StatusOK {
		t.Fatalf("GET %s%s = %d", url, from, code)
	}
	req, err := http.NewRequest(http.MethodPut, url+to, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", h.Get("Content-Type"))
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT %s%s = %d, want 201", url, to, resp.StatusCode)
	}
}

// TestSignBadKeyPublishesNothing: a wrong password (or a key that is not
// one) stops the run before anything is built: exit 2, naming the key,
// and nothing in the registry.
func TestSignBadKeyPublishesNothing(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	repo := "weld-it/signbad-" + n[:12]
	dir := signProject(t, e.registry+"/"+repo+":v1", n)
	cosignKeyPair(t, dir, "cosign", "right")
	writeFile(t, filepath.Join(dir, "pw"), "wrong\n")
	w := e.command(dir, e.host, "--push", "--sign-key", "cosign.key", "--sign-password-file", "pw")
	w.expect(t, w.run(t, 2*time.Minute), 2, "--sign-key cosign.key", "wrong or missing password")
	writeFile(t, filepath.Join(dir, "weld.policy.yml"), "sign: {key: cosign.pub}\n")
	w = e.command(dir, e.host, "--push")
	w.expect(t, w.run(t, 2*time.Minute), 2, "weld.policy.yml:1:13: sign.key", "holds a public key")
	if strings.Contains(w.stderr.String(), "RUN echo") {
		t.Errorf("a step ran although the key could not be read:\n%s", w.stderr.String())
	}
	if tags := tagList(t, e.registry, repo); len(tags) > 0 {
		t.Errorf("the registry holds %v after runs that could not sign, want nothing", tags)
	}
}

// TestSignOCIOutputReferrer: an OCI output holds the signature beside the
// image, as a referrer that cosign verify --local-image accepts.
func TestSignOCIOutputReferrer(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	dir := signProject(t, "weld-it/local:"+n[:8], n)
	ed25519KeyPair(t, dir, "plain")
	w := e.command(dir, e.host, "-o", "oci:out", "--sign-key", "plain.key")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	idx := readIndex(t, filepath.Join(dir, "out", "app"))
	if len(idx.Manifests) != 2 || idx.Manifests[1].ArtifactType != "application/vnd.dev.cosign.artifact.sig.v1+json" {
		t.Fatalf("out/app/index.json = %+v, want the image and its signature referrer", idx.Manifests)
	}
	if code, out := cosign(t, dir, "", "verify", "--key", "plain.pub", "--insecure-ignore-tlog=true", "--local-image", filepath.Join(dir, "out", "app")); code != 0 {
		t.Errorf("cosign verify --local-image exited %d, want 0:\n%s", code, out)
	}
}

// weldVerify runs weld verify ARGS… in dir and returns its exit code,
// stdout and stderr.
func (e cliEnv) weldVerify(t *testing.T, dir string, extraEnv []string, args ...string) (int, string, string) {
	t.Helper()
	w := &weld{cmd: exec.Command(e.bin, append([]string{"verify"}, args...)...)}
	w.cmd.Dir = dir
	w.cmd.Env = append(append(os.Environ(), extraEnv...), "HOME="+dir)
	var out bytes.Buffer
	w.cmd.Stdout, w.cmd.Stderr = &out, &w.stderr
	code := w.run(t, time.Minute)
	return code, out.String(), w.stderr.String()
}

// TestVerifyImages: weld verify says a signed weld image is safe (exit 0)
// in a registry and in an OCI layout; an unsigned one, one signed by
// another key, one whose base is banned, one not built by weld and a
// loaded image whose signature cannot be found are not (exit 1, with the
// reason); bad usage exits 2.
func TestVerifyImages(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	repo := e.registry + "/weld-it/verify-" + n[:12]
	dir := signProject(t, repo+":signed", n)
	cosignKeyPair(t, dir, "cosign", "pw")
	cosignKeyPair(t, dir, "other", "pw")
	w := e.command(dir, e.host, "--push", "-o", "oci:out", "--sign-key", "cosign.key")
	w.cmd.Env = append(w.cmd.Env, "COSIGN_PASSWORD=pw")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	unsigned := signProject(t, repo+":unsigned", n+"-u")
	w = e.command(unsigned, e.host, "--push")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	writeFile(t, filepath.Join(dir, "banned.yml"), "banned_bases:\n  - busybox\n")
	writeFile(t, filepath.Join(dir, "other-ban.yml"), "banned_bases:\n  - registry.example/base:1\n")

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"signed in the registry", []string{"--key", "cosign.pub", "--policy", "other-ban.yml", repo + ":signed"}, 0, "signed with cosign.pub"},
		{"signed in the OCI layout", []string{"--key", "cosign.pub", "oci-layout://out/app"}, 0, "built by weld"},
		{"either key", []string{"--key", "other.pub", "--key", "cosign.pub", repo + ":signed"}, 0, "safe"},
		{"unsigned", []string{"--key", "cosign.pub", repo + ":unsigned"}, 1, "NOT SAFE: signature: not signed"},
		{"wrong key", []string{"--key", "other.pub", repo + ":signed"}, 1, "NOT SAFE: signature"},
		{"banned base", []string{"--key", "cosign.pub", "--policy", "banned.yml", repo + ":signed"}, 1, "banned by banned.yml:2:5"},
		{"one bad of two", []string{"--key", "cosign.pub", repo + ":signed", repo + ":unsigned"}, 1, repo + ":unsigned: NOT SAFE"},
		{"not weld's", []string{oci("busybox", e)}, 1, "not built by weld: no label dev.weld.step"},
		{"missing", []string{repo + ":nope"}, 1, "NOT SAFE: read"},
		{"bad format", []string{"--format", "xml", repo + ":signed"}, 2, ""},
		{"bad scheme", []string{"http://" + repo}, 2, ""},
		{"no image", nil, 2, ""},
		{"bad key file", []string{"--key", "cosign.key", repo + ":signed"}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := e.weldVerify(t, dir, nil, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("weld verify %s exited %d, want %d with %q; stdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, stderr)
			}
		})
	}
	// An image in the docker engine: its labels are read there; an image
	// the engine only loaded has no registry digest to find a signature by.
	loaded := "weld-it/verify-" + n[:12] + ":loaded"
	ld := signProject(t, loaded, n+"-l")
	w = e.command(ld, e.host, "--load").withDockerHost(e.dockerHost)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	env := []string{"DOCKER_HOST=" + e.dockerHost}
	if code, out, stderr := e.weldVerify(t, dir, env, "--policy", "other-ban.yml", "docker-daemon:"+loaded); code != 0 || !strings.Contains(out, "docker engine") {
		t.Errorf("weld verify docker-daemon:%s exited %d, want 0 (labels read from the engine):\n%s%s", loaded, code, out, stderr)
	}
	if code, out, _ := e.weldVerify(t, dir, env, "--key", "cosign.pub", "docker-daemon:"+loaded); code != 1 || !strings.Contains(out, "no registry digest") {
		t.Errorf("weld verify --key docker-daemon:%s exited %d, want 1 (no signature to find):\n%s", loaded, code, out)
	}

	code, out, _ := e.weldVerify(t, dir, nil, "--format", "json", "--key", "cosign.pub", "--policy", "banned.yml", repo+":signed")
	var got struct {
		Images []struct {
			Safe   bool   `json:"safe"`
			Digest string `json:"digest"`
			Checks []struct {
				Name string `json:"name"`
				OK   bool   `json:"ok"`
			} `json:"checks"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 || len(got.Images) != 1 || got.Images[0].Safe {
		t.Fatalf("weld verify --format json = %d, %v, %s; want exit 1 and one unsafe image", code, err, out)
	}
	if c := got.Images[0].Checks; len(c) != 4 || !c[1].OK || c[3].Name != "base" || c[3].OK {
		t.Errorf("checks = %+v, want read, signature ok, labels, base failed", c)
	}
}

// oci is the oci-layout:// form of a test base image.
func oci(name string, e pubEnv) string { return "oci-layout://" + filepath.Join(e.images, name) }

// TestSignedBases: require_signed_bases refuses an unsigned base and one
// signed with another key, before any daemon is contacted (exit 1, naming
// the Dockerfile line, the base and the rule); a base signed with the
// rule's key builds, from an OCI layout (its referrer) and from the
// registry (cosign's .sig tag), the latter from exactly the digest that
// was verified.
func TestSignedBases(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	baseRef := e.registry + "/weld-it/signedbase-" + n[:12] + ":v1"
	unsignedRef := e.registry + "/weld-it/unsignedbase-" + n[:12] + ":v1"
	basedir := signProject(t, baseRef, n)
	ed25519KeyPair(t, basedir, "base")
	ed25519KeyPair(t, basedir, "other")
	w := e.command(basedir, e.host, "--push", "-o", "oci:out", "--sign-key", "base.key", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	baseDigest := readMetadata(t, filepath.Join(basedir, "m.json"))["app"].Digest
	w = e.command(signProject(t, unsignedRef, n+"-u"), e.host, "--push")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	layout := filepath.Join(basedir, "out", "app")

	project := func(from, rules string, extra ...string) (*weld, string) {
		dir := writeProject(t, map[string]string{
			"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: weld-it/onsigned:` + n[:8] + `
      dockerfile: Dockerfile
`,
			"Dockerfile":      "FROM " + from + "\nRUN echo " + n + " > /child\n",
			"weld.policy.yml": "require_signed_bases:\n" + rules,
		})
		for _, k := range []string{"base.pub", "other.pub"} {
			data, err := os.ReadFile(filepath.Join(basedir, k))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, k), string(data))
		}
		return e.command(dir, e.host, append([]string{"-o", "oci:out", "--metadata-file", "m.json"}, extra...)...), dir
	}
	refused := func(name string, w *weld, want ...string) {
		t.Helper()
		w.cmd.Env = append(w.cmd.Env, "BUILDKIT_HOST=unix:///nonexistent/buildkitd.sock")
		w.expect(t, w.run(t, time.Minute), 1, want...)
		if strings.Contains(w.stderr.String(), "nonexistent") || strings.Contains(w.stderr.String(), "RUN echo") {
			t.Errorf("%s: weld contacted the daemon or ran a step before refusing the base:\n%s", name, w.stderr.String())
		}
	}

	// Unsigned: the offline busybox layout, and an unsigned registry image.
	w, _ = project("busybox", "  - {pattern: busybox, key: base.pub}\n")
	refused("unsigned layout", w, "Dockerfile:1: step app: base busybox (built from oci-layout://"+filepath.Join(e.images, "busybox")+") is refused by weld.policy.yml:2:5 (require_signed_bases: busybox): ", "the image has no signature")
	w, _ = project(unsignedRef, "  - {pattern: \""+e.registry+"/**\", key: base.pub}\n")
	refused("unsigned registry base", w, "Dockerfile:1: step app: base "+unsignedRef+" is refused by weld.policy.yml:2:5", "no signature")
	// Signed, with another key.
	w, _ = project("mybase", "  - {pattern: \"oci-layout://**\", key: other.pub}\n", "--image", "mybase=oci-layout://"+layout)
	refused("wrong key", w, "base mybase (built from oci-layout://"+layout+")", "for key other.pub")

	// Signed with the rule's key (one of two): it builds.
	w, dir := project("mybase", "  - {pattern: \"oci-layout://**\", keys: [other.pub, base.pub]}\n", "--image", "mybase=oci-layout://"+layout)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	w, dir = project(baseRef, "  - {pattern: \""+e.registry+"/**\", key: base.pub}\n")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	code, out, _ := e.weldVerify(t, dir, nil, "oci-layout://out/app")
	if code != 0 || !strings.Contains(out, "base "+baseRef+"@"+baseDigest) {
		t.Errorf("the child of the registry base does not record the verified digest %s as its base (exit %d):\n%s", baseDigest, code, out)
	}
}
