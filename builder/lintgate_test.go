package builder

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

func TestLintVerdict(t *testing.T) {
	warn := policy.Finding{Rule: "RootUser", Severity: policy.SeverityWarning, Step: "app", Pos: dag.Pos{File: "Dockerfile", Line: 1}, Message: "no USER"}
	bad := policy.Finding{Rule: "ExposeSSH", Severity: policy.SeverityError, Step: "app", Pos: dag.Pos{File: "Dockerfile", Line: 2}, Message: "EXPOSE 22"}
	for _, tc := range []struct {
		name     string
		findings policy.Findings
		events   []string
		stops    bool
	}{
		{"none", nil, nil, false},
		{"a warning", policy.Findings{warn}, []string{"warning app " + warn.String()}, false},
		{"an error", policy.Findings{bad}, nil, true},
		{"both", policy.Findings{warn, bad}, []string{"warning app " + warn.String()}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, err := lintVerdict(tc.findings)
			if diff := cmp.Diff(tc.events, eventLines(events)); diff != "" {
				t.Errorf("lintVerdict events (-want +got):\n%s", diff)
			}
			for _, e := range events {
				if e.Rule != warn.Rule || e.Source != warn.Pos.String() || e.Source == "" {
					t.Errorf("warning event rule %q source %q, want %q %q", e.Rule, e.Source, warn.Rule, warn.Pos)
				}
			}
			var le *LintError
			if got := errors.As(err, &le); got != tc.stops {
				t.Fatalf("lintVerdict error = %v, want a LintError: %v", err, tc.stops)
			}
			if tc.stops && (!errors.Is(err, policy.ErrLint) || len(le.Findings) != len(tc.findings) || !strings.HasSuffix(err.Error(), "; nothing was built")) {
				t.Errorf("LintError = %v with %d findings, want every finding, wrapping ErrLint", err, len(le.Findings))
			}
		})
	}
}

// TestRunWithPolicyLintGate: an error-severity finding stops the run after
// the checks and before anything builds; a warning is an event.
func TestRunWithPolicyLintGate(t *testing.T) {
	for _, tc := range []struct {
		name, policy string
		stops        bool
	}{
		{"RootUser a warning", "", false},
		{"RootUser an error", "rules:\n  RootUser: error\n", true},
		{"RootUser off", "rules:\n  RootUser: off\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policyProject(t, appProject(t, "FROM busybox:1.36\n", ""))
			s := &policySolver{}
			var warnings []string
			b, err := New(s, WithPolicy(mustPolicy(t, tc.policy)), WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}),
				WithEvents(func(e Event) {
					if e.Type == EventWarning {
						warnings = append(warnings, e.Message)
					}
				}))
			if err != nil {
				t.Fatal(err)
			}
			res, err := b.Run(context.Background(), p)
			var le *LintError
			if errors.As(err, &le) != tc.stops {
				t.Fatalf("Run() error = %v, want a LintError: %v", err, tc.stops)
			}
			rootWarned := strings.Contains(strings.Join(warnings, "\n"), "RootUser")
			switch {
			case tc.stops && (res != nil || len(s.exported) != 0 || le.Findings[0].Rule != "RootUser"):
				t.Errorf("Run() = %v, exported %v, findings %v; want nothing built and the RootUser error", res, s.exported, le.Findings)
			case !tc.stops && (err != nil || res.Step("app").Status != StatusDone):
				t.Errorf("Run() = %v, %v; want app done", res, err)
			case rootWarned != (tc.policy == ""):
				t.Errorf("warnings = %q; want RootUser among them only when it is a warning", warnings)
			}
		})
	}
}

// TestCheckIsWeldLint: Check refuses as Run does, and otherwise returns
// the build args' findings, then the Dockerfiles', without a session.
func TestCheckIsWeldLint(t *testing.T) {
	p := policyProject(t, appProject(t, "FROM busybox:1.36\nEXPOSE 22\n", ""))
	s := &policySolver{}
	b, err := New(s, WithPolicy(mustPolicy(t, "rules:\n  ExposeSSH: error\n")), WithBuildArgs(map[string]string{"TOKEN": token}))
	if err != nil {
		t.Fatal(err)
	}
	findings, err := b.Check(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, f := range findings {
		rules = append(rules, string(f.Severity)+" "+f.Rule)
		if strings.Contains(f.String(), token) {
			t.Errorf("finding %q holds the token", f)
		}
	}
	if diff := cmp.Diff([]string{"error SecretInArgEnv", "error ExposeSSH", "warning RootUser"}, rules); diff != "" {
		t.Errorf("Check findings (-want +got):\n%s", diff)
	}
	b, _ = New(s, WithPolicy(mustPolicy(t, "allowed_bases: [alpine]\n")))
	if _, err := b.Check(context.Background(), p); !refusal("base busybox:1.36 is not allowed")(err) {
		t.Errorf("Check() error = %v, want the refusal", err)
	}
	if n := s.sessions.Load(); n != 0 {
		t.Errorf("Check opened %d sessions, want none", n)
	}
}
