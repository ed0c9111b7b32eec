// Package leakscan looks for the bytes of secrets in an image: every layer
// (each file's contents and name, decompressed), the config with its history,
// the manifests and the attestations of an OCI layout.
//
// It finds each secret as it is, case-folded (ASCII), reversed, in hex
// (either case), in base64 (standard and URL alphabets) and in base32
// (standard and hex alphabets), at every alignment, padded or not, and
// wrapped across lines (whitespace is skipped). Inside a layer file it opens
// gzip, zstd, bzip2 and xz streams and tar and zip archives, known by their
// first bytes, nested up to MaxDepth deep and within MaxDecoded bytes. It
// reports where, never what; a file past a bound is reported as not fully
// scanned.
package leakscan

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	digest "github.com/opencontainers/go-digest"
)

// ErrLeak marks an image that holds a secret, or that the scan could not
// read fully: either way it is not published.
var ErrLeak = errors.New("secret found in the image")

// ErrIncomplete marks an image with a file the scan could not read fully
// (past its bounds of depth, size or ratio); it also matches ErrLeak.
var ErrIncomplete = errors.New("image not fully scanned for secrets")

// Finding is one place a secret was found, or one place that could not be
// scanned fully.
type Finding struct {
	// Secret is the secret's id (never its value); "" when Incomplete.
	Secret string
	// Blob is the digest of the layer, config, manifest or attestation.
	Blob string
	// Kind says what the blob is: "layer", "config" (with the history),
	// "manifest", "index", "attestation", or "blob".
	Kind string
	// File is the path inside the layer, for layers; a path inside an
	// archive follows the archive's path after "!/", as in
	// "app/bundle.tar.gz!/inner/secret.txt". A secret in a name is shown as
	// <secret>.
	File string
	// Encoding is how the secret was written: "raw", "case-folded",
	// "reversed", "hex", "base64" or "base32".
	Encoding string
	// Container is the chain of containers opened inside the layer file to
	// find it, as "gzip+tar+zip"; "" for the file's own bytes.
	Container string
	// Incomplete, when set, says why the file could not be scanned fully.
	Incomplete string
}

