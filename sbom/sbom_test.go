package sbom

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
)

// entry is one tar entry of a test layer: a file, a whiteout (name
// .wh.X), a hard link (link set) or a folder (dir).
type entry struct {
	name, data, link string
	dir              bool
}

// layer makes a layer blob of entries, compressed by comp ("", "gzip",
// "zstd").
func layer(t *testing.T, comp string, entries ...entry) Layer {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		switch {
		case e.dir:
			h.Typeflag, h.Size, h.Mode = tar.TypeDir, 0, 0o755
		case e.link != "":
			h.Typeflag, h.Size, h.Linkname = tar.TypeLink, 0, e.link
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	blob := raw.Bytes()
	switch comp {
	case "gzip":
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(blob)
		zw.Close()
		blob = b.Bytes()
	case "zstd":
		zw, _ := zstd.NewWriter(nil)
		blob = zw.EncodeAll(blob, nil)
	}
	return Layer{Digest: digest.FromBytes(blob), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	}}
}

// goBinary builds testdata/gobin (it depends on golang.org/x/sync) and
// returns its bytes.
func goBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "gobin")
	cmd := exec.Command("go", "build", "-o", out, "./testdata/gobin")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the test binary: %v\n%s", err, b)
	}
	dt, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}

func generate(t *testing.T, layers ...Layer) *Document {
	t.Helper()
	d, err := Generate(context.Background(), Image{Name: "example.com/app:1", Digest: digest.FromString("manifest"), Layers: layers}, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return d
}

func purls(d *Document) []string {
	var out []string
	for _, p := range d.Packages {
		if u := p.Purl(); u != "" {
			out = append(out, u)
		}
	}
	return out
}

const apkInstalled = `C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
o:musl
T:the musl c library
L:MIT

C:Q1def=
P:busybox-binsh
V:1.36.1-r15
A:x86_64
o:busybox
`

const dpkgStatusText = `Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc (2.36-9)
Version: 2.36-9+deb12u4
Description: GNU C Library
 a continuation line: Package: not-a-package

Package: removed-pkg
Status: deinstall ok config-files
Version: 1.0
Architecture: amd64

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
`

func TestGoBinary(t *testing.T) {
	bin := goBinary(t)
	d := generate(t, layer(t, "gzip", entry{name: "usr/", dir: true}, entry{name: "usr/bin/app", data: bin}))
	got := purls(d)
	for _, want := range []string{"pkg:golang/github.com/weld-build/weld@%28devel%29", "pkg:golang/golang.org/x/sync@v0.24.0"} {
		if !slices.Contains(got, want) {
			t.Errorf("purls = %v, want %s among them", got, want)
		}
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "pkg:golang/stdlib@1.") }) {
		t.Errorf("purls = %v, want the stdlib", got)
	}
	var main, dep string
	for _, p := range d.Packages {
		switch p.Name {
		case "github.com/weld-build/weld":
			main = p.SPDXID
			if p.SourceInfo != "Go build info of /usr/bin/app" {
				t.Errorf("main module sourceInfo = %q", p.SourceInfo)
			}
		case "golang.org/x/sync":
			dep = p.SPDXID
		}
	}
	if !slices.Contains(d.Relationships, Relationship{Element: main, Type: "DEPENDS_ON", Related: dep}) {
		t.Errorf("no %s DEPENDS_ON %s in %v", main, dep, d.Relationships)
	}
}

