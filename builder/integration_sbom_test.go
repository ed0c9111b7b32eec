//go:build integration

package builder_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/sbom"
)

// The SBOM weld attaches to every published image (sbom.go), read back
// from the OCI layouts of builds on the real buildkitd.

// layoutSBOM is the SPDX document of the image in the OCI layout dir: the
// one in-toto SPDX layer of the attestation manifest that refers to the
// image, where BuildKit puts its own.
func layoutSBOM(t *testing.T, dir string) sbom.Document {
	t.Helper()
	read := func(path string, v any) {
		t.Helper()
		dt, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(dt, v); err != nil {
			t.Fatalf("parsing %s: %v", path, err)
		}
	}
	blob := func(d ocispecs.Descriptor, v any) {
		t.Helper()
		read(filepath.Join(dir, "blobs", d.Digest.Algorithm().String(), d.Digest.Encoded()), v)
	}
	var layout, idx ocispecs.Index
	read(filepath.Join(dir, "index.json"), &layout)
	if len(layout.Manifests) != 1 || layout.Manifests[0].MediaType != ocispecs.MediaTypeImageIndex {
		t.Fatalf("%s: root %v, want one image index", dir, layout.Manifests)
	}
	blob(layout.Manifests[0], &idx)
	var image string
	for _, m := range idx.Manifests {
		if m.Annotations["vnd.docker.reference.type"] == "" {
			image = m.Digest.String()
		}
	}
	var docs []sbom.Document
	for _, m := range idx.Manifests {
		if m.Annotations["vnd.docker.reference.type"] != "attestation-manifest" || m.Annotations["vnd.docker.reference.digest"] != image {
			continue
		}
		var man ocispecs.Manifest
		blob(m, &man)
		for _, l := range man.Layers {
			if l.MediaType == "application/vnd.in-toto+json" && l.Annotations["in-toto.io/predicate-type"] == sbom.PredicateType {
				var st struct{ Predicate sbom.Document }
				blob(l, &st)
				docs = append(docs, st.Predicate)
			}
		}
	}
	if len(docs) != 1 {
		t.Fatalf("%s: %d SPDX attestations of image %s, want 1", dir, len(docs), image)
	}
	return docs[0]
}

// purlsOf are the package URLs the document lists.
func purlsOf(d sbom.Document) []string {
	var out []string
	for _, p := range d.Packages {
		if u := p.Purl(); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// TestSBOMOSPackages: images on an Alpine-style base (an apk installed
// database) and a Debian-style base (a dpkg status file), both made in the
// test, list their packages, and every file of their layers by digest.
func TestSBOMOSPackages(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"installed":       "P:musl\nV:1.2.5-r0\nA:x86_64\n\nP:weld-it-" + n[:8] + "\nV:1.0-r1\nA:x86_64\no:weld-it\n",
		"status":          "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\nArchitecture: amd64\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n",
		"os-release.apk":  "ID=alpine\nVERSION_ID=3.20.0\n",
		"os-release.deb":  "ID=debian\nVERSION_ID=12\n",
		"Dockerfile.apk":  "FROM busybox\nCOPY installed /lib/apk/db/installed\nCOPY os-release.apk /etc/os-release\n",
		"Dockerfile.deb":  "FROM busybox\nCOPY status /var/lib/dpkg/status\nCOPY os-release.deb /etc/os-release\n",
		"Dockerfile.apk2": "FROM weld-it/apkbase\nRUN echo " + n + " > /app.txt\n",
		"Dockerfile.deb2": "FROM weld-it/debbase\nRUN echo " + n + " > /app.txt\n",
		"build.yml": `build:
  version: 2016-03-14
  steps:
    apkbase: {name: weld-it/apkbase, dockerfile: Dockerfile.apk, publish: false}
    debbase: {name: weld-it/debbase, dockerfile: Dockerfile.deb, publish: false}
    apkapp: {name: weld-it/apkapp, dockerfile: Dockerfile.apk2, depends_on: [apkbase]}
    debapp: {name: weld-it/debapp, dockerfile: Dockerfile.deb2, depends_on: [debbase]}
`,
	})
	out := filepath.Join(t.TempDir(), "out")
	b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
	b.mustPass(t)
	for _, tc := range []struct {
		step string
		want []string
		not  string
	}{
		{"apkapp", []string{"pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64", "pkg:apk/alpine/weld-it-" + n[:8] + "@1.0-r1?arch=x86_64&upstream=weld-it"}, "pkg:deb/"},
		{"debapp", []string{"pkg:deb/debian/libc6@2.36-9?arch=amd64"}, "gone"},
	} {
		doc := layoutSBOM(t, filepath.Join(out, tc.step))
		got := purlsOf(doc)
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: SBOM packages %v, want %s", tc.step, got, w)
			}
		}
		if slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tc.not) }) {
			t.Errorf("%s: SBOM packages %v, want none with %q", tc.step, got, tc.not)
		}
		var files []string
		for _, f := range doc.Files {
			if len(f.Checksums) == 2 && f.Checksums[1].Algorithm == "SHA256" && len(f.Checksums[1].Value) == 64 {
				files = append(files, f.FileName)
			}
		}
		for _, w := range []string{"/app.txt", "/bin/busybox"} {
			if !slices.Contains(files, w) {
				t.Errorf("%s: SBOM files with a sha256 do not include %s (%d files)", tc.step, w, len(files))
			}
		}
		if doc.SPDXVersion != "SPDX-2.3" || doc.Name != "weld-it/"+tc.step {
			t.Errorf("%s: document %s named %q", tc.step, doc.SPDXVersion, doc.Name)
		}
	}
}

