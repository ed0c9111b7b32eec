// Package sbom makes an SPDX 2.3 JSON software bill of materials of a
// container image in-process, from its layer blobs, without a scanner image:
// the Go modules of every Go binary (debug/buildinfo over each ELF file),
// Alpine packages (/lib/apk/db/installed), Debian packages
// (/var/lib/dpkg/status and status.d/) and each layer's files with their
// SHA-1 and SHA-256 digests. Packages come from the image's final
// filesystem (whiteouts applied); files are listed per layer, as each layer
// wrote them. The document holds no wall-clock time: its creation time is
// the caller's (a build's SOURCE_DATE_EPOCH), so the same layers give the
// same bytes.
package sbom
