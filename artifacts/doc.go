// Package artifacts turns a step's artifact specs (/src/path[:dest]) into the
// LLB that copies them out of that step's result into the build context of the
// steps that depend on it, inside the engine: no file passes through the host
// unless asked for (Habitus round-tripped everything through it).
//
// Habitus semantics are kept: the file or folder Source lands at
// <work dir>/<Dest>/<basename(Source)>, and a dependent whose context is a
// folder of the work dir sees it at that path relative to its context.
package artifacts
