// Package dockerfile reads the stages of a Dockerfile with BuildKit's own
// parser (github.com/moby/buildkit/frontend/dockerfile/parser and
// .../instructions): each stage's name, its base ref after ARG expansion, and
// the line of its FROM. It also normalizes image names the way BuildKit keys
// named contexts, so a FROM can be matched against a step's image name.
//
// It is pure: it neither resolves images nor talks to a daemon.
package dockerfile