func TestOSPackages(t *testing.T) {
	for _, tc := range []struct {
		name, path, db, osRelease string
		want                      []string
	}{
		{"alpine", "lib/apk/db/installed", apkInstalled, "ID=alpine\n", []string{
			"pkg:apk/alpine/busybox-binsh@1.36.1-r15?arch=x86_64&upstream=busybox",
			"pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64",
		}},
		{"debian", "var/lib/dpkg/status", dpkgStatusText, "", []string{
			"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc",
			"pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all",
		}},
		{"distroless status.d", "var/lib/dpkg/status.d/tzdata", "Package: tzdata\nVersion: 2024a\nArchitecture: all\n", "", []string{
			"pkg:deb/debian/tzdata@2024a?arch=all",
		}},
		{"ubuntu namespace", "var/lib/dpkg/status", "Package: bash\nStatus: install ok installed\nVersion: 5.2\nArchitecture: amd64\n", `ID="ubuntu"`, []string{
			"pkg:deb/ubuntu/bash@5.2?arch=amd64",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := []entry{{name: tc.path, data: tc.db}}
			if tc.osRelease != "" {
				es = append(es, entry{name: "etc/os-release", data: tc.osRelease})
			}
			got := purls(generate(t, layer(t, "", es...)))
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("purls = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLayers: packages follow the final filesystem (a whiteout, an opaque
// folder and an overwrite hide what is below), files are listed per layer.
func TestLayers(t *testing.T) {
	bin := goBinary(t)
	low := layer(t, "gzip",
		entry{name: "usr/bin/app", data: bin},
		entry{name: "opt/tool/app2", data: bin},
		entry{name: "bin/app3", data: bin},
		entry{name: "lib/apk/db/installed", data: apkInstalled},
		entry{name: "hello.txt", data: "hello"},
		entry{name: "usr/bin/linked", link: "usr/bin/app"},
	)
	high := layer(t, "zstd",
		entry{name: "usr/", dir: true},        // a folder merges
		entry{name: "usr/bin/.wh.nothing"},    // hides nothing that is there
		entry{name: "opt/tool/.wh..wh..opq"},  // hides app2
		entry{name: "bin/app3", data: "text"}, // replaces app3
		entry{name: "lib/apk/db/installed", data: "P:only\nV:1\n"},
	)
	d := generate(t, low, high)
	var sources []string
	for _, p := range d.Packages {
		if p.Name == "github.com/weld-build/weld" {
			sources = append(sources, p.SourceInfo)
		}
	}
	slices.Sort(sources)
	if want := []string{"Go build info of /usr/bin/app", "Go build info of /usr/bin/linked"}; !slices.Equal(sources, want) {
		t.Errorf("Go binaries = %v, want %v", sources, want)
	}
	if got := purls(d); !slices.Contains(got, "pkg:apk/alpine/only@1") || slices.Contains(got, "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64") {
		t.Errorf("purls = %v, want the upper layer's apk database only", got)
	}
	sum := sha256.Sum256([]byte("hello"))
	if !slices.ContainsFunc(d.Files, func(f File) bool {
		return f.FileName == "/hello.txt" && slices.Contains(f.Checksums, Checksum{Algorithm: "SHA256", Value: hex.EncodeToString(sum[:])})
	}) {
		t.Errorf("no /hello.txt with its sha256 in %v", d.Files)
	}
	if n := len(d.Files); n != 6+2 {
		t.Errorf("%d files, want 8 (6, a hard link among them, + 2 in the upper layer; whiteouts and folders not counted)", n)
	}
	if !slices.Contains(d.Relationships, Relationship{Element: "SPDXRef-Layer-1", Type: "CONTAINS", Related: "SPDXRef-File-1-0"}) {
		t.Errorf("layer 1 does not contain its first file: %v", d.Relationships)
	}
}

func TestDocumentIsStable(t *testing.T) {
	l := layer(t, "gzip", entry{name: "var/lib/dpkg/status", data: dpkgStatusText}, entry{name: "a", data: "b"})
	a, _ := generate(t, l).JSON()
	b, _ := generate(t, l).JSON()
	if !bytes.Equal(a, b) {
		t.Fatal("two documents of the same layers differ")
	}
	var doc map[string]any
	if err := json.Unmarshal(a, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["spdxVersion"] != "SPDX-2.3" || doc["creationInfo"].(map[string]any)["created"] != "2023-11-14T22:13:20Z" {
		t.Errorf("document head = %v %v", doc["spdxVersion"], doc["creationInfo"])
	}
	st, err := Statement(generate(t, l), "pkg:docker/example.com/app@1", digest.FromString("manifest"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Type          string `json:"_type"`
		PredicateType string
		Predicate     struct{ SPDXVersion string }
	}
	_ = json.Unmarshal(st, &s)
	if s.Type != StatementType || s.PredicateType != PredicateType || s.Predicate.SPDXVersion != "SPDX-2.3" {
		t.Errorf("statement = %s", st)
	}
}

func TestBadLayer(t *testing.T) {
	bad := Layer{Digest: digest.FromString("x"), Open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader([]byte{0x1f, 0x8b, 1, 2, 3})), nil
	}}
	_, err := Generate(context.Background(), Image{Digest: digest.FromString("m"), Layers: []Layer{bad}}, time.Unix(0, 0))
	if err == nil || !strings.Contains(err.Error(), digest.FromString("x").String()) {
		t.Errorf("Generate(corrupt gzip) = %v, want an error naming the layer", err)
	}
	if _, err := Generate(context.Background(), Image{}, time.Unix(0, 0)); err == nil {
		t.Errorf("Generate(no manifest digest) = nil error, want one")
	}
}
