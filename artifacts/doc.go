// Package artifacts holds the LLB weld writes itself, pure and tested by
// marshalling, with no daemon: the copies of a step's artifacts
// (/src/path[:dest]) out of its result into the build context of the steps
// that depend on it (Place, Layer), that context (Context), and the squash
// of cleanup.commands (Cleanup). Everything stays inside the engine: no file
// passes through the host unless asked for (Habitus round-tripped everything
// through it).
//
// Habitus semantics are kept: the file or folder Source lands at
// <work dir>/<Dest>/<basename(Source)>, and a dependent whose context is a
// folder of the work dir sees it at that path relative to its context.
package artifacts
