package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/weld-build/weld/dag"
)

// Finding is one problem a check found in a step's Dockerfile.
type Finding struct {
	// Rule is the check's ID: a BuildKit lint rule (JSONArgsRecommended…)
	// or one of weld's (RootUser…); rules: in the policy keys on it.
	Rule string `json:"rule"`
	// Severity is the rule's severity: the policy's, else the default.
	Severity Severity `json:"severity"`
	// Step is the step's label.
	Step string `json:"step"`
	// Pos is the Dockerfile line, its file relative to the work dir.
	Pos dag.Pos `json:"pos"`
	// Message says what is wrong and how to fix it. It never holds the
	// value of a secret.
	Message string `json:"message"`
	// URL documents the rule, when there is a page.
	URL string `json:"url,omitempty"`
}

// String formats a finding as "FILE:LINE: SEVERITY RULE: step S: MESSAGE".
func (f Finding) String() string {
	return fmt.Sprintf("%s: %s %s: step %s: %s", f.Pos, f.Severity, f.Rule, f.Step, f.Message)
}

// Findings are the findings of a lint run.
type Findings []Finding

// Errors counts the findings of error severity.
func (fs Findings) Errors() int {
	n := 0
	for _, f := range fs {
		if f.Severity == SeverityError {
			n++
		}
	}
	return n
}

// ErrLint is returned (wrapped) by callers that fail on error-severity
// findings.
var ErrLint = errors.New("the Dockerfile checks found errors")

// Err returns an error wrapping ErrLint when a finding has error severity.
func (fs Findings) Err() error {
	if n := fs.Errors(); n > 0 {
		return fmt.Errorf("%w: %d error(s)", ErrLint, n)
	}
	return nil
}

// WriteText writes one finding per line.
func (fs Findings) WriteText(w io.Writer) error {
	for _, f := range fs {
		if _, err := fmt.Fprintln(w, f.String()); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes {"findings": [...], "errors": N, "warnings": N}.
func (fs Findings) WriteJSON(w io.Writer) error {
	out := struct {
		Findings Findings `json:"findings"`
		Errors   int      `json:"errors"`
		Warnings int      `json:"warnings"`
	}{Findings: fs, Errors: fs.Errors(), Warnings: len(fs) - fs.Errors()}
	if out.Findings == nil {
		out.Findings = Findings{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// The rules weld adds, for the images it publishes.
const (
	// RuleRootUser: the image's final stage runs as root.
	RuleRootUser = "RootUser"
	// RuleExposeSSH: the image exposes port 22.
	RuleExposeSSH = "ExposeSSH"
	// RuleRemoteAdd: ADD of a remote URL without --checksum.
	RuleRemoteAdd = "RemoteAdd"
	// RuleUnpinnedBase: a base with the latest tag or no tag.
	RuleUnpinnedBase = "UnpinnedBase"
	// RuleSecretInArgEnv: an ARG or ENV named like a secret, or holding a
	// value that looks like one.
	RuleSecretInArgEnv = "SecretInArgEnv"
	// RuleDockerfileError: the Dockerfile frontend could not convert the
	// Dockerfile.
	RuleDockerfileError = "DockerfileError"
)

// WeldRules are weld's own rule IDs.
var WeldRules = []string{RuleRootUser, RuleExposeSSH, RuleRemoteAdd, RuleUnpinnedBase, RuleSecretInArgEnv}

// BuildKitRules are the IDs of BuildKit's Dockerfile lint rules (v0.34;
// github.com/moby/buildkit/frontend/dockerfile/linter).
var BuildKitRules = []string{
	"StageNameCasing", "FromAsCasing", "NoEmptyContinuation", "ConsistentInstructionCasing",
	"DuplicateStageName", "ReservedStageName", "JSONArgsRecommended", "MaintainerDeprecated",
	"UndefinedArgInFrom", "WorkdirRelativePath", "UndefinedVar", "MultipleInstructionsDisallowed",
	"LegacyKeyValueFormat", "InvalidBaseImagePlatform", "RedundantTargetPlatform",
	"SecretsUsedInArgOrEnv", "InvalidDefaultArgInFrom", "FromPlatformFlagConstDisallowed",
	"CopyIgnoredFile", "InvalidDefinitionDescription", "ExposeProtoCasing", "ExposeInvalidFormat",
}

// RuleIDs lists every check ID rules: accepts.
func RuleIDs() []string {
	return slices.Concat(BuildKitRules, WeldRules, []string{RuleDockerfileError})
}
