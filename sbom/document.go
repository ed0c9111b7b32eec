package sbom

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
)

// Image is the image Generate describes.
type Image struct {
	// Name is the image's reference, "" when it has none.
	Name string
	// Digest is the digest of its manifest.
	Digest digest.Digest
	// Layers are its layers, lowest first.
	Layers []Layer
}

// Creator is the tool the documents name as their creator.
const Creator = "Tool: weld"

// Generate reads every layer of img and returns its SPDX document, created
// at created (truncated to seconds, in UTC).
func Generate(ctx context.Context, img Image, created time.Time, opts ...Option) (*Document, error) {
	if err := img.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("the image's manifest digest %q: %w", img.Digest, err)
	}
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	scans, err := o.readLayers(ctx, img.Layers)
	if err != nil {
		return nil, err
	}
	sc := &scanner{final: map[string]found{}}
	for _, ls := range scans {
		sc.add(ls)
	}
	name := img.Name
	if name == "" {
		name = "image"
	}
	d := &Document{
		SPDXVersion:       Version,
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              name,
		DocumentNamespace: "https://weld.dev/spdx/" + url.PathEscape(name) + "/" + img.Digest.Encoded(),
		CreationInfo: CreationInfo{
			Created:  created.UTC().Truncate(time.Second).Format(time.RFC3339),
			Creators: []string{Creator},
		},
	}
	const root = "SPDXRef-Image"
	d.Packages = append(d.Packages, Package{
		SPDXID: root, Name: name, DownloadLocation: NoAssertion, PrimaryPurpose: "CONTAINER",
		Checksums: digestChecksum(img.Digest),
	})
	d.relate("SPDXRef-DOCUMENT", "DESCRIBES", root)
	d.addLayers(root, sc.layers)
	d.addPackages(root, sc.final)
	return d, nil
}

func (d *Document) relate(a, typ, b string) {
	d.Relationships = append(d.Relationships, Relationship{Element: a, Type: typ, Related: b})
}

func digestChecksum(dg digest.Digest) []Checksum {
	if dg.Algorithm() != digest.SHA256 {
		return nil
	}
	return []Checksum{{Algorithm: "SHA256", Value: dg.Encoded()}}
}

// addLayers adds a package per layer and the files it holds.
func (d *Document) addLayers(root string, layers []*layerScan) {
	for i, l := range layers {
		id := fmt.Sprintf("SPDXRef-Layer-%d", i)
		d.Packages = append(d.Packages, Package{
			SPDXID: id, Name: "layer " + l.digest.String(), DownloadLocation: NoAssertion,
			Checksums: digestChecksum(l.digest), PrimaryPurpose: "ARCHIVE",
		})
		d.relate(root, "CONTAINS", id)
		for j, f := range l.files {
			fid := fmt.Sprintf("SPDXRef-File-%d-%d", i, j)
			d.Files = append(d.Files, File{SPDXID: fid, FileName: "/" + f.Path, Checksums: []Checksum{
				{Algorithm: "SHA1", Value: f.SHA1}, {Algorithm: "SHA256", Value: f.SHA256},
			}})
			d.relate(id, "CONTAINS", fid)
		}
	}
}

