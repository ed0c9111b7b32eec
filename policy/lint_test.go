package policy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/weld-build/weld/dag"
)

// lintInput makes a build of one published step per Dockerfile in
// testdata/lint, plus base-step (FROM alpine:3.20, USER 1000), so FROM
// base-step builds on a step.
func lintInput(t *testing.T, files ...string) Input {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "lint"))
	if err != nil {
		t.Fatal(err)
	}
	b := &dag.Build{File: "build.yml", WorkDir: dir}
	base := filepath.Join(t.TempDir(), "base.Dockerfile")
	if err := os.WriteFile(base, []byte("FROM alpine:3.20\nUSER 1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.Steps = append(b.Steps, &dag.Step{Label: "base", Name: "base-step", Dockerfile: base})
	for _, f := range files {
		label := strings.TrimSuffix(f, ".Dockerfile")
		b.Steps = append(b.Steps, &dag.Step{Label: label, Name: "weld-test/" + label, Dockerfile: filepath.Join(dir, f), Publish: true})
	}
	return Input{Build: b, Steps: b.Steps[1:]}
}

// weldOnly keeps the findings of weld's rules, as "LINE RULE".
func weldOnly(fs Findings) []string {
	var out []string
	for _, f := range fs {
		for _, r := range WeldRules {
			if f.Rule == r {
				out = append(out, fmt.Sprintf("%d %s", f.Pos.Line, f.Rule))
			}
		}
	}
	return out
}

func TestWeldRules(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"clean.Dockerfile", nil},
		{"root-nouser.Dockerfile", []string{"1 RootUser"}},
		{"root-explicit.Dockerfile", []string{"3 RootUser"}},
		{"user-through-stage.Dockerfile", nil}, // USER carries through FROM <stage>
		{"from-step.Dockerfile", nil},          // and through FROM <step> (base-step has USER 1000)
		{"expose-ssh.Dockerfile", []string{"3 ExposeSSH"}},
		{"expose-ssh-build-stage.Dockerfile", nil}, // not in the final image
		{"remote-add.Dockerfile", []string{"3 RemoteAdd"}},
		{"untagged.Dockerfile", []string{"1 UnpinnedBase"}},
		{"latest.Dockerfile", []string{"1 UnpinnedBase"}}, // a digest pins golang; scratch is no base
		{"latest-arg.Dockerfile", []string{"2 UnpinnedBase"}},
		{"secrets.Dockerfile", []string{"3 SecretInArgEnv", "4 SecretInArgEnv", "7 SecretInArgEnv", "8 SecretInArgEnv"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			fs, err := Lint(context.Background(), lintInput(t, tc.file), &Policy{})
			if err != nil {
				t.Fatalf("Lint = %v", err)
			}
			if diff := cmp.Diff(tc.want, weldOnly(fs)); diff != "" {
				t.Errorf("Lint(%s) weld findings (-want +got):\n%s\nall findings:\n%s", tc.file, diff, fs)
			}
		})
	}
}

// TestWeldRulesOnlyPublished: a step that does not publish gets BuildKit's
// rules only.
func TestWeldRulesOnlyPublished(t *testing.T) {
	in := lintInput(t, "root-nouser.Dockerfile", "secrets.Dockerfile")
	for _, s := range in.Steps {
		s.Publish = false
	}
	fs, err := Lint(context.Background(), in, &Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if got := weldOnly(fs); len(got) != 0 {
		t.Errorf("Lint of unpublished steps = %v, want no weld findings", got)
	}
}

func TestSecretMessagesHideValues(t *testing.T) {
	fs, err := Lint(context.Background(), lintInput(t, "secrets.Dockerfile"), &Policy{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		for _, v := range []string{"hunter2", "AKIAABCDEFGHIJKLMNOP", "Zx9Qm2Lp8Rt5Vw3Yb7Nc4Kd6Hf1Jg0Ss"} {
			if strings.Contains(f.String(), v) {
				t.Errorf("finding %q shows a secret value", f)
			}
		}
	}
	// BuildKit's SecretsUsedInArgOrEnv is dropped where weld's rule fires.
	for _, f := range fs {
		if f.Rule == "SecretsUsedInArgOrEnv" && (f.Pos.Line == 3 || f.Pos.Line == 4) {
			t.Errorf("duplicate finding %s", f)
		}
	}
}

func TestBuildKitRules(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, text string
		pol        *Policy
		want       []string // "LINE SEVERITY RULE"
	}{
		{"json args", "FROM alpine:3.20\nCMD echo hi\n", &Policy{}, []string{"2 warning JSONArgsRecommended"}},
		{"casing", "FROM alpine:3.20 as build\nrun echo\nRUN echo\nRUN echo\n", &Policy{}, []string{"1 warning FromAsCasing", "2 warning ConsistentInstructionCasing"}},
		{"policy error", "FROM alpine:3.20\nCMD echo hi\n", &Policy{Rules: map[string]Rule{"JSONArgsRecommended": {Severity: SeverityError}}}, []string{"2 error JSONArgsRecommended"}},
		{"policy off", "FROM alpine:3.20\nCMD echo hi\n", &Policy{Rules: map[string]Rule{"JSONArgsRecommended": {Severity: SeverityOff}}}, nil},
		{"check=error=true", "# check=error=true\nFROM alpine:3.20\nCMD echo hi\n", &Policy{}, []string{"3 error JSONArgsRecommended"}},
		{"check=skip", "# check=skip=JSONArgsRecommended\nFROM alpine:3.20\nCMD echo hi\n", &Policy{}, nil},
		{"undefined var", "FROM alpine:3.20\nENV A=$NOPE\nENV B=$PATH\n", &Policy{}, []string{"2 warning UndefinedVar"}}, // PATH: the offline resolver's default
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := write(strings.ReplaceAll(tc.name, " ", "-")+".Dockerfile", tc.text)
			b := &dag.Build{WorkDir: dir, Steps: []*dag.Step{{Label: "s", Dockerfile: f}}}
			fs, err := Lint(context.Background(), Input{Build: b}, tc.pol)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, fmt.Sprintf("%d %s %s", f.Pos.Line, f.Severity, f.Rule))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Lint(%q) (-want +got):\n%s", tc.text, diff)
			}
			if len(fs) > 0 && fs[0].Pos.File != filepath.Base(f) {
				t.Errorf("finding file = %q, want %q (relative to the work dir)", fs[0].Pos.File, filepath.Base(f))
			}
		})
	}
}

func TestFindingsErr(t *testing.T) {
	fs := Findings{{Rule: "RootUser", Severity: SeverityWarning}}
	if fs.Err() != nil {
		t.Errorf("warnings only: Err() = %v, want nil", fs.Err())
	}
	fs = append(fs, Finding{Rule: "RootUser", Severity: SeverityError, Step: "app", Pos: dag.Pos{File: "Dockerfile", Line: 1}, Message: "m"})
	if fs.Err() == nil {
		t.Error("an error finding: Err() = nil")
	}
	if got, want := fs[1].String(), "Dockerfile:1: error RootUser: step app: m"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
