package dockerfile

import (
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/google/go-cmp/cmp"
)

func TestStages(t *testing.T) {
	tests := []struct {
		name string
		text string
		args map[string]string
		want []Stage
	}{
		{"one", "FROM alpine:3.20\nRUN true\n", nil, []Stage{{Base: "alpine:3.20", Line: 1, BaseStage: -1}}},
		{"alias", "FROM golang AS build\nRUN go build\nFROM build AS test\nFROM scratch\n", nil, []Stage{
			{Name: "build", Base: "golang", Line: 1, BaseStage: -1},
			{Name: "test", Base: "build", Line: 3, BaseStage: 0},
			{Base: "scratch", Line: 4, BaseStage: -1},
		}},
		{"meta args", "ARG REPO=alpine\nARG TAG=3.20\nFROM ${REPO}:${TAG}\n", nil, []Stage{{Base: "alpine:3.20", Line: 3, BaseStage: -1}}},
		{"build arg overrides", "ARG TAG=3.20\nFROM alpine:$TAG\n", map[string]string{"TAG": "3.21"}, []Stage{{Base: "alpine:3.21", Line: 2, BaseStage: -1}}},
		{"undeclared arg ignored", "FROM alpine:${TAG:-edge}\n", map[string]string{"TAG": "3.21"}, []Stage{{Base: "alpine:edge", Line: 1, BaseStage: -1}}},
		{"arg refers to arg", "ARG V=1\nARG IMG=app-$V\nFROM $IMG\n", nil, []Stage{{Base: "app-1", Line: 3, BaseStage: -1}}},
		{"platform flag", "FROM --platform=$BUILDPLATFORM golang AS b\n", nil, []Stage{{Name: "b", Base: "golang", Line: 1, BaseStage: -1}}},
		{"continuation", "FROM \\\n  alpine\n", nil, []Stage{{Base: "alpine", Line: 1, BaseStage: -1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tc.text))
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tc.text, err)
			}
			got, err := f.Stages(tc.args)
			if err != nil {
				t.Fatalf("Stages(%v) = %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Stages mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "# nothing\n", "no instructions"},
		{"no FROM", "ARG X=1\n", "no FROM"},
		{"instruction before FROM", "RUN true\n", "line 1"},
		{"FROM without image", "FROM\n", "line 1"},
		{"bad stage name", "FROM alpine AS 1x\n", "invalid name for build stage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %v, want an error containing %q", tc.text, err, tc.want)
			}
		})
	}
}

func TestStagesBlankBase(t *testing.T) {
	f, err := Parse(strings.NewReader("ARG IMG\nFROM $IMG\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Stages(nil); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("Stages(no IMG) = %v, want a blank base error at line 2", err)
	}
}

func TestTargetAndRoot(t *testing.T) {
	f, _ := Parse(strings.NewReader("FROM golang AS build\nFROM build AS test\nFROM alpine AS final\n"))
	stages, _ := f.Stages(nil)
	tests := []struct {
		target   string
		wantIdx  int
		wantOK   bool
		wantRoot string
	}{
		{"", 2, true, "alpine"},
		{"test", 1, true, "golang"},
		{"TEST", 1, true, "golang"},
		{"nope", -1, false, ""},
	}
	for _, tc := range tests {
		i, ok := Target(stages, tc.target)
		if i != tc.wantIdx || ok != tc.wantOK {
			t.Errorf("Target(%q) = %d, %v; want %d, %v", tc.target, i, ok, tc.wantIdx, tc.wantOK)
			continue
		}
		if ok && Root(stages, i).Base != tc.wantRoot {
			t.Errorf("Root(Target(%q)) = %q, want %q", tc.target, Root(stages, i).Base, tc.wantRoot)
		}
	}
}

// TestNormalizeName checks the fast path against the reference package.
func TestNormalizeName(t *testing.T) {
	names := []string{
		"alpine", "alpine:latest", "alpine:3.20", "my-app", "my--app", "my_app", "my__app", "my___app",
		"a.b", "a._b", "-a", "a-", "App", "app:LATEST", "app:-x", "app:.x", "app:x_y.z-1",
		"docker.io/library/alpine", "library/alpine:latest", "myorg/app", "localhost:5000/app",
		"ghcr.io/o/app:1", "app@sha256:" + strings.Repeat("a", 64), "", "a:b:c", "UPPER/x",
	}
	for _, name := range names {
		want := name
		if ref, err := reference.ParseNormalizedNamed(name); err == nil {
			want = strings.TrimSuffix(reference.FamiliarString(ref), ":latest")
		}
		if got := NormalizeName(name); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", name, got, want)
		}
		_, refErr := reference.ParseNormalizedNamed(name)
		if got := ValidName(name); (got == nil) != (refErr == nil) {
			t.Errorf("ValidName(%q) = %v, want error %v", name, got, refErr)
		}
	}
}

func TestParseBoundsInstructions(t *testing.T) {
	many := "FROM scratch\n" + strings.Repeat("RUN true\n", MaxInstructions)
	if _, err := ParseBytes([]byte(many)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("ParseBytes(%d instructions) = %v, want an error naming the limit", MaxInstructions+1, err)
	}
	if _, err := ParseBytes([]byte("FROM scratch\n" + strings.Repeat("RUN true\n", MaxInstructions-1))); err != nil {
		t.Errorf("ParseBytes(%d instructions) = %v, want nil", MaxInstructions, err)
	}
}