// TestSBOMLeakScanned: a secret that lands in the SBOM (as a file name in
// a layer) is caught in the attestation too, so the SBOM is scanned like
// every attestation, also when the image is checked inside its session
// (--cache-to); without the SBOM only the layer is named.
func TestSBOMLeakScanned(t *testing.T) {
	e := testEnv(t)
	token := "sbomleak" + nonce(t)[:12]
	dir := writeProject(t, map[string]string{
		"tok":        token,
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok touch \"/f-$(cat /run/secrets/tok)\"\n",
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-it/sbomleak\n      dockerfile: Dockerfile\n      secrets:\n        tok: {type: file, value: tok}\n",
	})
	for _, tc := range []struct {
		on, cacheTo bool
	}{{true, false}, {false, false}, {true, true}} {
		on := tc.on
		out := filepath.Join(t.TempDir(), "out")
		opts := []builder.Option{builder.WithSBOM(on), builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out})}
		if tc.cacheTo { // the image is then checked inside its session, before its cache goes out
			to, err := builder.ParseCache("type=local,dest=" + filepath.Join(t.TempDir(), "cache"))
			if err != nil {
				t.Fatal(err)
			}
			opts = append(opts, builder.WithCacheTo(to))
		}
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, opts...)
		if b.err == nil || !strings.Contains(b.err.Error(), "layer sha256:") {
			t.Fatalf("WithSBOM(%v), cache-to %v: Run = %v, want the leak in the layer refused", on, tc.cacheTo, b.err)
		}
		if got := strings.Contains(b.err.Error(), "attestation sha256:"); got != on {
			t.Errorf("WithSBOM(%v), cache-to %v: the error names an attestation: %v, want %v: %v", on, tc.cacheTo, got, on, b.err)
		}
		if strings.Contains(b.err.Error(), token) {
			t.Errorf("the error holds the secret: %v", b.err)
		}
		checkNoLayout(t, filepath.Join(out, "app"))
	}
}

// checkSecretappSBOM: the SBOM of secretapp's scratch image lists the
// binary's main module and what it depends on: secretapp has no module
// dependency, so that is the Go standard library it was built with.
func checkSecretappSBOM(t *testing.T, dir string) {
	t.Helper()
	doc := layoutSBOM(t, dir)
	var main, std string
	for _, p := range doc.Packages {
		switch {
		case p.Name == "secretapp" && p.Purl() == "pkg:golang/secretapp@%28devel%29":
			main = p.SPDXID
			if p.SourceInfo != "Go build info of /secretapp" {
				t.Errorf("secretapp's module was found in %q, want /secretapp", p.SourceInfo)
			}
		case p.Name == "stdlib" && strings.HasPrefix(p.Purl(), "pkg:golang/stdlib@1.26"):
			std = p.SPDXID
		}
	}
	if main == "" || std == "" {
		t.Fatalf("SBOM packages %v, want the module secretapp and the stdlib of go1.26", purlsOf(doc))
	}
	if !slices.Contains(doc.Relationships, sbom.Relationship{Element: main, Type: "DEPENDS_ON", Related: std}) {
		t.Errorf("secretapp does not depend on the stdlib in %v", doc.Relationships)
	}
	if len(doc.Files) != 1 || doc.Files[0].FileName != "/secretapp" {
		t.Errorf("SBOM files %v, want /secretapp alone", doc.Files)
	}
}
