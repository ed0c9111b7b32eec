package dag

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLoadSecretApp(t *testing.T) {
	token := filepath.Join(t.TempDir(), "token")
	writeFile(t, token, "s3cret\n")
	path := filepath.Join("..", "examples", "secretapp", "build.yml")
	b, err := Load(path, WithEnv(map[string]string{"SECRETAPP_TOKEN_FILE": token}), WithAllowedReads(token))
	if err != nil {
		t.Fatalf("Load(%s) = %v", path, err)
	}
	wd, _ := filepath.Abs(filepath.Join("..", "examples", "secretapp"))
	if b.WorkDir != wd || b.File != path || b.Version != "2016-03-14" {
		t.Errorf("Load: WorkDir, File, Version = %q, %q, %q; want %q, %q, 2016-03-14", b.WorkDir, b.File, b.Version, wd, path)
	}
	compile := b.Step("compile")
	want := &Step{
		Label: "compile", Pos: Pos{File: path, Line: 4, Col: 5}, Name: "secretapp-compile",
		Dockerfile: filepath.Join(wd, "Dockerfile.compile"), Context: wd,
		Artifacts: []Artifact{{Source: "/usr/bin/secretapp", Dest: ".", Pos: Pos{File: path, Line: 9, Col: 11}}},
		Secrets:   []Secret{{ID: "token", Type: SecretFile, Value: token, Pos: Pos{File: path, Line: 11, Col: 9}}},
		Bases:     []Base{{Ref: "golang:1.26", Pos: Pos{File: filepath.Join(wd, "Dockerfile.compile"), Line: 1}}},
		FinalBase: FinalBase{Ref: "golang:1.26"},
	}
	if diff := cmp.Diff(want, compile, cmpopts.IgnoreFields(Step{}, "Keys")); diff != "" {
		t.Errorf("Load: step compile mismatch (-want +got):\n%s", diff)
	}
	if got := compile.Keys["secrets.token.value"]; got != (Pos{File: path, Line: 13, Col: 11}) {
		t.Errorf(`Keys["secrets.token.value"] = %v, want %s:13:11`, got, path)
	}
	rt := b.Step("runtime_minimal")
	if !rt.Publish || !rt.FinalBase.Scratch || len(rt.Bases) != 0 || !cmp.Equal(rt.DependsOn, []string{"compile"}) {
		t.Errorf("runtime_minimal = publish %v, final base %+v, bases %v, depends_on %v; want true, scratch, none, [compile]",
			rt.Publish, rt.FinalBase, rt.Bases, rt.DependsOn)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yml"))
	if err == nil {
		t.Fatal("Load(missing) = nil, want an error")
	}
}

// chain is a work dir whose Dockerfiles chain FROM each other.
func chain(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile.base":  "ARG DISTRO=alpine\nARG TAG=3.20\nFROM ${DISTRO}:${TAG} AS os\nFROM os\n",
		"Dockerfile.build": "FROM myorg/base:latest AS b\nFROM golang:1.26 AS tools\nFROM b\n",
		"Dockerfile.run":   "FROM docker.io/library/app-build AS build\nFROM scratch\nCOPY --from=build /app /app\n",
		"Dockerfile.test":  "FROM alpine:3.20\n",
	}
	for name, text := range files {
		writeFile(t, filepath.Join(dir, name), text)
	}
	return dir
}

const chainYML = `build:
  version: 2016-02-13
  steps:
    base:
      name: myorg/base
      dockerfile: Dockerfile.base
      args:
        TAG: "3.21"
    build:
      name: app-build
      dockerfile: Dockerfile.build
      artifacts:
        - /app
        - /etc/app.conf:conf/
    run:
      name: app
      dockerfile: Dockerfile.run
      tests: [app --version]
    test:
      dockerfile: Dockerfile.test
      depends_on: [app, build]
      publish: true
    lint:
      dockerfile: Dockerfile.test
`

func TestFromEdges(t *testing.T) {
	dir := chain(t)
	b, err := Parse(filepath.Join(dir, "build.yml"), []byte(chainYML))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	tests := []struct {
		label     string
		dependsOn []string
		fromSteps []string
		bases     []string
		final     FinalBase
		publish   bool
	}{
		{"base", nil, nil, []string{"alpine:3.21"}, FinalBase{Ref: "alpine:3.21"}, true},
		{"build", []string{"base"}, []string{"base"}, []string{"golang:1.26"}, FinalBase{Step: "base"}, true},
		{"run", []string{"build"}, []string{"build"}, nil, FinalBase{Scratch: true}, true},
		{"test", []string{"build", "run"}, nil, []string{"alpine:3.20"}, FinalBase{Ref: "alpine:3.20"}, false},
	}
	for _, tc := range tests {
		s := b.Step(tc.label)
		var bases []string
		for _, base := range s.Bases {
			bases = append(bases, base.Ref)
		}
		got := []any{s.DependsOn, s.FromSteps, bases, s.FinalBase, s.Publish}
		want := []any{tc.dependsOn, tc.fromSteps, tc.bases, tc.final, tc.publish}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("step %s: [depends_on from_steps bases final_base publish] mismatch (-want +got):\n%s", tc.label, diff)
		}
	}
	if len(b.Warnings) != 2 || b.Warnings[0].Pos.Line != 21 || b.Warnings[0].Pos.Col != 20 || b.Warnings[1].Pos.Line != 22 {
		t.Errorf("Warnings = %v, want 21:20 (depends_on names an image) and 22 (publish without a name)", b.Warnings)
	}
	if got := b.Step("build").Artifacts[1]; got.Dest != "conf" || got.Path() != "conf/app.conf" {
		t.Errorf("artifact = %+v (path %s), want dest conf, path conf/app.conf", got, got.Path())
	}
}

func TestWorkDir(t *testing.T) {
	dir := chain(t)
	sub := filepath.Join(dir, "sub")
	writeFile(t, filepath.Join(sub, "Dockerfile.test"), "FROM alpine:3.20\n")
	yml := func(workDir string) []byte {
		return []byte("build:\n  version: 2016-03-14\n  work_dir: " + workDir + "\n  steps:\n    a:\n      dockerfile: Dockerfile.test\n")
	}
	tests := []struct {
		name string
		file string // the build file's folder
		yml  []byte
		opts []Option
		want string
	}{
		{"work_dir against the file's folder", dir, yml("sub"), nil, sub},
		{"work_dir that stays put", dir, yml("sub/.."), nil, dir},
		{"WithWorkDir wins", sub, yml(".."), []Option{WithWorkDir(dir)}, dir},
		{"WithWorkDir may leave the file's folder", sub, yml("."), []Option{WithWorkDir(dir)}, dir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Parse(filepath.Join(tc.file, "build.yml"), tc.yml, tc.opts...)
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if b.WorkDir != tc.want {
				t.Errorf("WorkDir = %q, want %q", b.WorkDir, tc.want)
			}
		})
	}
}
