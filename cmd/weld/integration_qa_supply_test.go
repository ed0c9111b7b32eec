//go:build integration

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ecdsaKeyPair writes a plain PEM ECDSA P-256 key pair, name.key and
// name.pub; sec1 writes the key as "EC PRIVATE KEY" (openssl ecparam's
// form), else PKCS #8 ("PRIVATE KEY").
func ecdsaKeyPair(t *testing.T, dir, name string, sec1 bool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block := &pem.Block{Type: "PRIVATE KEY"}
	if sec1 {
		block.Type = "EC PRIVATE KEY"
		block.Bytes, err = x509.MarshalECPrivateKey(priv)
	} else {
		block.Bytes, err = x509.MarshalPKCS8PrivateKey(priv)
	}
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, name+".key"), string(pem.EncodeToMemory(block)))
	writeFile(t, filepath.Join(dir, name+".pub"), string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
}

// TestQASignPlainECDSAKeys: plain PEM ECDSA P-256 keys (PKCS #8 and SEC 1)
// sign a push and an OCI output in one run; the real cosign verify accepts
// each key on the registry image and on the layout (--local-image), and
// refuses a P-256 key that did not sign, on both; weld verify agrees, on
// the registry, the layout and the image pulled into the docker engine, and
// refuses the layout once a layer in it was rewritten.
func TestQASignPlainECDSAKeys(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	image := e.registry + "/weld-it/sign-ecdsa-" + n[:12] + ":v1"
	dir := signProject(t, image, n)
	ecdsaKeyPair(t, dir, "pkcs8", false)
	ecdsaKeyPair(t, dir, "sec1", true)
	ecdsaKeyPair(t, dir, "stranger", false)
	w := e.command(dir, e.host, "--push", "-o", "oci:out", "--sign-key", "pkcs8.key", "--sign-key", "sec1.key")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	layout := filepath.Join(dir, "out", "app")
	for _, key := range []string{"pkcs8.pub", "sec1.pub"} {
		if code, out := cosignVerify(t, dir, key, image); code != 0 {
			t.Errorf("cosign verify --key %s %s exited %d, want 0:\n%s", key, image, code, out)
		}
		if code, out := cosign(t, dir, "", "verify", "--key", key, "--insecure-ignore-tlog=true", "--local-image", layout); code != 0 {
			t.Errorf("cosign verify --key %s --local-image exited %d, want 0:\n%s", key, code, out)
		}
	}
	if code, out := cosignVerify(t, dir, "stranger.pub", image); code == 0 {
		t.Errorf("cosign verify with a key that did not sign exited 0:\n%s", out)
	}
	if code, out := cosign(t, dir, "", "verify", "--key", "stranger.pub", "--insecure-ignore-tlog=true", "--local-image", layout); code == 0 {
		t.Errorf("cosign verify --local-image with a key that did not sign exited 0:\n%s", out)
	}
	// weld verify agrees with cosign on the same three keys.
	if code, out, stderr := e.weldVerify(t, dir, nil, "--key", "sec1.pub", image); code != 0 {
		t.Errorf("weld verify --key sec1.pub exited %d, want 0:\n%s%s", code, out, stderr)
	}
	if code, out, _ := e.weldVerify(t, dir, nil, "--key", "stranger.pub", "oci-layout://out/app"); code != 1 {
		t.Errorf("weld verify --key stranger.pub of the layout exited %d, want 1:\n%s", code, out)
	}

	// The image pulled into the docker engine: its labels are read there,
	// its signature from the registry of its repo digest.
	if out, err := e.docker("pull", "-q", image); err != nil {
		t.Fatalf("docker pull %s: %v\n%s", image, err, out)
	}
	env := []string{"DOCKER_HOST=" + e.dockerHost}
	if code, out, stderr := e.weldVerify(t, dir, env, "--key", "pkcs8.pub", "docker-daemon:"+image); code != 0 || !strings.Contains(out, "signature from "+strings.Split(image, ":v1")[0]+"@sha256:") {
		t.Errorf("weld verify --key pkcs8.pub docker-daemon:%s exited %d, want 0 with the signature read by the repo digest:\n%s%s", image, code, out, stderr)
	}
	if code, out, _ := e.weldVerify(t, dir, env, "--key", "stranger.pub", "docker-daemon:"+image); code != 1 {
		t.Errorf("weld verify --key stranger.pub docker-daemon:%s exited %d, want 1:\n%s", image, code, out)
	}

	// An attacker rewrites the image's top layer in the folder: the
	// signature (of the root's digest) still verifies, but weld verify
	// hashes every blob and says NOT SAFE.
	if code, out, stderr := e.weldVerify(t, dir, nil, "--key", "sec1.pub", "oci-layout://out/app"); code != 0 {
		t.Fatalf("weld verify of the untouched layout exited %d, want 0:\n%s%s", code, out, stderr)
	}
	idx := readIndex(t, layout)
	var root ocispecs.Index
	readJSONFile(t, blobOf(layout, idx.Manifests[0].Digest.Encoded()), &root)
	var man ocispecs.Manifest
	readJSONFile(t, blobOf(layout, root.Manifests[0].Digest.Encoded()), &man)
	top := man.Layers[len(man.Layers)-1].Digest
	p := blobOf(layout, top.Encoded())
	dt, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	dt[len(dt)/2] ^= 0xff
	_ = os.Chmod(p, 0o644)
	writeFile(t, p, string(dt))
	if code, out, _ := e.weldVerify(t, dir, nil, "--key", "sec1.pub", "oci-layout://out/app"); code != 1 || !strings.Contains(out, top.String()+": content does not match its digest") {
		t.Errorf("weld verify of a layout whose layer %s was rewritten exited %d, want 1 naming the layer:\n%s", top, code, out)
	}
}

func blobOf(layout, hex string) string { return filepath.Join(layout, "blobs", "sha256", hex) }

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(dt, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
