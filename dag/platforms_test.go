package dag

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePlatforms(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "linux/amd64,linux/arm64", want: "linux/amd64 linux/arm64"},
		{in: " linux/aarch64 , linux/x86_64", want: "linux/arm64 linux/amd64"},
		{in: "linux/arm/v7", want: "linux/arm/v7"},
		{in: "linux/arm64/v8", want: "linux/arm64"},
		{in: "arm64", err: "needs os/arch"},
		{in: "linux/nope", err: `platform "linux/nope" is not one`},
		{in: "plan9/amd64", err: "not one BuildKit"},
		{in: "linux/amd64,linux/x86_64", err: "listed twice"},
		{in: ",", err: "no platform"},
	} {
		got, err := ParsePlatforms(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParsePlatforms(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("ParsePlatforms(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

// platformDir is a work dir with a compile step (artifacts) and a runtime
// step FROM scratch taking them, plus a base step and a FROM-child.
func platformDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile.compile"), "FROM busybox\nRUN uname -m >/arch\n")
	writeFile(t, filepath.Join(dir, "Dockerfile.runtime"), "FROM scratch\nCOPY arch /arch\n")
	writeFile(t, filepath.Join(dir, "Dockerfile.child"), "FROM weld/compile\n")
	return dir
}

func platformYML(compile, runtime, child string) string {
	return `build:
  version: 2016-03-14
  steps:
    compile:
      name: weld/compile
      dockerfile: Dockerfile.compile
      artifacts: [/arch]` + compile + `
    runtime:
      name: weld/runtime
      dockerfile: Dockerfile.runtime
      depends_on: [compile]` + runtime + `
    child:
      dockerfile: Dockerfile.child` + child + "\n"
}

func TestPlatforms(t *testing.T) {
	both := "\n      platforms: [linux/amd64, linux/arm64]"
	arm := "\n      platforms: [linux/arm64]"
	for _, tc := range []struct {
		name                   string
		compile, runtime, chld string
		flag                   []string
		want                   map[string][]string
		errs                   []string
	}{
		{name: "none", want: map[string][]string{"compile": nil, "runtime": nil, "child": nil}},
		{name: "all own", compile: both, runtime: both, chld: "\n      platforms: [linux/aarch64]",
			want: map[string][]string{"compile": {"linux/amd64", "linux/arm64"}, "runtime": {"linux/amd64", "linux/arm64"}, "child": {"linux/arm64"}}},
		{name: "flag default, own overrides", runtime: arm, flag: []string{"linux/amd64", "linux/arm64"},
			want: map[string][]string{"compile": {"linux/amd64", "linux/arm64"}, "runtime": {"linux/arm64"}, "child": {"linux/amd64", "linux/arm64"}}},
		{name: "artifacts dependency lacks arm64", compile: "\n      platforms: [linux/amd64]", runtime: both,
			errs: []string{"build.yml:13:32: step runtime builds for linux/arm64 and takes artifacts from step compile, which builds only for linux/amd64; add linux/arm64 to compile's platforms: or drop it from runtime's"}},
		{name: "FROM dependency lacks arm64 (default)", compile: "\n      platforms: [linux/amd64]", flag: []string{"linux/arm64"},
			errs: []string{
				"build.yml:8:7: step child builds for linux/arm64 and builds FROM step compile, which builds only for linux/amd64; add linux/arm64 to compile's platforms: or drop it from child's",
				"build.yml:8:7: step runtime builds for linux/arm64 and takes artifacts from step compile, which builds only for linux/amd64",
			}},
		{name: "bad entries", compile: "\n      platforms: [linux/amd64, arm64, linux/x86_64]",
			errs: []string{"build.yml:8:32: step compile.platforms: platform \"arm64\" needs os/arch", "build.yml:8:39: step compile.platforms lists linux/amd64 twice"}},
		{name: "empty", compile: "\n      platforms: []",
			errs: []string{"build.yml:8:18: step compile.platforms is empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := platformDir(t)
			yml := platformYML(tc.compile, tc.runtime, tc.chld)
			b, err := Parse(filepath.Join(dir, "build.yml"), []byte(yml), WithPlatforms(tc.flag...))
			if len(tc.errs) > 0 {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Parse = %v, want ErrInvalid", err)
				}
				msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
				for _, want := range tc.errs {
					if !strings.Contains(msg, want) {
						t.Errorf("Parse error:\n%s\nwant it to hold\n%s", msg, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			got := map[string][]string{}
			for _, s := range b.Steps {
				got[s.Label] = s.Platforms
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Platforms (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderPlatforms(t *testing.T) {
	dir := platformDir(t)
	b, err := Parse(filepath.Join(dir, "build.yml"), []byte(platformYML("", "\n      platforms: [linux/arm64]", "")),
		WithPlatforms("linux/amd64", "linux/arm64"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	for format, want := range map[string]string{
		"text": "platforms:  linux/amd64, linux/arm64\n",
		"json": `"platforms": [
        "linux/arm64"
      ]`,
	} {
		var buf bytes.Buffer
		if err := p.Render(&buf, format, p.Order()); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), want) {
			t.Errorf("Render(%s) =\n%s\nwant it to hold\n%s", format, buf.String(), want)
		}
	}
}
