package leakscan

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestStreamAcrossWrites: a match is found however the bytes are cut into
// writes, and its case is still checked when it spans them.
func TestStreamAcrossWrites(t *testing.T) {
	m := newMatcher(forms(tok()))
	b64 := base64.StdEncoding.EncodeToString([]byte(token))
	for _, tc := range []struct {
		name, text string
		want       []hit
	}{
		{"raw", "xx" + token + "yy", []hit{{"tok", "raw"}}},
		{"upper", strings.ToUpper(token), []hit{{"tok", "case-folded"}}},
		{"base64", b64, []hit{{"tok", "base64"}}},
		{"base64 with its case changed", strings.ToLower(b64), nil},
		{"wrapped", token[:5] + "\r\n  " + token[5:], []hit{{"tok", "raw"}}},
	} {
		for _, size := range []int{1, 2, 7, 1 << 20} {
			st := m.stream()
			for s := tc.text; len(s) > 0; {
				n := min(size, len(s))
				st.Write([]byte(s[:n]))
				s = s[n:]
			}
			if d := cmp.Diff(tc.want, st.hits(), cmp.AllowUnexported(hit{})); d != "" {
				t.Errorf("%s in writes of %d: hits (-want +got):\n%s", tc.name, size, d)
			}
		}
	}
}

// TestWindowOverflow: a match whose bytes no longer fit the window (a run of
// whitespace inside it) still counts, as exact.
func TestWindowOverflow(t *testing.T) {
	m := newMatcher(forms(tok()))
	st := m.stream()
	st.Write([]byte(token[:3] + strings.Repeat(" ", 4*m.window)))
	st.Write([]byte(token[3:]))
	if d := cmp.Diff([]hit{{"tok", "raw"}}, st.hits(), cmp.AllowUnexported(hit{})); d != "" {
		t.Errorf("hits (-want +got):\n%s", d)
	}
}

func TestNameRedaction(t *testing.T) {
	m := newMatcher(forms(map[string][]byte{"tok": []byte(token), "b": []byte("another-secret")}))
	for _, tc := range []struct{ name, want string }{
		{"etc/" + token + "/x", "etc/<secret>/x"},
		{strings.ToUpper(token) + ".txt", "<secret>.txt"},
		{token + "another-secret", "<secret><secret>"},
		{"plain/name", "plain/name"},
	} {
		if _, got := m.name(m.stream(), tc.name); got != tc.want {
			t.Errorf("name(%q) shows %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestMatcherAgainstNaive: on random texts over a small alphabet (so that
// keys overlap and share prefixes), the automaton finds what a naive search
// of every form finds, case checks included.
func TestMatcherAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	const alphabet = "abAB01 \n"
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		return b
	}
	for round := range 300 {
		secrets := map[string][]byte{}
		for i := range 1 + rng.Intn(3) {
			secrets[fmt.Sprint("s", i)] = word(MinLen + rng.Intn(5))
		}
		if s := secrets["s0"]; round%2 == 0 && len(s) > MinLen {
			// One secret the end of another: found through a failure link.
			secrets["suffix"] = s[len(s)-MinLen:]
		}
		fs := forms(secrets)
		if len(fs) == 0 {
			continue
		}
		m := newMatcher(fs)
		text := word(400)
		for _, s := range secrets { // plant one, in some case
			at := rng.Intn(300)
			copy(text[at:], bytes.Map(func(r rune) rune {
				if rng.Intn(2) == 0 {
					return r
				}
				return unicode.ToUpper(r)
			}, s))
		}
		st := m.stream()
		for rest := text; len(rest) > 0; {
			n := min(1+rng.Intn(50), len(rest))
			st.Write(rest[:n])
			rest = rest[n:]
		}
		want := naive(fs, text)
		if d := cmp.Diff(want, st.found, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("round %d: secrets %q, text %q: found (-naive +matcher):\n%s", round, secrets, text, d)
		}
	}
}

// naive finds every form at every offset of the text, whitespace left out.
func naive(fs []form, text []byte) map[string]uint8 {
	t := stripSpace(text)
	found := map[string]uint8{}
	for _, f := range fs {
		for i := 0; i+len(f.b) <= len(t); i++ {
			w := t[i : i+len(f.b)]
			switch {
			case bytes.Equal(w, f.b):
				found[f.id+"\x00"+f.enc] |= f.part
				if f.fold != "" {
					found[f.id+"\x00"+f.fold] |= f.part
				}
			case f.fold != "" && bytes.EqualFold(w, f.b):
				found[f.id+"\x00"+f.fold] |= f.part
			}
		}
	}
	return found
}
