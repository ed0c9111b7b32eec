package dag

import (
	"errors"
	"strings"
	"testing"

	"github.com/weld-build/weld/internal/boundedio"
)

// TestEnvSubstitutionBounded: _env(VAR) repeated in a small build.yml with
// a large value cannot grow the text past the build file limit: Parse
// refuses it at the reference that crosses it, without building the text.
func TestEnvSubstitutionBounded(t *testing.T) {
	big := strings.Repeat("A", 100_000)
	lookup := WithLookupEnv(func(string) (string, bool) { return big, true })
	for _, tc := range []struct {
		name string
		yml  string
		want string // "" when Parse may not refuse for size
	}{
		{"one value", "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: x # _env(V)\n", ""},
		{"on one line", "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: x # " + strings.Repeat("_env(V)", 60_000) + "\n", "build.yml:5:"},
		{"on many lines", "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: x\n" + strings.Repeat("# x\n   # _env(V)\n", 100) + strings.Repeat("x: _env(V)\n", 60_000), "build.yml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("build.yml", []byte(tc.yml), lookup)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			tooBig := strings.Contains(msg, "more than")
			if tc.want == "" {
				if tooBig {
					t.Fatalf("Parse = %v, want no size refusal", err)
				}
				return
			}
			if !tooBig || !errors.Is(err, ErrInvalid) || !strings.Contains(msg, tc.want) {
				t.Fatalf("Parse = %v, want an ErrInvalid at %s saying the text grew past %d bytes", err, tc.want, boundedio.MaxBuildFile)
			}
		})
	}
}
