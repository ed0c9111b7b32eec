// Package leakscan looks for the bytes of secrets in an image: every layer
// (each file's contents and name, decompressed), the config with its history,
// the manifests and the attestations of an OCI layout. It finds each secret
// as it is and in base64 (standard and URL alphabets, at every alignment),
// and reports where, never what.
package leakscan

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// ErrLeak marks an image that holds a secret.
var ErrLeak = errors.New("secret found in the image")

// MinLen is the shortest secret that is searched for; shorter values would
// match everywhere. Shorter secrets are skipped.
const MinLen = 6

// Finding is one place a secret was found.
type Finding struct {
	// Secret is the secret's id (never its value).
	Secret string
	// Blob is the digest of the layer, config, manifest or attestation.
	Blob string
	// Kind says what the blob is: "layer", "config" (with the history),
	// "manifest", "index", "attestation", or "blob".
	Kind string
	// File is the path inside the layer, for layers.
	File string
	// Encoding is "raw" or "base64".
	Encoding string
}

// String names the place, never the secret.
func (f Finding) String() string {
	what := ""
	if f.Secret != "" {
		what = fmt.Sprintf("secret %q in ", f.Secret)
	}
	if f.File != "" {
		return fmt.Sprintf("%s%s %s, file /%s (%s)", what, f.Kind, short(f.Blob), strings.TrimPrefix(f.File, "/"), f.Encoding)
	}
	return fmt.Sprintf("%s%s %s (%s)", what, f.Kind, short(f.Blob), f.Encoding)
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// Error is a leak: the image and every place.
type Error struct {
	// Image is the image's name.
	Image string
	// Findings are the places, never the values.
	Findings []Finding
}

// Error implements error.
func (e *Error) Error() string {
	places := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		places[i] = f.String()
	}
	return fmt.Sprintf("image %s holds a secret it was built with, in %s: not published", e.Image, strings.Join(places, "; "))
}

// Unwrap makes the error match ErrLeak.
func (e *Error) Unwrap() error { return ErrLeak }

// pattern is one encoding of one secret.
type pattern struct {
	b        []byte
	encoding string
	id       string
}

// patterns returns every form of the secrets (by id) that is searched for.
func patterns(secrets map[string][]byte) []pattern {
	var out []pattern
	seen := map[string]bool{}
	var id string
	add := func(b []byte, enc string) {
		if len(b) < MinLen || seen[string(b)] {
			return
		}
		seen[string(b)] = true
		out = append(out, pattern{b: b, encoding: enc, id: id})
	}
	ids := make([]string, 0, len(secrets))
	for k := range secrets {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	for _, id = range ids {
		s := secrets[id]
		s = bytes.TrimRight(s, "\r\n")
		add(s, "raw")
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			// A secret inside longer base64 text is encoded at one of three
			// alignments; the stable core of each is what can be found.
			for shift := 0; shift < 3; shift++ {
				in := append(bytes.Repeat([]byte{0}, shift), s...)
				e := enc.EncodeToString(in)
				e = strings.TrimRight(e, "=")
				lead := 0
				if shift > 0 {
					lead = 4 // the chars that mix in the padding bytes
				}
				if len(e) > lead+2 {
					add([]byte(e[lead:len(e)-2]), "base64")
				}
			}
		}
	}
	return out
}

// ScanLayout scans every blob of the OCI layout at dir for the secrets,
// given by id.
func ScanLayout(dir string, secrets map[string][]byte) ([]Finding, error) {
	pats := patterns(secrets)
	if len(pats) == 0 {
		return nil, nil
	}
	root := filepath.Join(dir, "blobs")
	var findings []Finding
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		blob := strings.Replace(filepath.ToSlash(rel), "/", ":", 1)
		f, err := scanBlob(p, blob, pats)
		findings = append(findings, f...)
		return err
	})
	sort.Slice(findings, func(i, j int) bool { return findings[i].String() < findings[j].String() })
	return findings, err
}

// scanBlob scans one blob: as a (compressed) tar when it is one, else as
// bytes.
func scanBlob(path, blob string, pats []pattern) ([]Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	var r io.Reader
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		r = gz
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	case n >= 262 && string(head[257:262]) == "ustar":
		r = f
	default:
		return matches(f, pats, Finding{Blob: blob, Kind: jsonKind(head)})
	}
	return scanTar(r, blob, pats)
}

func scanTar(r io.Reader, blob string, pats []pattern) ([]Finding, error) {
	var out []Finding
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("reading layer %s: %w", blob, err)
		}
		where := Finding{Blob: blob, Kind: "layer", File: redact(h.Name, pats)}
		for _, p := range pats {
			if bytes.Contains([]byte(h.Name+"\x00"+h.Linkname), p.b) {
				w := where
				w.Encoding, w.Secret = p.encoding, p.id
				out = append(out, w)
			}
		}
		f, err := matches(tr, pats, where)
		if err != nil {
			return out, err
		}
		out = append(out, f...)
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

// redact replaces every form of a secret in a file name, so that a report
// never prints one.
func redact(name string, pats []pattern) string {
	for _, p := range pats {
		name = strings.ReplaceAll(name, string(p.b), "<secret>")
	}
	return name
}

// matches streams r in chunks that overlap by the longest pattern, and
// reports each encoding found once.
func matches(r io.Reader, pats []pattern, where Finding) ([]Finding, error) {
	maxLen := 0
	for _, p := range pats {
		maxLen = max(maxLen, len(p.b))
	}
	buf := make([]byte, 0, 64<<10+maxLen)
	chunk := make([]byte, 64<<10)
	found := map[string]bool{}
	var out []Finding
	for {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		for _, p := range pats {
			key := p.id + "\x00" + p.encoding
			if !found[key] && bytes.Contains(buf, p.b) {
				found[key] = true
				w := where
				w.Encoding, w.Secret = p.encoding, p.id
				out = append(out, w)
			}
		}
		if len(buf) > maxLen {
			buf = append(buf[:0], buf[len(buf)-maxLen:]...)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
