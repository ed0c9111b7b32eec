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
