package dag

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dominikbraun/graph"
)

// fixture makes a work dir with Dockerfiles, a context folder, a secret
// file and a symlink that leads out of it.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM alpine:3.20\n")
	writeFile(t, filepath.Join(dir, "Dockerfile.app"), "FROM app-base\nRUN true\n")
	writeFile(t, filepath.Join(dir, "Dockerfile.bad"), "FROM\n")
	writeFile(t, filepath.Join(dir, "Dockerfile.bad3"), "FROM alpine\nRUN true\nFROM a b c d\n")
	writeFile(t, filepath.Join(dir, "Dockerfile.empty"), "")
	writeFile(t, filepath.Join(dir, "Dockerfile.stages"), "FROM golang AS build\nFROM scratch AS out\n")
	writeFile(t, filepath.Join(dir, "sub", "Dockerfile"), "FROM scratch\n")
	writeFile(t, filepath.Join(dir, "token.txt"), "secret\n")
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// head is a valid start of a build file; cases append steps to it.
const head = "build:\n  version: 2016-03-14\n  steps:\n"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yml  string
		want []string // "LINE:COL: message substring", in order
	}{
		{"yaml syntax", head + "    a:\n      name: [x\n", []string{"5:7: YAML syntax: did not find expected ',' or ']'"}},
		{"tab indentation", head + "    a:\n\tname: x\n", []string{"5:1: YAML syntax"}},
		{"empty file", "", []string{"1:1: the file is empty"}},
		{"not a map", "- a\n- b\n", []string{"1:1: must be a map with a build: key, not a list"}},
		{"missing build", "steps: {}\n", []string{`1:1: unknown key "steps" in the file; steps belongs under build: (indent it under a build: key, as build.steps)`, "1:1: missing build: key"}},
		{"top-level version", "version: 2016-03-14\nbuild:\n  steps:\n    a: {}\n", []string{`1:1: unknown key "version" in the file; version belongs under build: (indent it under a build: key, as build.version)`, "1:1: build.version is missing"}},
		{"top-level work_dir", head + "    a: {}\nwork_dir: .\n", []string{`5:1: unknown key "work_dir" in the file; work_dir belongs under build: (indent it under a build: key, as build.work_dir)`}},
		{"unknown top key", "build:\n  version: 2016-03-14\n  steps:\n    a: {}\nbuidl: 1\n", []string{`5:1: unknown key "buidl" in the file; did you mean "build"?`}},
		{"build is a list", "build:\n  - a\n", []string{"2:3: build must be a map, not a list"}},
		{"build empty", "build:\n", []string{"1:1: build: is empty"}},
		{"missing version", "build:\n  steps:\n    a: {}\n", []string{"1:1: build.version is missing"}},
		{"bad version", "build:\n  version: 2020-01-01\n  steps:\n    a: {}\n", []string{`2:12: unsupported build.version "2020-01-01"`}},
		{"missing steps", "build:\n  version: 2016-03-14\n", []string{"1:1: build.steps is missing"}},
		{"empty steps", "build:\n  version: 2016-03-14\n  steps:\n", []string{"3:3: build.steps is empty"}},
		{"empty steps map", "build:\n  version: 2016-03-14\n  steps: {}\n", []string{"3:3: build.steps is empty"}},
		{"steps is a list", head + "    - a\n", []string{"4:5: build.steps must be a map, not a list"}},
		{"duplicate step", head + "    a: {}\n    a: {}\n", []string{`5:5: duplicate key "a" in build.steps (first at line 4)`}},
		{"duplicate key", head + "    a:\n      name: x\n      name: y\n", []string{`6:7: duplicate key "name" in step a`}},
		{"unknown step key", head + "    a:\n      dependson: [b]\n    b: {}\n", []string{`5:7: unknown key "dependson" in step a; did you mean "depends_on"?`}},
		{"step is a list", head + "    a:\n      - x\n", []string{"5:7: step a must be a map, not a list"}},
		{"name is a list", head + "    a:\n      name: [x]\n", []string{"5:13: step a.name must be a string, not a list"}},
		{"no_cache not bool", head + "    a:\n      no_cache: maybe\n", []string{`5:17: step a.no_cache must be true or false, not the string "maybe"`}},
		{"publish not bool", head + "    a:\n      publish: 1\n", []string{"5:16: step a.publish must be true or false, not a number"}},
		{"args is a list", head + "    a:\n      args: [A=1]\n", []string{"5:13: step a.args must be a map, not a list"}},
		{"depends_on is a string", head + "    a:\n      depends_on: b\n    b: {}\n", []string{"5:19: step a.depends_on must be a list"}},
		{"depends_on item is a map", head + "    a:\n      depends_on:\n        - {b: 1}\n", []string{"6:11: step a.depends_on[0] must be a string, not a map"}},
		{"unknown dependency", head + "    a:\n      depends_on: [compile]\n    complie: {}\n", []string{`5:20: depends_on names "compile", which is not a step; did you mean "complie"?`}},
		{"self dependency", head + "    a:\n      depends_on: [a]\n", []string{"5:20: step a depends on itself"}},
		{"cycle", head + "    a:\n      depends_on: [b]\n    b:\n      depends_on: [c]\n    c:\n      depends_on: [d]\n    d:\n      depends_on: [b]\n", []string{"7:20: dependency cycle b → c → d → b"}},
		{"two cycles", head + "    a:\n      depends_on: [b]\n    b:\n      depends_on: [a]\n    c:\n      depends_on: [d]\n    d:\n      depends_on: [c]\n", []string{"5:20: dependency cycle a → b → a", "9:20: dependency cycle c → d → c"}},
		{"cycle through FROM", head + "    base:\n      name: app-base\n      depends_on: [app]\n    app:\n      dockerfile: Dockerfile.app\n", []string{"6:20: dependency cycle base → app → base"}},
		{"duplicate image name", head + "    a:\n      name: app\n    b:\n      name: app:latest\n", []string{`7:13: name "app:latest" is also the name of step a (its name: "app", the same image, at 5:13); give each step its own image name`}},
		{"duplicate image name spelled alike", head + "    a:\n      name: app\n    b:\n      context: .\n      name:   'app'\n", []string{`8:15: name "app" is also the name of step a (its name: at 5:13); give each step its own image name`}},
		{"invalid image name", head + "    a:\n      name: App\n", []string{`5:7: name "App" is not a valid image name (invalid reference format: repository name (library/App) must be lowercase); use lower case: "app"`}},
		{"invalid image name characters", head + "    a:\n      name: \"x<y>|z\"\n", []string{`5:7: name "x<y>|z" is not a valid image name (invalid reference format); an image name cannot hold "<", ">", "|"; write it like registry/repo:tag`}},
		{"invalid image name not only case", head + "    a:\n      name: My App\n", []string{`5:7: name "My App" is not a valid image name (invalid reference format: repository name (library/My App) must be lowercase); an image name cannot hold " "; write it like registry/repo:tag`}},
		{"invalid image name shape", head + "    a:\n      name: -app\n", []string{`5:7: name "-app" is not a valid image name (invalid reference format); write it like registry/repo:tag: lower-case letters and digits`}},
		{"missing dockerfile", head + "    a:\n      dockerfile: Dockerfile.nope\n", []string{`5:7: dockerfile "Dockerfile.nope" does not exist`}},
		{"context is a file", head + "    a:\n      context: out/..\n    b:\n      context: token.txt\n", []string{"7:7: context \"token.txt\" is a file"}},
		{"missing default dockerfile", head + "    a:\n      context: empty\n", []string{`4:5: dockerfile "Dockerfile" does not exist`}},
		{"missing context", head + "    a:\n      context: nope\n", []string{`5:7: context "nope" does not exist`}},
		{"context escapes", head + "    a:\n      context: ../x\n", []string{`5:7: context "../x" escapes the work dir`}},
		{"context absolute", head + "    a:\n      context: /tmp\n", []string{`5:7: context "/tmp" is absolute; write it relative to the work dir`}},
		{"dockerfile absolute", head + "    a:\n      dockerfile: /etc/passwd\n", []string{`5:7: dockerfile "/etc/passwd" is absolute; write it relative to the step's context`}},
		{"dockerfile absolute in a context", head + "    a:\n      context: sub\n      dockerfile: /etc/passwd\n", []string{`6:7: dockerfile "/etc/passwd" is absolute; write it relative to the step's context`}},
		{"context symlink out", head + "    a:\n      context: out\n", []string{`5:7: context "out" leads through a symlink`}},
		{"dockerfile escapes", head + "    a:\n      context: sub\n      dockerfile: ../../Dockerfile\n", []string{`6:7: dockerfile "../../Dockerfile" escapes the work dir`}},
		{"dockerfile is a folder", head + "    a:\n      dockerfile: sub\n", []string{`5:7: dockerfile "sub" is a folder`}},
		{"bad Dockerfile", head + "    a:\n      dockerfile: Dockerfile.bad\n", []string{"5:7: reading Dockerfile.bad: dockerfile parse error on line 1: FROM requires"}},
		{"bad Dockerfile line 3", head + "    a:\n      dockerfile: Dockerfile.bad3\n", []string{"5:7: reading Dockerfile.bad3: dockerfile parse error on line 3: FROM requires either one or three arguments; fix the Dockerfile"}},
		{"empty Dockerfile", head + "    a:\n      dockerfile: Dockerfile.empty\n", []string{"5:7: reading Dockerfile.empty: file with no instructions; fix the Dockerfile"}},
		{"unknown target", head + "    a:\n      dockerfile: Dockerfile.stages\n      target: test\n", []string{`6:7: target "test" is not a stage of Dockerfile.stages; stages: build, out`}},
		{"artifact not absolute", head + "    a:\n      artifacts:\n        - usr/bin/app\n", []string{`6:11: artifact source "usr/bin/app" is not absolute`}},
		{"artifact root", head + "    a:\n      artifacts: [\"/:dist\"]\n", []string{`5:19: artifact source "/" is the whole image`}},
		{"artifact dest escapes", head + "    a:\n      artifacts: [/app:../x]\n", []string{`5:19: artifact dest "../x" escapes the work dir`}},
		{"artifact dest absolute", head + "    a:\n      artifacts: [/app:/tmp]\n", []string{`5:19: artifact dest "/tmp" is absolute; write it relative to the work dir`}},
		{"artifact dest symlink out", head + "    a:\n      artifacts: [/app:out/x]\n", []string{`5:19: artifact dest "out/x" leads through a symlink`}},
		{"secret type", head + "    a:\n      secrets:\n        t:\n          type: vault\n          value: x\n", []string{`7:17: step a.secrets.t.type is "vault"; use file or env`}},
		{"secret file missing", head + "    a:\n      secrets:\n        t:\n          type: file\n          value: nope.txt\n", []string{"8:11: secret t: file"}},
		{"secret without type", head + "    a:\n      secrets:\n        t:\n          value: x\n", []string{"6:9: step a.secrets.t needs type"}},
		{"secret empty", head + "    a:\n      secrets:\n        t:\n", []string{"6:9: step a.secrets.t needs type: file or env, and value"}},
		{"unset env", head + "    a:\n      args:\n        V: _env(NOPE)\n", []string{"6:12: _env(NOPE): NOPE is not set"}},
		{"unset env after a longer value", head + "    a:\n      args: {A: _env(LONG), B: _env(NOPE)}\n", []string{"5:32: _env(NOPE): NOPE is not set"}},
		{"bad env name", head + "    a:\n      args:\n        V: _env(1X)\n", []string{`6:12: _env(1X): "1X" is not a variable name`}},
		{"error after a value with newlines", head + "    a:\n      args:\n        V: \"_env(MULTI)\"\n      no_cache: x\n", []string{"7:17: step a.no_cache must be true or false"}},
		{"error after a shorter value", "build:\n  version: _env(V)\n  steps:\n    a:\n      bogus: 1\n", []string{`5:7: unknown key "bogus"`}},
		{"merge key", head + "    a:\n      <<: {name: x}\n", []string{"5:7: merge keys (<<) are not supported"}},
		{"all errors", head + "    a:\n      no_cache: 1\n      depends_on: [nope, b]\n      context: ../up\n    b:\n      depends_on: [a]\n", []string{"5:17: step a.no_cache", "6:20: depends_on names \"nope\"", "6:26: dependency cycle a → b → a", "7:7: context \"../up\" escapes"}},
	}
	env := WithEnv(map[string]string{"V": "2016-03-14", "LONG": "a-much-longer-value", "MULTI": "one\ntwo"})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixture(t)
			file := filepath.Join(dir, "build.yml")
			_, err := Parse(file, []byte(tc.yml), env, WithLookupEnv(func(string) (string, bool) { return "", false }))
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Parse(%q) = %v, want an ErrorList", tc.yml, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q): errors.Is(err, ErrInvalid) = false", tc.yml)
			}
			if len(list) != len(tc.want) {
				t.Fatalf("Parse(%q) = %d errors:\n%v\nwant %d: %q", tc.yml, len(list), err, len(tc.want), tc.want)
			}
			for i, e := range list {
				got := strings.TrimPrefix(e.Error(), file+":")
				pos, msg, _ := strings.Cut(tc.want[i], ": ")
				if !strings.HasPrefix(got, pos+": ") || !strings.Contains(got, msg) {
					t.Errorf("error %d = %q, want %q", i, got, tc.want[i])
				}
				if e.Pos.File != file {
					t.Errorf("error %d: Pos.File = %q, want %q", i, e.Pos.File, file)
				}
			}
		})
	}
}

func TestCycleWrapsGraphError(t *testing.T) {
	dir := fixture(t)
	yml := head + "    a:\n      depends_on: [b]\n    b:\n      depends_on: [a]\n"
	_, err := Parse(filepath.Join(dir, "build.yml"), []byte(yml))
	if !errors.Is(err, graph.ErrEdgeCreatesCycle) || !errors.Is(err, ErrInvalid) {
		t.Errorf("Parse(cycle) = %v, want it to wrap graph.ErrEdgeCreatesCycle and ErrInvalid", err)
	}
}
