// Package display renders a build for a person, as buildx's util/progress
// and its build command's printing helpers do: the BuildKit progress
// display (Progress), the closing summary of a builder.Result (Summary),
// what stopped a build before it ran (Stop: the policy's refusals, the
// Dockerfile checks' errors, the daemon's denied sources) and the builder's
// events as log lines (LogEvent).
//
// It writes to the io.Writer or logger it is given; it never prints on its
// own, never exits and never reads a file.
package display
