package dag

import (
	"fmt"
	"path"
)

// SupportedVersions are the build.version values weld reads.
var SupportedVersions = []string{"2016-02-13", "2016-03-14"}

// Pos is a position in a file. Line and Col are 1-based; zero means unknown.
type Pos struct {
	// File is the file's path as the user gave it.
	File string `json:"file,omitempty"`
	// Line is the 1-based line.
	Line int `json:"line,omitempty"`
	// Col is the 1-based column, in runes.
	Col int `json:"col,omitempty"`
}

// String formats the position as FILE:LINE:COL (or less, when unknown).
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Build is a parsed and validated build.yml.
type Build struct {
	// File is the build file's path as the user gave it.
	File string
	// Version is build.version.
	Version string
	// WorkDir is the absolute work directory: contexts, Dockerfiles and
	// artifact destinations are relative to it.
	WorkDir string
	// Steps are the steps in the order the file lists them.
	Steps []*Step
	// Warnings are non-fatal findings (e.g. depends_on naming an image name).
	Warnings []*Error
}

// Step looks up a step by label.
func (b *Build) Step(label string) *Step {
	for _, s := range b.Steps {
		if s.Label == label {
			return s
		}
	}
	return nil
}

// Step is one Dockerfile build of a build.yml.
type Step struct {
	// Label is the step's key under steps:.
	Label string
	// Pos is where the label is written.
	Pos Pos
	// Name is the image name (name:); empty when the step names no image.
	Name string
	// Dockerfile is the absolute path of the Dockerfile.
	Dockerfile string
	// Context is the absolute path of the build context.
	Context string
	// Args are the build args (args:), plus any set on the command line later.
	Args map[string]string
	// Target is the Dockerfile stage to build; empty for the last.
	Target string
	// Artifacts are the files this step hands to the steps that depend on it.
	Artifacts []Artifact
	// Cleanup are cleanup.commands, run in the image before squashing.
	Cleanup []string
	// DependsOn are the resolved labels the step depends on: depends_on plus
	// the edges implied by FROM <step name>, sorted, without duplicates.
	DependsOn []string
	// FromSteps are the labels of steps that this step's Dockerfile names in
	// a FROM (a subset of DependsOn).
	FromSteps []string
	// Command runs in the built image after the build; non-zero fails it.
	Command string
	// AfterBuildCommand runs on the host, only when asked for.
	AfterBuildCommand string
	// NoCache disables the cache for this step.
	NoCache bool
	// Secrets are mounted with BuildKit secret mounts, by ID.
	Secrets []Secret
	// Tests are commands run inside the built image before publishing.
	Tests []string
	// Publish reports whether the image is published: true when the step has
	// a name, unless publish: false.
	Publish bool
	// Bases are the external base images the Dockerfile's FROMs name (not
	// stages, not steps, not scratch), in Dockerfile order.
	Bases []Base
	// FinalBase is the FROM of the stage that is built (Target, or the last):
	// followed through stage aliases to an external ref, a step label, or
	// "scratch". It is what cleanup squashes onto.
	FinalBase FinalBase
	// Platforms are the os/arch[/variant] the step builds for (platforms:,
	// else the build's WithPlatforms), normalized; empty for the daemon's own.
	Platforms []string

	// Keys records where each key of the step is written ("dockerfile",
	// "context", "artifacts[0]", "secrets.id", ...), for later error messages.
	Keys map[string]Pos
}

// FinalBase is what the built stage starts from.
type FinalBase struct {
	// Ref is the external image ref as written (empty for scratch or a step).
	Ref string `json:"ref,omitempty"`
	// Step is the label of the step it builds on (empty otherwise).
	Step string `json:"step,omitempty"`
	// Scratch is true for FROM scratch.
	Scratch bool `json:"scratch,omitempty"`
}

// Artifact is a file or folder a step hands on: Source from the step's image
// lands at WorkDir/Dest/basename(Source).
type Artifact struct {
	// Source is the absolute path in the image.
	Source string `json:"source"`
	// Dest is the folder relative to the work dir, cleaned; "." by default.
	Dest string `json:"dest"`
	// Pos is where the artifact is written in build.yml.
	Pos Pos `json:"-"`
}

// Path returns where the artifact lands, relative to the work dir.
func (a Artifact) Path() string {
	return joinRel(a.Dest, baseName(a.Source))
}

// SecretType is how a secret's value is found.
type SecretType string

const (
	// SecretFile reads the value from the file at Value.
	SecretFile SecretType = "file"
	// SecretEnv reads the value from the environment variable named by Value.
	SecretEnv SecretType = "env"
)

// Secret is a build secret, served to RUN --mount=type=secret,id=ID.
type Secret struct {
	// ID is the id RUN --mount=type=secret,id=ID asks for.
	ID string `json:"id"`
	// Type says where the value comes from.
	Type SecretType `json:"type"`
	// Value is a file path (absolute, or made absolute against the work dir)
	// for file secrets, or a variable name for env secrets.
	Value string `json:"-"`
	// Pos is where the secret is declared.
	Pos Pos `json:"-"`
}

// Base is an external base image named by a FROM.
type Base struct {
	// Ref is the image reference as written in the Dockerfile (after ARG
	// expansion where possible).
	Ref string `json:"ref"`
	// Pos is the FROM line in the Dockerfile.
	Pos Pos `json:"pos"`
}

// joinRel joins slash paths relative to the work dir and cleans them.
func joinRel(dir, name string) string { return path.Clean(path.Join(dir, name)) }

// baseName is path.Base for a slash path.
func baseName(p string) string { return path.Base(p) }