// String names the place, never the secret.
func (f Finding) String() string {
	var b strings.Builder
	if f.Secret != "" {
		fmt.Fprintf(&b, "secret %q in ", f.Secret)
	}
	fmt.Fprintf(&b, "%s %s", f.Kind, short(f.Blob))
	if f.File != "" {
		fmt.Fprintf(&b, ", file /%s", strings.TrimPrefix(f.File, "/"))
	}
	switch {
	case f.Incomplete != "" && f.Container != "":
		fmt.Fprintf(&b, " (%s): not fully scanned: %s", f.Container, f.Incomplete)
	case f.Incomplete != "":
		fmt.Fprintf(&b, ": not fully scanned: %s", f.Incomplete)
	case f.Container != "":
		fmt.Fprintf(&b, " (%s, in %s)", f.Encoding, f.Container)
	default:
		fmt.Fprintf(&b, " (%s)", f.Encoding)
	}
	return b.String()
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// Error is a leak, or a scan that could not be completed: the image and
// every place.
type Error struct {
	// Image is the image's name.
	Image string
	// Findings are the places, never the values.
	Findings []Finding
}

// Error implements error.
func (e *Error) Error() string {
	var leaks, partial []string
	for _, f := range e.Findings {
		if f.Incomplete != "" {
			partial = append(partial, f.String())
		} else {
			leaks = append(leaks, f.String())
		}
	}
	var parts []string
	if len(leaks) > 0 {
		parts = append(parts, "holds a secret it was built with, in "+strings.Join(leaks, "; "))
	}
	if len(partial) > 0 {
		parts = append(parts, "could not be fully scanned for the secrets it was built with (what was not read could hold one), in "+strings.Join(partial, "; "))
	}
	return fmt.Sprintf("image %s %s: not published", e.Image, strings.Join(parts, ", and "))
}

// Unwrap makes the error match ErrLeak, and ErrIncomplete when a place
// could not be scanned fully.
func (e *Error) Unwrap() []error {
	errs := []error{ErrLeak}
	if slices.ContainsFunc(e.Findings, func(f Finding) bool { return f.Incomplete != "" }) {
		errs = append(errs, ErrIncomplete)
	}
	return errs
}

// Version changes whenever what a scan finds may change (the forms it
// searches for, the containers it opens, its limits): a verdict kept under
// another version is not used.
const Version = 1

// Verdicts remember the blobs a scan found clean, for the secrets of the
// scan (internal/scancache keeps them across runs).
type Verdicts interface {
	// Clean reports whether blob d was found clean before.
	Clean(d digest.Digest) bool
	// MarkClean records that blob d was read whole and held no secret.
	MarkClean(d digest.Digest)
}

// ScanLayout scans every blob of the OCI layout at dir for the secrets,
// given by id. Findings include the places that could not be scanned fully.
// A blob that v (when not nil) says is clean is not read again; a blob
// found clean is marked so in v.
func ScanLayout(dir string, secrets map[string][]byte, v Verdicts) ([]Finding, error) {
	return scanLayout(dir, secrets, defaultLimits, v)
}

func scanLayout(dir string, secrets map[string][]byte, lim limits, v Verdicts) ([]Finding, error) {
	fs := forms(secrets)
	if len(fs) == 0 {
		return nil, nil
	}
	m := newMatcher(fs)
	root := filepath.Join(dir, "blobs")
	var findings []Finding
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		blob := strings.Replace(filepath.ToSlash(rel), "/", ":", 1)
		d := digest.Digest(blob)
		known := v != nil && d.Validate() == nil
		if known && v.Clean(d) {
			return nil
		}
		f, err := scanBlob(p, blob, m, lim)
		if known && err == nil && len(f) == 0 {
			v.MarkClean(d)
		}
		findings = append(findings, f...)
		return err
	})
	sort.Slice(findings, func(i, j int) bool { return findings[i].String() < findings[j].String() })
	findings = slices.Compact(findings)
	return findings, err
}

// scanBlob scans one blob: as a (compressed) layer tar when it is one, else
// as a file.
func scanBlob(path, blob string, m *matcher, lim limits) ([]Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 64<<10)
	head, _ := r.(*bufio.Reader).Peek(headLen)
	switch sniff(head) {
	case "gzip":
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("reading blob %s: %w", blob, err)
		}
		defer gz.Close()
		r = gz
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("reading blob %s: %w", blob, err)
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ = br.Peek(headLen)
	sc := &scan{m: m, lim: lim, blob: blob, buf: make([]byte, 32<<10)}
	if sniff(head) == "tar" {
		sc.kind = "layer"
		return sc.out, sc.layer(br)
	}
	sc.kind, sc.left = jsonKind(head), lim.decoded
	sc.file(br, place{}, 0)
	return sc.out, nil
}

// layer scans each file of a layer, each within its own bounds.
func (sc *scan) layer(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading layer %s: %w", sc.blob, err)
		}
		sc.left, sc.stopped = sc.lim.decoded, false
		at := sc.header(h, place{})
		if regular(h) {
			sc.file(tr, at, 0)
		}
	}
}

// jsonKind names an image JSON document by what its start holds.
func jsonKind(head []byte) string {
	h := string(head)
	switch {
	case strings.Contains(h, `"rootfs"`) || strings.Contains(h, `"architecture"`) && strings.Contains(h, `"config"`):
		return "config"
	case strings.Contains(h, "in-toto") || strings.Contains(h, `"predicateType"`):
		return "attestation"
	case strings.Contains(h, `"manifests"`):
		return "index"
	case strings.Contains(h, `"layers"`):
		return "manifest"
	}
	return "blob"
}