// addPackages adds the packages the final filesystem names: each Go
// binary's modules, then the OS packages.
func (d *Document) addPackages(root string, final map[string]found) {
	paths := make([]string, 0, len(final))
	for p := range final {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	distro := ""
	for _, p := range []string{osReleaseL, osRelease} { // /etc wins
		if f, ok := final[p]; ok {
			if id := osID(f.db); id != "" {
				distro = id
			}
		}
	}
	n := 0
	add := func(kind string, p Package) string {
		n++
		p.SPDXID = fmt.Sprintf("SPDXRef-Package-%s-%d", kind, n)
		p.DownloadLocation = NoAssertion
		d.Packages = append(d.Packages, p)
		d.relate(root, "CONTAINS", p.SPDXID)
		return p.SPDXID
	}
	for _, p := range paths {
		f := final[p]
		switch {
		case f.gobin != nil:
			d.addGo(add, f)
		case p == apkDB:
			for _, op := range parseAPK(f.db) {
				add(KindAlpine, osPkg(KindAlpine, or(distro, "alpine"), op, p))
			}
		case p == dpkgStatus || strings.HasPrefix(p, dpkgStatusD):
			for _, op := range parseDpkg(f.db) {
				add(KindDebian, osPkg(KindDebian, or(distro, "debian"), op, p))
			}
		}
	}
}

// addGo adds a Go binary's main module, its dependencies and the standard
// library it was built with; the main module depends on the others.
func (d *Document) addGo(add func(string, Package) string, f found) {
	bi := f.gobin
	src := "Go build info of /" + f.path
	mainPath, mainVersion := bi.Main.Path, bi.Main.Version
	if mainPath == "" {
		mainPath = bi.Path
	}
	main := add(KindGo, goPkg(mainPath, mainVersion, src, "APPLICATION"))
	for _, m := range bi.Deps {
		d.relate(main, "DEPENDS_ON", add(KindGo, goDep(m, src)))
	}
	if v := strings.TrimPrefix(bi.GoVersion, "go"); v != "" {
		d.relate(main, "DEPENDS_ON", add(KindGo, goPkg("stdlib", v, src, "LIBRARY")))
	}
}

// goDep is a dependency as it was built: a module replaced by another
// module is listed as that module; one replaced by a local folder, which
// has no module path of its own, keeps its path (what scanners match), and
// its source info names the folder.
func goDep(m *debug.Module, src string) Package {
	r := m.Replace
	switch {
	case r == nil:
		return goPkg(m.Path, m.Version, src, "LIBRARY")
	case localFolder(r.Path):
		return goPkg(m.Path, r.Version, src+", replaced by the folder "+r.Path, "LIBRARY")
	}
	return goPkg(r.Path, r.Version, src, "LIBRARY")
}

// localFolder says whether a replacement's path is a folder (as go.mod's
// replace tells them apart: ./ ../ or an absolute path).
func localFolder(p string) bool {
	return p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") ||
		strings.HasPrefix(p, ".\\") || strings.HasPrefix(p, "..\\") || path.IsAbs(p) || filepath.IsAbs(p)
}

func goPkg(module, version, src, purpose string) Package {
	loc := "pkg:golang/" + purlPath(module)
	if version != "" {
		loc += "@" + purlEscape(version)
	}
	return Package{Name: module, VersionInfo: version, SourceInfo: src, PrimaryPurpose: purpose,
		ExternalRefs: []ExternalRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: loc}}}
}

func osPkg(kind, namespace string, op osPackage, db string) Package {
	loc := "pkg:" + kind + "/" + purlEscape(namespace) + "/" + purlEscape(op.name)
	if op.version != "" {
		loc += "@" + purlEscape(op.version)
	}
	var q []string
	if op.arch != "" {
		q = append(q, "arch="+purlEscape(op.arch))
	}
	if op.source != "" && op.source != op.name {
		q = append(q, "upstream="+purlEscape(op.source))
	}
	if len(q) > 0 {
		loc += "?" + strings.Join(q, "&")
	}
	return Package{Name: op.name, VersionInfo: op.version, SourceInfo: "package database /" + db,
		PrimaryPurpose: "LIBRARY",
		ExternalRefs:   []ExternalRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: loc}}}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// purlPath escapes each segment of a module path.
func purlPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = purlEscape(s)
	}
	return strings.Join(segs, "/")
}

var purlUnsafe = regexp.MustCompile(`[^A-Za-z0-9.\-_~]`)

// purlEscape percent-encodes what a purl segment may not hold as is.
func purlEscape(s string) string {
	return purlUnsafe.ReplaceAllStringFunc(s, func(c string) string {
		var b strings.Builder
		for _, x := range []byte(c) {
			fmt.Fprintf(&b, "%%%02X", x)
		}
		return b.String()
	})
}
