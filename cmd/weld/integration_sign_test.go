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

// signSetup makes a signProject pushed to repo prefix+nonce:v1 in e's
// registry, with cosign's key pairs cosign (password pw-NONCE) and other
// (password other).
func signSetup(t *testing.T, e pubEnv, prefix string) (n, repo, image, dir string) {
	t.Helper()
	n = nonce(t)
	repo = prefix + n[:12]
	image = e.registry + "/" + repo + ":v1"
	dir = signProject(t, image, n)
	cosignKeyPair(t, dir, "cosign", "pw-"+n)
	cosignKeyPair(t, dir, "other", "other")
	return n, repo, image, dir
}

func TestSignOnPushCosignVerifies(t *testing.T) {
	e := publishEnv(t)
	n, repo, image, dir := signSetup(t, e, "weld-it/sign-")
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
	putManifest(t, registry, repo, to, h.Get("Content-Type"), body)
}

// putManifest PUTs body as the manifest at tag.
func putManifest(t *testing.T, registry, repo, tag, contentType string, body []byte) {
	t.Helper()
	url := fmt.Sprintf("http://%s/v2/%s/manifests/%s", registry, repo, tag)
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT %s = %d, want 201", url, resp.StatusCode)
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
		dir := childProject(t, "weld-it/onsigned:"+n[:8], from, n, "weld.policy.yml", "require_signed_bases:\n"+rules)
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
	w, dir := project(unsignedRef, "  - {pattern: \""+e.registry+"/**\", key: base.pub}\n")
	refused("unsigned registry base", w, "Dockerfile:1: step app: base "+unsignedRef+" is refused by weld.policy.yml:2:5", "no signature")
	lw, code := e.run(t, dir, "lint") // weld lint reads the registry too
	lw.expect(t, code, 1, "Dockerfile:1: step app: base "+unsignedRef+" is refused by weld.policy.yml:2:5", "no signature")
	// Signed, with another key.
	w, _ = project("mybase", "  - {pattern: \"oci-layout://**\", key: other.pub}\n", "--image", "mybase=oci-layout://"+layout)
	refused("wrong key", w, "base mybase (built from oci-layout://"+layout+")", "for key other.pub")

	// Signed with the rule's key (one of two): it builds.
	w, _ = project("mybase", "  - {pattern: \"oci-layout://**\", keys: [other.pub, base.pub]}\n", "--image", "mybase=oci-layout://"+layout)
	w.expect(t, w.run(t, 3*time.Minute), 0)
	w, dir = project(baseRef, "  - {pattern: \""+e.registry+"/**\", key: base.pub}\n")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	lw, code = e.run(t, dir, "lint")
	lw.expect(t, code, 0)
	code, out, _ := e.weldVerify(t, dir, nil, "oci-layout://out/app")
	if code != 0 || !strings.Contains(out, "base "+baseRef+"@"+baseDigest) {
		t.Errorf("the child of the registry base does not record the verified digest %s as its base (exit %d):\n%s", baseDigest, code, out)
	}
}

