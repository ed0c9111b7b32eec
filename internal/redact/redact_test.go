package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

const tok = "ghp_4vQ9xZr2Lm8TbW1cY7nK0pHs3dFgEa6JuXoI"

func one(id, v string) *Redactor { return New(map[string][]byte{id: []byte(v)}) }

func TestForms(t *testing.T) {
	r := one("tok", tok)
	lowerHex := hex.EncodeToString([]byte(tok))
	spaced := strings.TrimSpace(strings.ReplaceAll(fmt.Sprintf("% x", []byte(tok)), "  ", " "))
	for _, tc := range []struct{ name, text, want string }{
		{"raw", "token is " + tok + ".", "token is [secret:tok]."},
		{"raw twice", tok + tok, "[secret:tok][secret:tok]"},
		{"hex", "x" + lowerHex + "y", "x[secret:tok]y"},
		{"HEX", "x" + strings.ToUpper(lowerHex) + "y", "x[secret:tok]y"},
		{"od -An -tx1", " " + spaced + "\n", " [secret:tok]\n"},
		{"od wrapped", " " + spaced[:47] + "\n " + spaced[48:] + "\n", " [secret:tok]\n"},
		{"xxd -p wrapped", lowerHex[:60] + "\n" + lowerHex[60:] + "\n", "[secret:tok]\n"},
		{"crlf wrapped", lowerHex[:10] + "\r\n" + lowerHex[10:], "[secret:tok]"},
		{"no secret", "nothing to see here, ghp_ but not the rest", "nothing to see here, ghp_ but not the rest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.String(tc.text); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

// TestBase64Alignments: the value inside a longer base64 text, after 0 to 5
// bytes of other data and before 0 to 3, in both alphabets, with and
// without padding, line-wrapped or not: exactly the characters that hold
// only the value's bits are replaced.
func TestBase64Alignments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, secret := range []string{tok, "sixsix", "seven77", "a secret with / and + in base64 ???>>>~~~"} {
		r := one("s", secret)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			for pre := range 6 {
				for post := range 4 {
					prefix, suffix := randBytes(rng, pre), randBytes(rng, post)
					e := enc.EncodeToString(append(append(append([]byte{}, prefix...), secret...), suffix...))
					start, end := (8*pre+5)/6, 8*(pre+len(secret))/6
					want := e[:start] + "[secret:s]" + e[end:]
					if got := r.String(e); got != want {
						t.Errorf("secret %q after %d bytes, before %d: String(%q) = %q, want %q", secret, pre, post, e, got, want)
					}
					wrapped := wrap(e, 76)
					if got := r.String(wrapped); strings.Contains(got, e[start+2:end-2]) || !strings.Contains(got, "[secret:s]") {
						t.Errorf("secret %q after %d bytes, wrapped: String(%q) = %q", secret, pre, wrapped, got)
					}
				}
			}
		}
	}
}

// TestWrappedAtEveryColumn: a line break at any place inside an encoded
// form (at most one per 8 characters) does not hide it.
func TestWrappedAtEveryColumn(t *testing.T) {
	r := one("tok", tok)
	b64 := base64.StdEncoding.EncodeToString([]byte(tok)) // 53 characters hold only the value's bits
	for _, e := range []string{hex.EncodeToString([]byte(tok)), b64} {
		for width := 8; width <= len(e); width++ {
			for _, nl := range []string{"\n", "\r\n"} {
				text := "begin " + strings.ReplaceAll(wrap(e, width), "\n", nl) + " end"
				got := r.String(text)
				flat := strings.NewReplacer("\r", "", "\n", "").Replace(got)
				if !strings.HasPrefix(got, "begin [secret:tok]") || strings.Contains(flat, e[40:48]) {
					t.Errorf("wrapped at %d with %q: String(%q) = %q", width, nl, text, got)
				}
			}
		}
	}
}

func TestOverlapsAndPrefixes(t *testing.T) {
	r := New(map[string][]byte{
		"a": []byte("abcdefgh12"), "b": []byte("gh12345678"),
		"short": []byte("secretvalue"), "long": []byte("secretvalue-and-more"),
	})
	for _, tc := range []struct{ text, want string }{
		{"<abcdefgh12345678>", "<[secret:a]>"},
		{"<gh12345678>", "<[secret:b]>"},
		{"<secretvalue>", "<[secret:short]>"},
		{"<secretvalue-and-more>", "<[secret:long]>"},
		{"<secretvalue-and-mor>", "<[secret:short]-and-mor>"},
	} {
		if got := r.String(tc.text); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestValueShapes(t *testing.T) {
	for _, tc := range []struct{ name, value, text, want string }{
		{"trailing newline, printed without", "hunter2-pw\n", "pw=hunter2-pw;", "pw=[secret:v];"},
		{"trailing newline, printed with", "hunter2-pw\n", "hunter2-pw\nnext", "[secret:v]next"},
		{"line of a multi-line value", "-----BEGIN KEY-----\nMIIEvQIBADANBgkq\nshort\n", "> MIIEvQIBADANBgkq <", "> [secret:v] <"},
		{"short line of a multi-line value kept", "user\nMIIEvQIBADANBgkq\n", "user logged in", "user logged in"},
		{"shorter than MinLen", "abcde", "abcde abcde", "abcde abcde"},
		{"exactly MinLen", "abcdef", "xabcdefx", "x[secret:v]x"},
		{"marker would show it", "secret", "a secret b", "a *** b"},
		{"empty", "", "text", "text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := one("v", tc.value).String(tc.text); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestNoSecretsNoChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	text := logText(rng, 1<<16)
	for _, r := range []*Redactor{nil, New(nil), New(map[string][]byte{"x": []byte("abc")}), one("tok", tok)} {
		if got := r.Bytes(text); &got[0] != &text[0] || len(got) != len(text) {
			t.Errorf("Bytes changed a text without secrets")
		}
		s := r.Stream()
		var out []byte
		for i := 0; i < len(text); i += 1000 {
			out = append(out, s.Write(text[i:min(i+1000, len(text))])...)
		}
		out = append(out, s.Flush()...)
		if !bytes.Equal(out, text) {
			t.Errorf("a Stream changed a text without secrets")
		}
	}
}

func TestStreamSplitAtEveryOffset(t *testing.T) {
	r := New(map[string][]byte{"tok": []byte(tok), "b": []byte("gh12345678"), "a": []byte("abcdefgh12")})
	texts := []string{
		"before " + tok + " after\n",
		tok,
		"x" + hex.EncodeToString([]byte(tok)) + "\n",
		"x" + wrap(base64.StdEncoding.EncodeToString([]byte("ab"+tok)), 20) + "\n",
		"<abcdefgh12345678>",
		tok + "\n" + tok,
	}
	for _, text := range texts {
		want := r.String(text)
		if strings.Contains(want, tok) {
			t.Fatalf("String(%q) = %q still holds the value", text, want)
		}
		for i := 0; i <= len(text); i++ {
			for _, j := range []int{i, min(i+3, len(text)), len(text)} {
				s := r.Stream()
				got := string(s.Write([]byte(text[:i]))) + string(s.Write([]byte(text[i:j]))) + string(s.Write([]byte(text[j:])))
				got += string(s.Flush())
				if got != want {
					t.Errorf("split at %d and %d: Stream gave %q, want %q", i, j, got, want)
				}
			}
		}
	}
}

func TestStreamHoldsOnlyWhatCouldBeginAValue(t *testing.T) {
	r := one("tok", tok)
	s := r.Stream()
	if got := string(s.Write([]byte("line one\n"))); got != "line one\n" {
		t.Errorf("Write(a plain line) = %q, want it all at once", got)
	}
	if got := string(s.Write([]byte("value: ghp_4vQ"))); got != "value: " || s.Pending() != len("ghp_4vQ") {
		t.Errorf("Write(the start of the value) = %q with %d pending, want %q with 7", got, s.Pending(), "value: ")
	}
	if got := string(s.Flush()); got != "ghp_4vQ" || s.Pending() != 0 {
		t.Errorf("Flush() = %q, want %q", got, "ghp_4vQ")
	}
	if got := string(s.Write([]byte("ghp_4vQ and more"))); got != "ghp_4vQ and more" {
		t.Errorf("Write(a prefix that does not go on) = %q", got)
	}
}

// TestStreamRepeatedValueDoesNotGrow: a value that overlaps itself without
// end is released, not held for ever.
func TestStreamRepeatedValueDoesNotGrow(t *testing.T) {
	r := one("a", "aaaaaaaa")
	s := r.Stream()
	var out []byte
	for range 1000 {
		out = append(out, s.Write(bytes.Repeat([]byte("a"), 7))...)
		if s.Pending() > 4*r.maxSpan {
			t.Fatalf("the Stream holds %d bytes, want at most %d", s.Pending(), 4*r.maxSpan)
		}
	}
	out = append(out, s.Flush()...)
	if bytes.Contains(out, []byte("aaaaaaaa")) {
		t.Errorf("the value is in the output")
	}
}

func TestStreamDoesNotAliasItsCarry(t *testing.T) {
	r := one("tok", tok)
	s := r.Stream()
	a := s.Write([]byte("abc ghp_4"))
	b := s.Write([]byte("x rest of line"))
	c := s.Write([]byte(" ghp_"))
	if string(a) != "abc " || string(b) != "ghp_4x rest of line" || string(c) != " " {
		t.Errorf("got %q %q %q", a, b, c)
	}
}

func wrap(s string, width int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += width {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s[i:min(i+width, len(s))])
	}
	return b.String()
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

// logText is n bytes of build-log-like text: words, paths, hashes.
func logText(rng *rand.Rand, n int) []byte {
	words := []string{"#12", "RUN", "go", "build", "./...", "downloading", "github.com/moby/buildkit", "v0.33.1", "sha256:", "done", "0.4s", "=>", "[app", "2/5]", "COPY", ".", "/src", "error:", "ok", "\n"}
	var b bytes.Buffer
	for b.Len() < n {
		if rng.IntN(20) == 0 {
			fmt.Fprintf(&b, "%x ", rng.Uint64())
		}
		b.WriteString(words[rng.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.Bytes()[:n]
}

func TestHasLineBreak(t *testing.T) {
	for _, tc := range []struct {
		b    string
		want bool
	}{{"abcd", false}, {"\nbcd", true}, {"ab\rd", true}, {"abc\n", true}, {"\x00\x00\x00\x00", false}, {"\x0b\x0c\x0e\x09", false}, {"\x8a\x8d\xff\x00", false}} {
		if got := hasLineBreak(uint32(tc.b[0]) | uint32(tc.b[1])<<8 | uint32(tc.b[2])<<16 | uint32(tc.b[3])<<24); got != tc.want {
			t.Errorf("hasLineBreak(%q) = %t, want %t", tc.b, got, tc.want)
		}
	}
}

func TestError(t *testing.T) {
	base := errors.New("token hunter2secret leaked")
	r := New(map[string][]byte{"tok": []byte("hunter2secret")})
	got := r.Error(base)
	if strings.Contains(got.Error(), "hunter2secret") || !errors.Is(got, base) || !Redacted(got) {
		t.Errorf("Error(%q) = %q (Is %v), want the value redacted and the original wrapped", base, got, errors.Is(got, base))
	}
	if clean := errors.New("nothing here"); r.Error(clean) != clean {
		t.Errorf("Error of a clean error did not return it unchanged")
	}
}
