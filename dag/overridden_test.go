package dag

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOverriddenSecretKeepsUnsetEnv: an _env(VAR) in the value of a secret
// the command line (or weld serve) overrides is never used, so an unset
// VAR there is kept as written; anywhere else, or in a secret that is not
// overridden, it is still an error at its line.
func TestOverriddenSecretKeepsUnsetEnv(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	yml := func(args string) string {
		return "build:\n  version: 2016-03-14\n  steps:\n    app:\n      dockerfile: Dockerfile\n" + args +
			"      secrets:\n        token:\n          type: file\n          value: _env(UNSET_TOKEN_FILE)\n" +
			"        other:\n          type: env\n          value: \"_env(UNSET_OTHER)\"\n"
	}
	unset := WithLookupEnv(func(string) (string, bool) { return "", false })
	tests := []struct {
		name string
		args string
		opts []Option
		want string // "" or the error's text
	}{
		{"both overridden", "", []Option{WithOverriddenSecrets("token", "other")}, ""},
		{"one overridden", "", []Option{WithOverriddenSecrets("token")}, "build.yml:12:19: _env(UNSET_OTHER): UNSET_OTHER is not set"},
		{"none overridden", "", nil, "build.yml:9:18: _env(UNSET_TOKEN_FILE): UNSET_TOKEN_FILE is not set"},
		{"an arg is still read", "      args:\n        A: _env(UNSET_ARG)\n", []Option{WithOverriddenSecrets("token", "other")}, "build.yml:7:12: _env(UNSET_ARG): UNSET_ARG is not set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Parse(filepath.Join(dir, "build.yml"), []byte(yml(tc.args)), append(tc.opts, unset)...)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Parse = %v, want an error with %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse = %v, want no error", err)
			}
			if got := b.Steps[0].Secrets; len(got) != 2 || got[0].Value != "_env(UNSET_TOKEN_FILE)" && got[1].Value != "_env(UNSET_TOKEN_FILE)" {
				t.Errorf("secrets %+v, want token's value kept as written", got)
			}
		})
	}
}
