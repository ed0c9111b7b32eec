package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/boundedio"
)

// DefaultFile is the policy file weld reads from the work dir when no
// --policy is given and the file exists.
const DefaultFile = "weld.policy.yml"

// Policy is a parsed and validated policy file.
type Policy struct {
	// File is the policy file's path as the user gave it.
	File string
	// AllowedBases are the patterns a FROM must match (after Replace); nil
	// when the file has no allowed_bases, which allows every base.
	AllowedBases []Pattern
	// AllowedPos is where allowed_bases' value is written.
	AllowedPos dag.Pos
	// HasAllowlist is true when the file sets allowed_bases, even to [].
	HasAllowlist bool
	// Replace are the base replacements, in file order.
	Replace []Replacement
	// PinDigests asks for every base to be resolved to a digest and recorded.
	PinDigests bool
	// Rules set the severity of checks by rule ID.
	Rules map[string]Rule
	// Gates are commands run on each image's OCI layout before publishing.
	Gates []Gate
	// AllowedFrontends are the patterns a Dockerfile's # syntax= image (or a
	// BUILDKIT_SYNTAX build arg) must match; none by default, so that every
	// step builds with BuildKit's built-in Dockerfile frontend.
	AllowedFrontends []Pattern
	// FrontendsPos is where allowed_frontends' value is written.
	FrontendsPos dag.Pos
	// AllowedSources are the patterns an http(s):// or git source (ADD)
	// must match, when HasSources.
	AllowedSources []Pattern
	// SourcesPos is where allowed_sources' value is written.
	SourcesPos dag.Pos
	// HasSources is true when the file sets allowed_sources, even to [];
	// without it every remote source is allowed (with the RemoteAdd check).
	HasSources bool
	// Sign, SignedBases and BannedBases: see supplychain.go.
	Sign        *SignRule
	SignedBases []SignedBaseRule
	BannedBases []BannedBase
	// Limit is a policy this one cannot loosen (an operator's, see
	// Intersect): a ref is allowed when both allow it.
	Limit *Policy
}

// Pattern is one allowed_bases entry.
type Pattern struct {
	// Text is the pattern as written.
	Text string
	// Norm is the pattern with its image name normalized
	// (alpine:* → docker.io/library/alpine:*).
	Norm string
	// Pos is where the pattern is written.
	Pos dag.Pos
}

// Replacement swaps a base: every FROM From is built from To.
type Replacement struct {
	// From is the replaced ref as written; Key is its normalized form.
	From, Key string
	// To is the replacement: an image ref, or oci-layout://DIR[@sha256:…]
	// with DIR resolved against the policy file's folder.
	To string
	// Pos is where the entry is written.
	Pos dag.Pos
}

// IsLayout reports whether the replacement is an OCI layout on disk.
func (r Replacement) IsLayout() bool { return strings.HasPrefix(r.To, "oci-layout://") }

// Source returns the replacement in builder.ParseImage's REF=SOURCE syntax.
func (r Replacement) Source() string {
	if r.IsLayout() || strings.HasPrefix(r.To, "docker-image://") {
		return r.From + "=" + r.To
	}
	return r.From + "=docker-image://" + r.To
}

// Severity is how a check's finding counts.
type Severity string

// The severities a rule can have.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityOff     Severity = "off"
)

// Rule is one entry of rules:.
type Rule struct {
	// Severity is the severity the policy sets.
	Severity Severity
	// Pos is where the policy sets it.
	Pos dag.Pos
}

// Gate is one scanner gate: Run, with {{oci_dir}} replaced by the folder of
// an image's OCI layout, must exit 0 before the image is published.
type Gate struct {
	// Run is the shell command; {{oci_dir}} stands for the image's OCI layout.
	Run string
	// Pos is where the gate is written in the policy file.
	Pos dag.Pos
}

// Command returns the gate's command for the OCI layout in dir.
func (g Gate) Command(dir string) string { return strings.ReplaceAll(g.Run, OCIDirVar, dir) }

// OCIDirVar is the placeholder a gate's command must hold.
const OCIDirVar = "{{oci_dir}}"

// Load reads the policy file at path. A missing file is an error; use
// Find for the optional default.
func Load(path string) (*Policy, error) {
	data, err := boundedio.ReadFile(path, boundedio.MaxPolicyFile)
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return nil, dag.ErrorList{{Pos: dag.Pos{File: path}, Msg: fmt.Sprintf("reading the policy file: %v", err)}}
	}
	return Parse(path, data)
}

// Find returns the policy to use: the file at path when it is not empty,
// else DefaultFile in workDir when it exists, else an empty Policy.
func Find(path, workDir string) (*Policy, error) {
	if path != "" {
		return Load(path)
	}
	def := filepath.Join(workDir, DefaultFile)
	if cwd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(cwd, def); err == nil && !strings.HasPrefix(rel, "..") {
			def = rel
		}
	}
	if _, err := os.Stat(def); err != nil {
		return &Policy{}, nil
	}
	return Load(def)
}

// Severity returns the severity of rule: the policy's, else def.
func (p *Policy) Severity(rule string, def Severity) Severity {
	if r, ok := p.Rules[rule]; ok {
		return r.Severity
	}
	return def
}

// Replacement returns the replacement of ref, if the policy has one.
func (p *Policy) Replacement(ref string) (Replacement, bool) {
	key, err := normalize(ref)
	if err != nil {
		return Replacement{}, false
	}
	i := slices.IndexFunc(p.Replace, func(r Replacement) bool { return r.Key == key })
	if i < 0 {
		return Replacement{}, false
	}
	return p.Replace[i], true
}
