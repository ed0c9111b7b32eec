package dag

import (
	"strings"
	"testing"
)

func TestSubstituteEnv(t *testing.T) {
	lookup := func(name string) (string, bool) {
		v, ok := map[string]string{"A": "a", "LONG": "0123456789", "NL": "x\ny", "E": "é"}[name]
		return v, ok
	}
	tests := []struct {
		name, in, want string
		// at maps a substituted line:col to the original one.
		at   [][4]int
		errs []string
	}{
		{"none", "k: v\n", "k: v\n", [][4]int{{1, 4, 1, 4}}, nil},
		{"longer", "k: _env(LONG) z\n", "k: 0123456789 z\n", [][4]int{{1, 4, 1, 4}, {1, 10, 1, 4}, {1, 15, 1, 15}}, nil},
		{"shorter", "k: _env(A) z\nn: 1\n", "k: a z\nn: 1\n", [][4]int{{1, 6, 1, 12}, {2, 1, 2, 1}}, nil},
		{"two", "k: [_env(A), _env(LONG), x]\n", "k: [a, 0123456789, x]\n", [][4]int{{1, 8, 1, 14}, {1, 20, 1, 26}}, nil},
		{"runes", "k: _env(E)x\n", "k: éx\n", [][4]int{{1, 5, 1, 11}}, nil},
		{"newline in value", "a: _env(NL) z\nb: 2\n", "a: x\ny z\nb: 2\n", [][4]int{{2, 3, 1, 4}, {3, 1, 2, 1}}, nil},
		{"comment kept", "# _env(NOPE)\nk: v\n", "# _env(NOPE)\nk: v\n", nil, nil},
		{"unset", "a: 1\nk: x_env(NOPE)\n", "a: 1\nk: x\n", nil, []string{"f:2:5: _env(NOPE): NOPE is not set"}},
		{"bad name", "k: _env(a-b)\n", "k: \n", nil, []string{`f:1:4: _env(a-b): "a-b" is not a variable name`}},
		{"unclosed", "k: _env(A\n", "k: _env(A\n", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, pm, errs := substituteEnv("f", []byte(tc.in), lookup, nil)
			if string(out) != tc.want {
				t.Errorf("substituteEnv(%q) = %q, want %q", tc.in, out, tc.want)
			}
			for _, a := range tc.at {
				if l, c := pm.orig(a[0], a[1]); l != a[2] || c != a[3] {
					t.Errorf("orig(%d, %d) = %d:%d, want %d:%d", a[0], a[1], l, c, a[2], a[3])
				}
			}
			if len(errs) != len(tc.errs) {
				t.Fatalf("errors = %v, want %q", errs, tc.errs)
			}
			for i, e := range errs {
				if !strings.HasPrefix(e.Error(), tc.errs[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, e, tc.errs[i])
				}
			}
		})
	}
}
