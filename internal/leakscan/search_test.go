package leakscan

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
