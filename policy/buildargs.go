package policy

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/weld-build/weld/dag"
)

// ErrSecretArg marks a build arg that looks like it holds a secret and that
// the policy does not allow.
var ErrSecretArg = errors.New("a build arg holds a secret")

// SecretArg is a build arg that is named like a secret or holds a value
// shaped like a credential.
type SecretArg struct {
	// Name is the arg's name.
	Name string
	// Where is where it is given: build.yml:LINE:COL of the step's args:
	// entry, or "--build NAME".
	Where string
	// Step is the step whose args: give it; empty for --build.
	Step string
	// Why says what makes it look like a secret.
	Why string
	// Severity is the rule SecretInArgEnv's: the policy's, else error.
	Severity Severity
	// Value is the arg's value, for redaction only: never print it.
	Value string
	// Pos is where it is given, for a Finding: the args: entry, or
	// "--build NAME" as the file.
	Pos dag.Pos
}

// String says where the arg is given, why it looks like a secret and how to
// fix it; never its value.
func (a SecretArg) String() string {
	step := ""
	if a.Step != "" {
		step = fmt.Sprintf(" of step %s", a.Step)
	}
	return fmt.Sprintf("%s: build arg %s%s %s: a build arg's value is kept in the image's config and history and shows in the build's progress; pass it as a secret instead (secrets: in build.yml or --secret id=%s,env=VAR, read with RUN --mount=type=secret,id=%s), or allow it with rules: {%s: warning} in the policy",
		a.Where, a.Name, step, a.Why, strings.ToLower(a.Name), strings.ToLower(a.Name), RuleSecretInArgEnv)
}

// CheckBuildArgs finds the build args the steps will be built with (their
// args:, and the command line's, which override them) that are named like
// a secret or hold a value shaped like a credential; empty values are not
// counted. Each one has the severity the policy gives the rule
// SecretInArgEnv, error when it gives none (p may be nil). It returns them
// all, the steps' first in step order, and an error wrapping ErrSecretArg
// that names those of error severity (never their values).
func CheckBuildArgs(p *Policy, steps []*dag.Step, cli map[string]string) ([]SecretArg, error) {
	sev := SeverityError
	if p != nil {
		sev = p.Severity(RuleSecretInArgEnv, SeverityError)
	}
	var found []SecretArg
	check := func(name, value string, pos dag.Pos, step string) {
		if why := secretArgWhy(name, value); why != "" {
			found = append(found, SecretArg{Name: name, Where: pos.String(), Step: step, Why: why, Severity: sev, Value: value, Pos: pos})
		}
	}
	for _, s := range steps {
		for _, name := range slices.Sorted(maps.Keys(s.Args)) {
			if _, ok := cli[name]; ok {
				continue // --build replaces it
			}
			pos, ok := s.Keys["args."+name]
			if !ok {
				pos = s.Pos
			}
			check(name, s.Args[name], pos, s.Label)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cli)) {
		check(name, cli[name], dag.Pos{File: "--build " + name}, "")
	}
	if sev != SeverityError || len(found) == 0 {
		return found, nil
	}
	lines := make([]string, len(found))
	for i, a := range found {
		lines[i] = a.String()
	}
	return found, fmt.Errorf("%w:\n%s", ErrSecretArg, strings.Join(lines, "\n"))
}

// secretArgWhy says why an arg looks like a secret, or "" when it does not.
// A value of hex digits alone (a commit id, a digest) counts only under a
// name like a secret's: as a build arg it is far more often a revision.
func secretArgWhy(name, value string) string {
	switch {
	case value == "":
		return ""
	case looksSecretValue(value) && !isHex(value):
		return "holds a value that looks like a credential"
	case looksSecretName(name):
		return "is named like a secret"
	}
	return ""
}

func isHex(s string) bool {
	return strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// BuildArgFindings turns the build args that look like secrets into lint
// findings of rule SecretInArgEnv, as weld lint reports them; the message
// never holds the value.
func BuildArgFindings(args []SecretArg) Findings {
	var out Findings
	for _, a := range args {
		if a.Severity == SeverityOff {
			continue
		}
		out = append(out, Finding{Rule: RuleSecretInArgEnv, Severity: a.Severity, Step: a.Step, Pos: a.Pos,
			Message: fmt.Sprintf("build arg %s %s: build args are kept in the image's config and history; mount it with RUN --mount=type=secret and secrets: in build.yml", a.Name, a.Why)})
	}
	return out
}
