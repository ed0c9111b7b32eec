// Package containers answers "which running containers were built on this
// base?" after a CVE in a base image, and runs an emergency command in each:
// it lists the running containers of a Docker engine whose image weld built
// on a base (the org.opencontainers.image.base.name and .digest labels of
// the image, never a container's own labels, which whoever starts it
// chooses), and runs a command in those, and only those, through the
// engine's exec API.
package containers
