package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/weld-build/weld/dag"
)

func TestCheckBuildArgs(t *testing.T) {
	const ghp = "ghp_4vQ9xZr2Lm8TbW1cY7nK0pHs3dFgEa6JuXoI"
	step := func(args map[string]string) *dag.Step {
		keys := map[string]dag.Pos{}
		for k := range args {
			keys["args."+k] = dag.Pos{File: "build.yml", Line: 7, Col: 9}
		}
		return &dag.Step{Label: "app", Pos: dag.Pos{File: "build.yml", Line: 4, Col: 5}, Args: args, Keys: keys}
	}
	warn := &Policy{Rules: map[string]Rule{RuleSecretInArgEnv: {Severity: SeverityWarning}}}
	off := &Policy{Rules: map[string]Rule{RuleSecretInArgEnv: {Severity: SeverityOff}}}
	for _, tc := range []struct {
		name    string
		p       *Policy
		args    map[string]string // the step's args:
		cli     map[string]string // --build
		want    []string          // "WHERE NAME SEVERITY"
		refused bool
	}{
		{"a token in --build", nil, nil, map[string]string{"TOKEN": ghp}, []string{"--build TOKEN TOKEN error"}, true},
		{"a credential under an innocent name", &Policy{}, nil, map[string]string{"VERSION": ghp}, []string{"--build VERSION VERSION error"}, true},
		{"AWS key id", nil, nil, map[string]string{"AWS_ID": "AKIAIOSFODNN7EXAMPLE"}, []string{"--build AWS_ID AWS_ID error"}, true},
		{"high entropy", nil, nil, map[string]string{"X": "q8Zr2Lm8TbW1cY7nK0pHs3dFgEa6JuXoIv4"}, []string{"--build X X error"}, true},
		{"error in the policy", &Policy{Rules: map[string]Rule{RuleSecretInArgEnv: {Severity: SeverityError}}}, nil, map[string]string{"DB_PASS": "pw"}, []string{"--build DB_PASS DB_PASS error"}, true},
		{"named like a secret in args:", nil, map[string]string{"NPM_PASSWORD": "hunter2"}, nil, []string{"build.yml:7:9 NPM_PASSWORD error"}, true},
		{"lower-case name", nil, map[string]string{"api-key": "x1"}, nil, []string{"build.yml:7:9 api-key error"}, true},
		{"allowed by the policy", warn, nil, map[string]string{"TOKEN": ghp}, []string{"--build TOKEN TOKEN warning"}, false},
		{"off in the policy", off, map[string]string{"TOKEN": ghp}, nil, []string{"build.yml:7:9 TOKEN off"}, false},
		{"empty value", nil, map[string]string{"TOKEN": ""}, nil, nil, false},
		{"public names", nil, map[string]string{"PUBLIC_KEY": "ssh-ed25519 AAAA", "KEY_ID": "1234", "GPG_KEY": "ABCD"}, nil, nil, false},
		{"ordinary args", nil, map[string]string{"VERSION": "1.2.3", "GOPROXY": "https://proxy.golang.org,direct", "NONCE": "1733100000123456789-1", "KEYBOARD": "us"}, map[string]string{"LEAF": "1"}, nil, false},
		{"a hex digest is a value, not a secret", nil, map[string]string{"COMMIT": "2dd3936f1c8b2e7a9a1e0c3b5d7f9e1a2b4c6d8e"}, nil, nil, false},
		{"a hex token under a secret's name", nil, map[string]string{"GITHUB_TOKEN": "2dd3936f1c8b2e7a9a1e0c3b5d7f9e1a2b4c6d8e"}, nil, []string{"build.yml:7:9 GITHUB_TOKEN error"}, true},
		{"--build replaces args:", nil, map[string]string{"TOKEN": ghp}, map[string]string{"TOKEN": ""}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found, err := CheckBuildArgs(tc.p, []*dag.Step{step(tc.args)}, tc.cli)
			var got []string
			for _, a := range found {
				got = append(got, a.Where+" "+a.Name+" "+string(a.Severity))
				if a.Value == "" || strings.Contains(a.String(), a.Value) {
					t.Errorf("%s: Value %q, String() %q: want the value kept and never shown", a.Name, a.Value, a.String())
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("CheckBuildArgs() = %q, want %q", got, tc.want)
			}
			if refused := errors.Is(err, ErrSecretArg); refused != tc.refused {
				t.Errorf("CheckBuildArgs() error = %v, want refused %t", err, tc.refused)
			}
			if err != nil {
				for _, a := range found {
					if strings.Contains(err.Error(), a.Value) {
						t.Errorf("the error shows the value of %s: %v", a.Name, err)
					}
					if !strings.Contains(err.Error(), a.Where) || !strings.Contains(err.Error(), "--mount=type=secret") || !strings.Contains(err.Error(), "SecretInArgEnv: warning") {
						t.Errorf("the error does not say where %s is given and how to fix it: %v", a.Name, err)
					}
				}
			}
		})
	}
}

func TestBuildArgFindings(t *testing.T) {
	pos := dag.Pos{File: "build.yml", Line: 7, Col: 9}
	args := []SecretArg{
		{Name: "GITHUB_TOKEN", Step: "a", Why: "is named like a secret", Severity: SeverityError, Value: "ghp_x", Pos: pos},
		{Name: "NPM_TOKEN", Why: "is named like a secret", Severity: SeverityWarning, Value: "npm_y", Pos: dag.Pos{File: "--build NPM_TOKEN"}},
		{Name: "OFF_TOKEN", Severity: SeverityOff, Value: "z"},
	}
	got := BuildArgFindings(args)
	if len(got) != 2 {
		t.Fatalf("BuildArgFindings = %d findings, want 2 (off is left out): %v", len(got), got)
	}
	if got[0].Rule != RuleSecretInArgEnv || got[0].Pos != pos || got[0].Step != "a" || got[0].Severity != SeverityError {
		t.Errorf("finding 0 = %+v, want rule %s at %v for step a, error", got[0], RuleSecretInArgEnv, pos)
	}
	for _, f := range got {
		if strings.Contains(f.Message, "ghp_x") || strings.Contains(f.Message, "npm_y") {
			t.Errorf("finding %q holds the value", f.Message)
		}
	}
}
