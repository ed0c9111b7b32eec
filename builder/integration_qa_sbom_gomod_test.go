//go:build integration

package builder_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/sbom"
)

// TestQASBOMGoDependencies: a scratch image holding a Go binary (built
// offline by the real Go toolchain in BuildKit, from a vendored module and
// a replaced one, as secretapp would be with dependencies) has an SBOM that
// lists the main module, each dependency at its version (the one replaced
// by a folder under its own module path) and the stdlib, each a DEPENDS_ON of the main module.
func TestQASBOMGoDependencies(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	dir := writeProject(t, map[string]string{
		"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-it/qa-gomod\n      dockerfile: Dockerfile\n",
		"Dockerfile": "FROM golang:1.26 AS build\nWORKDIR /src\nCOPY . .\n" +
			"RUN CGO_ENABLED=0 GOFLAGS=-mod=vendor go build -trimpath -o /qaapp .\n" +
			"FROM scratch\nCOPY --from=build /qaapp /qaapp\nUSER 65534:65534\n",
		"go.mod": "module example.com/qaapp\n\ngo 1.22\n\nrequire (\n\texample.com/greet v1.2.3\n\texample.com/local v0.0.0\n)\n\n" +
			"replace example.com/local => ./local\n",
		"main.go": "package main\n\nimport (\n\t\"example.com/greet\"\n\t\"example.com/local\"\n)\n\n" +
			"func main() { println(greet.Hello(), local.Name, \"" + n + "\") }\n",
		"vendor/modules.txt": "# example.com/greet v1.2.3\n## explicit; go 1.22\nexample.com/greet\n" +
			"# example.com/local v0.0.0 => ./local\n## explicit; go 1.22\nexample.com/local\n# example.com/local => ./local\n",
		"vendor/example.com/greet/greet.go": "package greet\n\nfunc Hello() string { return \"hello\" }\n",
		"vendor/example.com/local/local.go": "package local\n\nconst Name = \"local\"\n",
		"local/go.mod":                      "module example.com/local\n\ngo 1.22\n",
		"local/local.go":                    "package local\n\nconst Name = \"local\"\n",
	})
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b := e.runBuild(t, ctx, dir, e.imageOpt(t, "golang:1.26", "golang"),
		builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))
	b.mustPass(t)

	doc := layoutSBOM(t, filepath.Join(out, "app"))
	ids := map[string]string{} // purl → SPDX ID
	for _, p := range doc.Packages {
		if u := p.Purl(); u != "" {
			ids[u] = p.SPDXID
		}
	}
	main := ids["pkg:golang/example.com/qaapp@%28devel%29"]
	if main == "" {
		t.Fatalf("the SBOM lists %v, want the main module example.com/qaapp", purlsOf(doc))
	}
	var std string
	for u, id := range ids {
		if strings.HasPrefix(u, "pkg:golang/stdlib@1.26") {
			std = id
		}
	}
	for what, id := range map[string]string{
		"the vendored module example.com/greet@v1.2.3":      ids["pkg:golang/example.com/greet@v1.2.3"],
		"the replaced module example.com/local, as ./local": replacedID(doc, "example.com/local", "./local"),
		"the stdlib of go1.26":                              std,
	} {
		if id == "" {
			t.Errorf("the SBOM lacks %s; it lists %v", what, purlsOf(doc))
			continue
		}
		if !slices.Contains(doc.Relationships, sbom.Relationship{Element: main, Type: "DEPENDS_ON", Related: id}) {
			t.Errorf("the main module does not DEPENDS_ON %s (%s) in %v", what, id, doc.Relationships)
		}
	}
}

// replacedID is the SPDX ID of the Go module path that a local folder
// repl replaced: listed under its own path, its source info naming the
// folder; or "".
func replacedID(doc sbom.Document, path, repl string) string {
	for _, p := range doc.Packages {
		if p.Name == path && strings.HasPrefix(p.Purl(), "pkg:golang/"+path+"@") && strings.HasSuffix(p.SourceInfo, "replaced by the folder "+repl) {
			return p.SPDXID
		}
	}
	return ""
}
