package sbom

import (
	"runtime/debug"
	"testing"
)

// TestGoDepReplacements: a dependency is listed at its version; one
// replaced by another module as that module; one replaced by a local
// folder keeps its own module path (a purl scanners can match), and its
// source info names the folder.
func TestGoDepReplacements(t *testing.T) {
	const src = "Go build info of /app"
	for _, tc := range []struct {
		name             string
		m                *debug.Module
		purl, sourceInfo string
	}{
		{"plain", &debug.Module{Path: "example.com/a", Version: "v1.2.3"}, "pkg:golang/example.com/a@v1.2.3", src},
		{"by a module", &debug.Module{Path: "example.com/a", Version: "v1.2.3",
			Replace: &debug.Module{Path: "example.com/fork/a", Version: "v1.2.4"}}, "pkg:golang/example.com/fork/a@v1.2.4", src},
		{"by a folder", &debug.Module{Path: "example.com/local", Version: "v0.0.0",
			Replace: &debug.Module{Path: "./local", Version: "(devel)"}}, "pkg:golang/example.com/local@%28devel%29", src + ", replaced by the folder ./local"},
		{"by a parent folder", &debug.Module{Path: "example.com/up", Version: "v0.0.0",
			Replace: &debug.Module{Path: "../up"}}, "pkg:golang/example.com/up", src + ", replaced by the folder ../up"},
		{"by an absolute folder", &debug.Module{Path: "example.com/abs", Version: "v0.0.0",
			Replace: &debug.Module{Path: "/src/abs"}}, "pkg:golang/example.com/abs", src + ", replaced by the folder /src/abs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := goDep(tc.m, src)
			if p.Purl() != tc.purl || p.SourceInfo != tc.sourceInfo {
				t.Errorf("goDep = %s (%q), want %s (%q)", p.Purl(), p.SourceInfo, tc.purl, tc.sourceInfo)
			}
		})
	}
}