// TestBannedBasesRefused: weld build and weld lint refuse a base that the
// policy's banned_bases lists, before anything is built: by the ref as
// written (without a daemon), and by the digest the real registry serves
// for its tag (resolved through the real buildkitd); exit 1 naming the
// FROM line, the base and the ban. A base no ban matches builds.
func TestBannedBasesRefused(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	baseRef := e.registry + "/weld-it/bannedbase-" + n[:12] + ":v1"
	w := e.command(signProject(t, baseRef, n), e.host, "--push", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	baseDigest := readMetadata(t, filepath.Join(w.cmd.Dir, "m.json"))["app"].Digest

	project := func(from, ban string) string {
		return childProject(t, "weld-it/onbanned:"+n[:8], from, n, "weld.policy.yml", "# after the CVE\nbanned_bases:\n  - "+ban+"\n")
	}
	nothingRan := func(name string, w *weld, dir string) {
		t.Helper()
		if strings.Contains(w.stderr.String(), "RUN echo") {
			t.Errorf("%s: weld ran a step before refusing the base:\n%s", name, w.stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "m.json")); err == nil {
			t.Errorf("%s: m.json was written: something ran", name)
		}
	}

	// By ref, as written: refused without a daemon; weld lint says the same.
	dir := project("busybox", "busybox")
	w = e.command(dir, "unix:///nonexistent/buildkitd.sock", "--metadata-file", "m.json")
	w.expect(t, w.run(t, time.Minute), 1, "Dockerfile:1: step app: base busybox is refused by weld.policy.yml:3:5 (banned_bases: busybox)")
	if strings.Contains(w.stderr.String(), "nonexistent") {
		t.Errorf("weld contacted the daemon before refusing the banned base:\n%s", w.stderr.String())
	}
	nothingRan("by ref", w, dir)
	lw, code := e.run(t, dir, "lint")
	lw.expect(t, code, 1, "Dockerfile:1: step app: base busybox is refused by weld.policy.yml:3:5 (banned_bases: busybox)")

	// By digest: the registry's tag resolves to a banned digest.
	dir = project(baseRef, "'"+baseDigest+"'")
	w = e.command(dir, e.host, "--metadata-file", "m.json")
	w.expect(t, w.run(t, 2*time.Minute), 1,
		"Dockerfile:1: step app: base "+baseRef+" (built from "+baseRef+"@"+baseDigest+") is refused by weld.policy.yml:3:5 (banned_bases: "+baseDigest+")")
	nothingRan("by digest", w, dir)

	// Another ban: the base builds.
	dir = project(baseRef, "'sha256:"+strings.Repeat("0", 64)+"'")
	w = e.command(dir, e.host, "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
}

// childProject is a project of one step, app (named name), built FROM
// from with a RUN that writes nonce, and the files given as name, content
// pairs.
func childProject(t *testing.T, name, from, nonce string, files ...string) string {
	t.Helper()
	m := map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + name + "\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM " + from + "\nRUN echo " + nonce + " > /child\n",
	}
	for i := 0; i+1 < len(files); i += 2 {
		m[files[i]] = files[i+1]
	}
	return writeProject(t, m)
}

// TestSignAppendsToCosignSignature: a signature the real cosign sign made
// with another key survives weld's signed push (weld appends its own, as
// cosign does), and the real cosign verify accepts both keys; an unchanged
// rebuild signed with the same (randomized ECDSA) key writes no new
// signature.
func TestSignAppendsToCosignSignature(t *testing.T) {
	e := publishEnv(t)
	n, repo, image, dir := signSetup(t, e, "weld-it/sign-append-")
	push := func(args ...string) string {
		t.Helper()
		w := e.command(dir, e.host, append([]string{"--push", "--metadata-file", "m.json"}, args...)...)
		w.cmd.Env = append(w.cmd.Env, "COSIGN_PASSWORD=pw-"+n)
		w.expect(t, w.run(t, 3*time.Minute), 0)
		return readMetadata(t, filepath.Join(dir, "m.json"))["app"].Digest
	}
	digest := push()
	sigTag := strings.Replace(digest, ":", "-", 1) + ".sig"
	if code, out := cosign(t, dir, "other", "sign", "--key", "other.key", "--tlog-upload=false", "--use-signing-config=false",
		"--new-bundle-format=false", "--allow-http-registry", "-y", e.registry+"/"+repo+"@"+digest); code != 0 {
		t.Fatalf("cosign sign exited %d:\n%s", code, out)
	}
	bycosign := manifestDigest(t, e.registry, repo, sigTag)
	if bycosign == "" {
		t.Fatalf("cosign sign wrote no %s (tags %v)", sigTag, tagList(t, e.registry, repo))
	}

	if got := push("--sign-key", "cosign.key"); got != digest {
		t.Fatalf("the signed rebuild has digest %s, want the unchanged %s", got, digest)
	}
	appended := manifestDigest(t, e.registry, repo, sigTag)
	if appended == bycosign {
		t.Errorf("weld's signed push left %s as cosign wrote it: no signature added", sigTag)
	}
	for _, key := range []string{"other.pub", "cosign.pub"} {
		if code, out := cosignVerify(t, dir, key, image); code != 0 {
			t.Errorf("cosign verify --key %s exited %d after weld's push, want 0 (both signatures kept):\n%s", key, code, out)
		}
	}
	push("--sign-key", "cosign.key")
	if again := manifestDigest(t, e.registry, repo, sigTag); again != appended {
		t.Errorf("an unchanged rebuild signed with the same key moved %s from %s to %s, want nothing new", sigTag, appended, again)
	}

	// An attacker rewrites the .sig, and the tag has moved to another
	// image meanwhile: weld cannot add to the .sig, and stops before it
	// moves the tag back.
	tamperSignature(t, e.registry, repo, sigTag)
	mover := e.command(signProject(t, image, n+"-other"), e.host, "--push", "--metadata-file", "m.json")
	mover.expect(t, mover.run(t, 3*time.Minute), 0)
	moved := readMetadata(t, filepath.Join(mover.cmd.Dir, "m.json"))["app"].Digest
	w := e.command(dir, e.host, "--push", "--sign-key", "cosign.key")
	w.cmd.Env = append(w.cmd.Env, "COSIGN_PASSWORD=pw-"+n)
	w.expect(t, w.run(t, 3*time.Minute), 1, "reading the signatures", "delete the tag to start over")
	if got := manifestDigest(t, e.registry, repo, "v1"); got != moved {
		t.Errorf("the tag names %s after the refused push, want %s as before it", got, moved)
	}
}

// tamperSignature rewrites the first signature annotation of the
// signature manifest at tag into text that is not base64.
func tamperSignature(t *testing.T, registry, repo, tag string) {
	t.Helper()
	code, h, body := httpGetFull(t, fmt.Sprintf("http://%s/v2/%s/manifests/%s", registry, repo, tag), manifestAccept)
	var m map[string]any
	if code != http.StatusOK || json.Unmarshal(body, &m) != nil {
		t.Fatalf("GET the signature manifest %s = %d %s", tag, code, body)
	}
	m["layers"].([]any)[0].(map[string]any)["annotations"].(map[string]any)["dev.cosignproject.cosign/signature"] = "!!not base64!!"
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	putManifest(t, registry, repo, tag, h.Get("Content-Type"), body)
}

// TestServeSignsWithPasswordFile: weld serve opens the operator's
// encrypted sign: key with --sign-password-file: a wrong password stops
// it at start (exit 2, naming the policy line), the right one signs every
// pushed build so that the real cosign verify accepts it.
func TestServeSignsWithPasswordFile(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	dir := t.TempDir()
	cosignKeyPair(t, dir, "cosign", "pw-"+n)
	ops := writeFile(t, filepath.Join(dir, "ops.yml"), "sign: {key: cosign.key}\n")
	right := writeFile(t, filepath.Join(dir, "pw"), "pw-"+n+"\n")
	wrong := writeFile(t, filepath.Join(dir, "wrong"), "not-it\n")
	tokens := writeFile(t, filepath.Join(dir, "tokens"), serveTokenA+" a\n")
	w, code := e.run(t, dir, "serve", "--listen", "127.0.0.1:0", "--tokens", tokens, "--state", filepath.Join(dir, "state"),
		"--policy", ops, "--sign-password-file", wrong)
	w.expect(t, code, 2, "ops.yml:1:13: sign.key", "wrong or missing password")

	s, _, _ := serveSetup(t, "unused-secret", "--push", "--policy", ops, "--sign-password-file", right)
	image := e.registry + "/weld-it/serve-sign-" + n[:12] + ":v1"
	id := s.submitTar(t, serveTokenA, "", tarGz(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: " + image + "\n",
		"Dockerfile": "FROM busybox\nRUN echo " + n + " > /x\n",
	}))
	evs := s.follow(t, serveTokenA, id, 3*time.Minute)
	if last := evs[len(evs)-1]; !strings.Contains(last.data, `"status":"succeeded"`) {
		t.Fatalf("the signed build ended %s\nserver log:\n%s", last.data, s.log())
	}
	if code, out := cosignVerify(t, dir, "cosign.pub", image); code != 0 {
		t.Errorf("cosign verify of the image weld serve pushed exited %d, want 0:\n%s", code, out)
	}
}

