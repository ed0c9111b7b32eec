package leakscan

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"sort"
)

// Bounds of what is searched for.
const (
	// MinLen is the shortest secret that is searched for; shorter values would
	// match everywhere. Shorter secrets are skipped, and so is any encoded
	// form of a secret that is shorter than MinLen.
	MinLen = 6
	// WholeLen is the longest secret searched for whole. A longer one (a key
	// file, a config) is searched for by its first and its last WindowLen
	// bytes: both must be found in one file, in one encoding. This bounds the
	// automaton at a few MiB per secret, whatever the secret's size.
	WholeLen = 256
	// WindowLen is the size of the head and tail of a secret longer than
	// WholeLen.
	WindowLen = 128
)

// The parts of a secret a form encodes (a bit set).
const (
	partWhole uint8 = 1 << iota
	partHead
	partTail
)

// Encodings, as a Finding names them.
const (
	encRaw      = "raw"
	encFolded   = "case-folded"
	encReversed = "reversed"
	encBase64   = "base64"
	encBase32   = "base32"
	encHex      = "hex"
)

// form is one encoding of one part of one secret: the bytes searched for,
// with any whitespace removed (the search skips whitespace, so wrapped
// base64 or hex is found too).
type form struct {
	id   string // the secret's id
	enc  string // the encoding, when the bytes are found as they are
	fold string // the encoding when only found with ASCII case folded; "" if that is no finding
	part uint8
	b    []byte
}

// forms returns every form of the secrets (by id) that is searched for:
// raw (and case-folded), reversed, hex (either case), base64 (standard and
// URL alphabets, 3 alignments each) and base32 (standard and hex alphabets,
// 5 alignments each).
func forms(secrets map[string][]byte) []form {
	ids := make([]string, 0, len(secrets))
	for id := range secrets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []form
	seen := map[string]bool{}
	add := func(f form) {
		k := f.id + "\x00" + f.enc + "\x00" + string(f.b) + string(rune(f.part))
		if len(f.b) < MinLen || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, f)
	}
	for _, id := range ids {
		s := bytes.TrimRight(secrets[id], "\r\n")
		if len(s) < MinLen {
			continue
		}
		for _, p := range parts(s) {
			for _, f := range partForms(p.b) {
				f.id, f.part = id, p.part
				add(f)
			}
		}
	}
	return out
}

type part struct {
	b    []byte
	part uint8
}

// parts returns the secret whole, or its head and tail when it is longer
// than WholeLen.
func parts(s []byte) []part {
	if len(s) <= WholeLen {
		return []part{{s, partWhole}}
	}
	return []part{{s[:WindowLen], partHead}, {s[len(s)-WindowLen:], partTail}}
}

// partForms returns the encodings of s.
func partForms(s []byte) []form {
	raw := stripSpace(s)
	out := []form{
		{enc: encRaw, fold: encFolded, b: raw},
		{enc: encReversed, fold: encReversed, b: reversed(raw)},
		{enc: encHex, fold: encHex, b: []byte(hex.EncodeToString(s))},
	}
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for _, c := range cores(s, 3, 6, e.WithPadding(base64.NoPadding).EncodeToString) {
			out = append(out, form{enc: encBase64, b: []byte(c)})
		}
	}
	for _, e := range []*base32.Encoding{base32.StdEncoding, base32.HexEncoding} {
		for _, c := range cores(s, 5, 5, e.WithPadding(base32.NoPadding).EncodeToString) {
			// base32 is written in either case (RFC 4648 allows it).
			out = append(out, form{enc: encBase32, fold: encBase32, b: []byte(c)})
		}
	}
	return out
}

// cores returns, for each alignment of s inside a longer text encoded by
// blocks of block bytes into characters of bits bits, the characters that
// depend on s alone: the first and last ones also hold bits of the bytes
// around s, so they are left out. Padded or not, at any offset, an encoding
// of s holds one of them.
func cores(s []byte, block, bits int, encode func([]byte) string) []string {
	var out []string
	for shift := range block {
		e := encode(append(make([]byte, shift), s...))
		lo := (8*shift + bits - 1) / bits
		hi := 8 * (shift + len(s)) / bits
		if hi-lo >= MinLen {
			out = append(out, e[lo:hi])
		}
	}
	return out
}

// isSpace reports whether the search skips b.
func isSpace(b byte) bool {
	switch b {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

func stripSpace(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for _, b := range s {
		if !isSpace(b) {
			out = append(out, b)
		}
	}
	return out
}

func reversed(s []byte) []byte {
	out := make([]byte, len(s))
	for i, b := range s {
		out[len(s)-1-i] = b
	}
	return out
}

// lower folds ASCII letters to lower case.
func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
