package policy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/weld-build/weld/dag"
)

// basesInput: compile (golang:1.26 build stage, alpine final), app (FROM the
// compile step, then node:10.4.8), tool (FROM $BASE, default alpine:3.20).
func basesInput(t *testing.T) Input {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile.compile": "FROM golang:1.26 AS build\nRUN go build\nFROM alpine:3.20\nCOPY --from=build /app /\n",
		"Dockerfile.app":     "FROM org/compile AS c\nFROM scratch AS s\nFROM c\nFROM node:10.4.8\n",
		"Dockerfile.tool":    "ARG BASE=alpine:3.20\nFROM $BASE\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := &dag.Build{File: "build.yml", WorkDir: dir, Steps: []*dag.Step{
		{Label: "compile", Name: "org/compile", Dockerfile: filepath.Join(dir, "Dockerfile.compile")},
		{Label: "app", Name: "org/app", Dockerfile: filepath.Join(dir, "Dockerfile.app")},
		{Label: "tool", Dockerfile: filepath.Join(dir, "Dockerfile.tool")},
	}}
	return Input{Build: b}
}

func TestCheckBases(t *testing.T) {
	tests := []struct {
		name, policy string
		args         map[string]string
		want         []string
	}{
		{"no allowlist", "pin_digests: false\n", nil, nil},
		{"alpine only", "allowed_bases:\n  - docker.io/library/alpine:*\n", nil, []string{
			"Dockerfile.compile:1: step compile: base golang:1.26 is not allowed by weld.policy.yml:2:3 (allowed_bases: docker.io/library/alpine:*)",
			"Dockerfile.app:4: step app: base node:10.4.8 is not allowed by weld.policy.yml:2:3 (allowed_bases: docker.io/library/alpine:*)",
		}},
		{"replace is checked after", "allowed_bases: [alpine:*, golang:*]\nreplace:\n  node:10.4.8: node:10.4.9\n", nil, []string{
			"Dockerfile.app:4: step app: base node:10.4.9 (replacing node:10.4.8) is not allowed by weld.policy.yml:1:16 (allowed_bases: alpine:*, golang:*)",
		}},
		{"replace makes it allowed", "allowed_bases: [alpine:*, 'golang:*']\nreplace:\n  node:10.4.8: alpine:3.21\n", nil, nil},
		{"an OCI layout replacement is allowed", "allowed_bases: ['**']\nreplace:\n  node:10.4.8: oci-layout:///x\n", nil, nil},
		{"empty allowlist", "allowed_bases: []\nreplace:\n  node:10.4.8: oci-layout:///x\n  golang:1.26: oci-layout:///x\n", nil, []string{
			"Dockerfile.compile:3: step compile: base alpine:3.20 is not allowed by weld.policy.yml:1:16 (allowed_bases: []: only scratch)",
			"Dockerfile.tool:2: step tool: base alpine:3.20 is not allowed by weld.policy.yml:1:16 (allowed_bases: []: only scratch)",
		}},
		{"build args count", "allowed_bases: [alpine:*, golang:*, node:*]\n", map[string]string{"BASE": "evil/img:1"}, []string{
			"Dockerfile.tool:2: step tool: base evil/img:1 is not allowed by weld.policy.yml:1:16 (allowed_bases: alpine:*, golang:*, node:*)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("weld.policy.yml", []byte(tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			in := basesInput(t)
			in.BuildArgs = tc.args
			uses, err := Bases(in, p)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckBases(uses, p)
			var got []string
			var refusals Refusals
			if errors.As(err, &refusals) {
				for _, r := range refusals {
					got = append(got, r.Error())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckBases (-want +got):\n%s", diff)
			}
			if tc.want != nil && !errors.Is(err, ErrBaseRefused) || errors.Is(err, dag.ErrInvalid) {
				t.Errorf("CheckBases error %v: want ErrBaseRefused (exit 1), not dag.ErrInvalid", err)
			}
		})
	}
}

func TestBasesSkipsStepsStagesScratch(t *testing.T) {
	uses, err := Bases(basesInput(t), &Policy{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range uses {
		got = append(got, u.Step+" "+u.Ref+" "+u.Pos.String())
	}
	want := []string{"compile golang:1.26 Dockerfile.compile:1", "compile alpine:3.20 Dockerfile.compile:3", "app node:10.4.8 Dockerfile.app:4", "tool alpine:3.20 Dockerfile.tool:2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Bases (-want +got):\n%s", diff)
	}
}
