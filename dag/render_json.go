package dag

// PlanJSON is what `weld plan --format json` prints. The schema is stable:
// fields may be added, never renamed or removed. Lists are [] when empty,
// never null.
//
//	{
//	  "version": 1,                      // schema version
//	  "file": "build.yml",               // the build file, as given
//	  "steps": [ StepJSON, ... ],        // a valid build order
//	  "longest_path": ["compile", ...]   // labels, in build order
//	}
type PlanJSON struct {
	Version     int        `json:"version"`
	File        string     `json:"file"`
	Steps       []StepJSON `json:"steps"`
	LongestPath []string   `json:"longest_path"`
}

// StepJSON is one step of PlanJSON. Paths are relative to the work dir,
// with slashes.
//
//	{
//	  "label": "runtime",                // the key under steps:
//	  "name": "myapp",                   // image name; "" when none
//	  "depends_on": ["compile"],         // resolved labels, FROM edges included
//	  "from_steps": [],                  // the labels this step's FROMs name
//	  "dockerfile": "Dockerfile.run",
//	  "context": ".",
//	  "target": "",                      // "" builds the last stage
//	  "artifacts": [{"source": "/usr/bin/app", "dest": ".", "path": "app"}],
//	  "bases": [{"ref": "alpine:3.20", "line": 1}],  // external FROMs
//	  "final_base": {"scratch": true},   // or {"ref": "..."} or {"step": "..."}
//	  "secrets": [{"id": "token", "type": "file"}],
//	  "tests": [],
//	  "publish": true,
//	  "no_cache": false,
//	  "longest_path": true,              // on the critical path
//	  "context_size": {"files": 3, "bytes": 4096, "more": false},
//	  "platforms": ["linux/amd64", "linux/arm64"]  // absent: the daemon's
//	}
//
// context_size is there only when the caller measured the contexts (weld
// plan does; see ContextSize).
type StepJSON struct {
	Label       string         `json:"label"`
	Name        string         `json:"name"`
	DependsOn   []string       `json:"depends_on"`
	FromSteps   []string       `json:"from_steps"`
	Dockerfile  string         `json:"dockerfile"`
	Context     string         `json:"context"`
	Target      string         `json:"target"`
	Artifacts   []ArtifactJSON `json:"artifacts"`
	Bases       []BaseJSON     `json:"bases"`
	FinalBase   FinalBase      `json:"final_base"`
	Secrets     []Secret       `json:"secrets"`
	Tests       []string       `json:"tests"`
	Publish     bool           `json:"publish"`
	NoCache     bool           `json:"no_cache"`
	LongestPath bool           `json:"longest_path"`
	ContextSize *ContextSize   `json:"context_size,omitempty"`
	// Platforms are the step's platforms; absent when it builds for the
	// daemon's own.
	Platforms []string `json:"platforms,omitempty"`
}

// ArtifactJSON is an artifact in PlanJSON: path is where it lands,
// dest/basename(source).
type ArtifactJSON struct {
	Source string `json:"source"`
	Dest   string `json:"dest"`
	Path   string `json:"path"`
}

// BaseJSON is an external base image in PlanJSON, with the line of its
// FROM in the step's Dockerfile.
type BaseJSON struct {
	Ref  string `json:"ref"`
	Line int    `json:"line"`
}

// json builds the PlanJSON of the view.
func (v *view) json() PlanJSON {
	out := PlanJSON{Version: 1, File: v.p.build.File, Steps: make([]StepJSON, len(v.steps)),
		LongestPath: orEmpty(pathLabels(v.path))}
	for i, s := range v.steps {
		out.Steps[i] = v.stepJSON(s)
	}
	return out
}

func (v *view) stepJSON(s *Step) StepJSON {
	sj := StepJSON{
		Label: s.Label, Name: s.Name,
		DependsOn: orEmpty(s.DependsOn), FromSteps: orEmpty(s.FromSteps),
		Dockerfile: v.rel(s.Dockerfile), Context: v.rel(s.Context), Target: s.Target,
		Artifacts: make([]ArtifactJSON, len(s.Artifacts)), Bases: make([]BaseJSON, len(s.Bases)),
		FinalBase: s.FinalBase, Secrets: orEmpty(s.Secrets), Tests: orEmpty(s.Tests),
		Publish: s.Publish, NoCache: s.NoCache, LongestPath: v.critical[s], Platforms: s.Platforms,
	}
	if size, ok := v.sizes[s.Label]; ok {
		sj.ContextSize = &size
	}
	for i, a := range s.Artifacts {
		sj.Artifacts[i] = ArtifactJSON{Source: a.Source, Dest: a.Dest, Path: a.Path()}
	}
	for i, b := range s.Bases {
		sj.Bases[i] = BaseJSON{Ref: b.Ref, Line: b.Pos.Line}
	}
	return sj
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
