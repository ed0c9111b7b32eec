// Package dag turns a Habitus-style build.yml into a typed, validated Build and
// a dependency graph of its steps (a Plan).
//
// Load reads the file, substitutes _env(VAR) in the raw text, parses it with
// gopkg.in/yaml.v3 nodes so every value keeps its line:col, validates it
// against the work dir (Dockerfiles, contexts, artifact paths, secrets), reads
// each step's Dockerfile with BuildKit's own parser to find FROM edges and
// external bases, and reports every error found as "FILE:LINE:COL: message".
//
// NewPlan orders the steps and answers the plan queries: build order, the
// steps a selection needs, dependents, and the longest path. Ordering and
// cycle detection are linear-time and done here over adjacency lists: the
// library's TopologicalSort is quadratic (upstream issue #170). Plan.Graph
// returns the same graph as a github.com/dominikbraun/graph graph, built on
// first use because filling it costs more than all the queries together.
//
// It is also the gate for what a build file may reach (see DESIGN.md, "Trust
// model"): a step label is a plain name (ValidLabel), since folders are named
// after it; build.work_dir stays in the build file's folder, literally and
// through symlinks (WithWorkDir, the user's -d, is trusted as given);
// contexts, Dockerfiles, .dockerignore files, artifact destinations and file
// secrets stay in the work dir, a secret file outside it only when the
// command line allows it (WithAllowedReads, --allow fs.read=PATH) or replaces
// it (WithOverriddenSecrets, --secret). Every input file is read through
// internal/boundedio: regular files only, never blocking on a FIFO, within
// a size limit. Every such refusal is an Error at the build file's
// FILE:LINE:COL, wrapping ErrInvalid.
//
// The package does no I/O beyond reading the build file, Dockerfiles and
// .dockerignore files and checking paths, and imports no BuildKit client
// code.
package dag
