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
// The package does no I/O beyond reading the build file and Dockerfiles, and
// imports no BuildKit client code.
package dag
