//go:build integration

package main

// cosign 3's default signature format: cosign sign (without
// --new-bundle-format=false) writes a sigstore bundle as an OCI referrer
// of the image (through the referrers tag schema here: the registry has
// no referrers API) and no .sig tag. weld reads it wherever it reads a
// .sig: require_signed_bases and weld verify.

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCosign3BundleSignatures: a base the real cosign 3 signed in its
// default format passes require_signed_bases with the signer's key and is
// refused with a stranger's (before any daemon is contacted); weld verify
// exits 0 with the key and 1 with the stranger's, and 1 for an image whose
// referrers an attacker gave another image's bundle.
func TestCosign3BundleSignatures(t *testing.T) {
	e := publishEnv(t)
	n := nonce(t)
	repo := "weld-it/bundlebase-" + n[:12]
	baseRef := e.registry + "/" + repo + ":v1"
	basedir := signProject(t, baseRef, n)
	cosignKeyPair(t, basedir, "cosign", "pw-"+n)
	cosignKeyPair(t, basedir, "stranger", "x")
	w := e.command(basedir, e.host, "--push", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	digest := readMetadata(t, filepath.Join(basedir, "m.json"))["app"].Digest
	if code, out := cosign(t, basedir, "pw-"+n, "sign", "--key", "cosign.key", "--tlog-upload=false", "--use-signing-config=false",
		"--allow-http-registry", "-y", e.registry+"/"+repo+"@"+digest); code != 0 {
		t.Fatalf("cosign sign exited %d:\n%s", code, out)
	}
	tags := tagList(t, e.registry, repo)
	referrersTag := strings.Replace(digest, ":", "-", 1)
	if strings.Contains(strings.Join(tags, " "), ".sig") || !strings.Contains(strings.Join(tags, " "), referrersTag) {
		t.Fatalf("cosign sign wrote tags %v, want the referrers tag %s and no .sig (its default bundle format)", tags, referrersTag)
	}
	if code, out := cosignVerify(t, basedir, "cosign.pub", baseRef); code != 0 {
		t.Fatalf("the real cosign verify refuses its own bundle (exit %d):\n%s", code, out)
	}

	// weld verify: the signature check passes with the signer's key only.
	code, out, errOut := e.weldVerify(t, basedir, nil, "--key", "cosign.pub", baseRef)
	if code != 0 || !strings.Contains(out, "signed with cosign.pub") {
		t.Errorf("weld verify --key cosign.pub = exit %d, want 0 and signed with cosign.pub:\n%s%s", code, out, errOut)
	}
	code, out, errOut = e.weldVerify(t, basedir, nil, "--key", "stranger.pub", baseRef)
	if code != 1 || !strings.Contains(out, "no valid signature for key stranger.pub") {
		t.Errorf("weld verify --key stranger.pub = exit %d, want 1 and no valid signature:\n%s%s", code, out, errOut)
	}

	// An attacker replays the bundle as a referrer of another image in the
	// repository: its statement names the signed digest, not this one.
	replayRef := e.registry + "/" + repo + ":replay"
	w = e.command(signProject(t, replayRef, n+"-replay"), e.host, "--push", "--metadata-file", "m.json")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	replayDigest := readMetadata(t, filepath.Join(w.cmd.Dir, "m.json"))["app"].Digest
	code, _, index := httpGetFull(t, fmt.Sprintf("http://%s/v2/%s/manifests/%s", e.registry, repo, referrersTag), manifestAccept)
	if code != http.StatusOK {
		t.Fatalf("GET the referrers index %s = %d %s", referrersTag, code, index)
	}
	putManifest(t, e.registry, repo, strings.Replace(replayDigest, ":", "-", 1), "application/vnd.oci.image.index.v1+json", index)
	code, out, errOut = e.weldVerify(t, basedir, nil, "--key", "cosign.pub", replayRef)
	if code != 1 || !strings.Contains(out, "is of "+digest+", not of "+replayDigest) {
		t.Errorf("weld verify of an image with a replayed bundle = exit %d, want 1 and the bundle is of %s:\n%s%s", code, digest, out, errOut)
	}

	project := func(key string) *weld {
		dir := childProject(t, "weld-it/onbundle:"+n[:8], baseRef, n, "weld.policy.yml",
			"require_signed_bases:\n  - {pattern: \""+e.registry+"/**\", key: "+key+"}\n")
		data, err := os.ReadFile(filepath.Join(basedir, key))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, key), string(data))
		return e.command(dir, e.host, "-o", "oci:out", "--metadata-file", "m.json")
	}
	w = project("stranger.pub")
	w.cmd.Env = append(w.cmd.Env, "BUILDKIT_HOST=unix:///nonexistent/buildkitd.sock")
	w.expect(t, w.run(t, time.Minute), 1, "Dockerfile:1: step app: base "+baseRef+" is refused by weld.policy.yml:2:5", "for key stranger.pub")
	if strings.Contains(w.stderr.String(), "nonexistent") {
		t.Errorf("weld contacted the daemon before refusing the base:\n%s", w.stderr.String())
	}
	w = project("cosign.pub")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	code, out, _ = e.weldVerify(t, w.cmd.Dir, nil, "oci-layout://out/app")
	if code != 0 || !strings.Contains(out, "base "+baseRef+"@"+digest) {
		t.Errorf("the child does not record the verified base digest %s (exit %d):\n%s", digest, code, out)
	}
}