// TestSignOCIOutputKeepsEarlierSignatures: an OCI folder that already
// holds a signature of the same image keeps it: a run signed with another
// key appends its own (the real cosign verify --local-image accepts both),
// and a rebuild signed again with a key that signed it adds nothing. A
// signature blob an attacker rewrote stops the publish, and the folder
// stays as it was.
func TestSignOCIOutputKeepsEarlierSignatures(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	dir := signProject(t, "weld-it/local-keep:"+n[:8], n)
	ed25519KeyPair(t, dir, "plain")
	cosignKeyPair(t, dir, "cosign", "pw-"+n)
	layout := filepath.Join(dir, "out", "app")
	build := func(code int, key string, want ...string) {
		t.Helper()
		w := e.command(dir, e.host, "-o", "oci:out", "--sign-key", key)
		w.cmd.Env = append(w.cmd.Env, "COSIGN_PASSWORD=pw-"+n)
		w.expect(t, w.run(t, 3*time.Minute), code, want...)
	}
	build(0, "plain.key")
	build(0, "cosign.key")
	for _, key := range []string{"plain.pub", "cosign.pub"} {
		if code, out := cosign(t, dir, "", "verify", "--key", key, "--insecure-ignore-tlog=true", "--local-image", layout); code != 0 {
			t.Errorf("cosign verify --key %s --local-image exited %d, want 0 (both signatures kept):\n%s", key, code, out)
		}
	}
	before := readFile(t, filepath.Join(layout, "index.json"))
	build(0, "cosign.key")
	if after := readFile(t, filepath.Join(layout, "index.json")); after != before {
		t.Errorf("a rebuild signed again with cosign.key rewrote out/app/index.json:\n%s\nwant it as it was:\n%s", after, before)
	}

	idx := readIndex(t, layout)
	sig := idx.Manifests[len(idx.Manifests)-1]
	if sig.ArtifactType != "application/vnd.dev.cosign.artifact.sig.v1+json" {
		t.Fatalf("out/app/index.json = %+v, want the signature last", idx.Manifests)
	}
	blob := filepath.Join(layout, "blobs", "sha256", sig.Digest.Encoded())
	writeFile(t, blob, strings.Replace(readFile(t, blob), "sha256", "sha257", 1))
	build(1, "plain.key", "reading the signatures in out/app", "remove out/app to start over")
	if after := readFile(t, filepath.Join(layout, "index.json")); after != before {
		t.Errorf("the refused run changed out/app/index.json to:\n%s", after)
	}
}
