package leakscan

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const token = "s3cr3t-T0ken-value!"

// places scans a one-layer layout of files for the secrets and returns
// each finding as "file|encoding|containers" (or "file|incomplete|…"),
// failing when one names a secret's value.
func places(t *testing.T, files map[string]string, secrets map[string][]byte, lim limits) []string {
	t.Helper()
	got, err := scanLayout(layout(t, []map[string]string{files}), secrets, lim, nil)
	if err != nil {
		t.Fatalf("ScanLayout: %v", err)
	}
	var out []string
	for _, f := range got {
		for _, s := range secrets {
			if len(s) >= MinLen && strings.Contains(strings.ToLower(f.String()), strings.ToLower(string(s))) {
				t.Errorf("finding %q names the secret", f)
			}
		}
		enc := f.Encoding
		if f.Incomplete != "" {
			enc = "incomplete"
		}
		out = append(out, f.File+"|"+enc+"|"+f.Container)
	}
	return out
}

func tok() map[string][]byte { return map[string][]byte{"tok": []byte(token)} }

// wrap breaks s into lines of n characters, as base64(1) and xxd -p do.
func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	return b.String() + s + "\n"
}

func TestEncodings(t *testing.T) {
	sec := []byte(token)
	b64 := func(e *base64.Encoding, prefix string) string {
		return e.EncodeToString(append([]byte(prefix), sec...))
	}
	b32 := func(e *base32.Encoding, prefix string) string {
		return e.EncodeToString(append([]byte(prefix), sec...))
	}
	long := bytes.Repeat([]byte(token), 4) // 76 bytes: base64 wraps inside it
	for _, tc := range []struct {
		name, content string
		secrets       map[string][]byte
		want          string // encoding; "" for nothing
	}{
		{name: "raw", content: "x=" + token + ";", want: "raw"},
		{name: "upper-cased", content: strings.ToUpper(token), want: "case-folded"},
		{name: "lower-cased", content: "key: " + strings.ToLower(token), want: "case-folded"},
		{name: "reversed", content: string(reversed(sec)), want: "reversed"},
		{name: "reversed upper-cased", content: strings.ToUpper(string(reversed(sec))), want: "reversed"},
		{name: "hex lower", content: hex.EncodeToString(sec), want: "hex"},
		{name: "hex upper", content: "0x" + strings.ToUpper(hex.EncodeToString(sec)), want: "hex"},
		{name: "hex wrapped with spaces (od -An -tx1)", content: spaced(hex.EncodeToString(sec)), want: "hex"},
		{name: "base64 std", content: b64(base64.StdEncoding, ""), want: "base64"},
		{name: "base64 std shifted 1", content: b64(base64.StdEncoding, "a"), want: "base64"},
		{name: "base64 std shifted 2", content: b64(base64.StdEncoding, "ab"), want: "base64"},
		{name: "base64 url unpadded", content: b64(base64.RawURLEncoding, "?>"), want: "base64"},
		{name: "base64 wrapped at 76 (base64 -w 76)", content: wrap(base64.StdEncoding.EncodeToString(append([]byte("prefix"), long...)), 76), secrets: map[string][]byte{"tok": long}, want: "base64"},
		{name: "base32 std", content: b32(base32.StdEncoding, ""), want: "base32"},
		{name: "base32 std shifted 1", content: b32(base32.StdEncoding, "a"), want: "base32"},
		{name: "base32 std shifted 2", content: b32(base32.StdEncoding, "ab"), want: "base32"},
		{name: "base32 std shifted 3", content: b32(base32.StdEncoding, "abc"), want: "base32"},
		{name: "base32 std shifted 4", content: b32(base32.StdEncoding, "abcd"), want: "base32"},
		{name: "base32 hex alphabet", content: b32(base32.HexEncoding, "ab"), want: "base32"},
		{name: "base32 lower case", content: strings.ToLower(b32(base32.StdEncoding, "abc")), want: "base32"},
		{name: "secret with a trailing newline", content: token, secrets: map[string][]byte{"tok": []byte(token + "\n")}, want: "raw"},
		// Near misses are no finding.
		{name: "one byte changed", content: strings.Replace(token, "v", "w", 1)},
		{name: "a prefix only", content: token[:len(token)-1]},
		{name: "base64 with its case changed", content: strings.ToLower(b64(base64.StdEncoding, ""))},
		{name: "hex of another value", content: hex.EncodeToString([]byte("s3cr3t-T0ken-valve!"))},
		{name: "random bytes", content: string(randomBytes(1 << 20))},
		{name: "shorter than MinLen is skipped", content: "abc abc abc", secrets: map[string][]byte{"short": []byte("abc")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secrets := tc.secrets
			if secrets == nil {
				secrets = tok()
			}
			got := places(t, map[string]string{"etc/f": tc.content}, secrets, defaultLimits)
			var want []string
			if tc.want != "" {
				want = []string{"etc/f|" + tc.want + "|"}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}

// spaced writes hex as od -An -tx1 does: bytes apart, 16 to a line.
func spaced(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 && i%32 == 0 {
			b.WriteString("\n")
		}
		b.WriteString(" " + h[i:i+2])
	}
	return b.String() + "\n"
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(7)).Read(b)
	return b
}

// TestLongSecret: a secret longer than WholeLen is found by its head and
// tail, in any encoding, and not by its head alone.
func TestLongSecret(t *testing.T) {
	var key strings.Builder
	key.WriteString("-----BEGIN OPENSSH PRIVATE KEY-----\n")
	key.WriteString(wrap(base64.StdEncoding.EncodeToString(randomBytes(1500)), 70))
	key.WriteString("-----END OPENSSH PRIVATE KEY-----\n")
	k := key.String()
	secrets := map[string][]byte{"key": []byte(k)}
	for _, tc := range []struct {
		name, content string
		want          []string
	}{
		{"raw", "x" + k, []string{"f|raw|"}},
		{"re-wrapped at 64", strings.ReplaceAll(k, "\n", "") + "\n", []string{"f|raw|"}},
		{"base64", base64.StdEncoding.EncodeToString([]byte(k)), []string{"f|base64|"}},
		{"hex upper", strings.ToUpper(hex.EncodeToString([]byte(k))), []string{"f|hex|"}},
		{"head only", k[:len(k)/2], nil},
		{"another key", strings.Replace(k, k[len(k)-100:len(k)-60], strings.Repeat("A", 40), 1), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, places(t, map[string]string{"f": tc.content}, secrets, defaultLimits)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}

// TestForms: every form is at least MinLen long, has no whitespace, and the
// alignments are all there.
func TestForms(t *testing.T) {
	fs := forms(map[string][]byte{"tok": []byte(token)})
	count := map[string]int{}
	for _, f := range fs {
		count[f.enc]++
		if len(f.b) < MinLen || bytes.ContainsAny(f.b, " \t\r\n") {
			t.Errorf("form %s %q: shorter than MinLen or with whitespace", f.enc, f.b)
		}
	}
	// base64: 3 alignments (this token's URL and standard forms are alike:
	// no + or /); base32: 5 alignments × 2 alphabets.
	want := map[string]int{"raw": 1, "reversed": 1, "hex": 1, "base64": 3, "base32": 10}
	if d := cmp.Diff(want, count); d != "" {
		t.Errorf("forms per encoding (-want +got):\n%s\n%v", d, fmt.Sprint(fs))
	}
}
