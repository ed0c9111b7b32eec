package serve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/policy"
)

const secretYML = `build:
  version: 2016-03-14
  steps:
    compile:
      name: c
      dockerfile: Dockerfile
      secrets:
        token:
          type: %TYPE%
          value: %VALUE%
`

func TestBuilderRunnerCheck(t *testing.T) {
	secrets, err := ParseSecretMap("secrets", []byte("a token file:/srv/a-token\nb other env:B_OTHER\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := NewBuilderRunner(BuilderConfig{Secrets: secrets})
	tests := []struct {
		name, tenant, typ, value, steps string
		want                            string // "" accepts
	}{
		{"mapped file secret", "a", "file", "absent.txt", "", ""},
		{"mapped env secret", "a", "env", "SERVER_SECRET", "", ""},
		{"another tenant's id", "b", "file", "absent.txt", "", "has no server-side source"},
		{"no map at all", "c", "env", "HOME", "", "has no server-side source"},
		{"env in the value: never used", "a", "file", "_env(HOME)", "", ""},
		{"unknown step", "a", "file", "x", "nope", "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			yml := strings.NewReplacer("%TYPE%", tc.typ, "%VALUE%", tc.value).Replace(secretYML)
			writeTestFile(t, filepath.Join(dir, "build.yml"), yml)
			writeTestFile(t, filepath.Join(dir, "Dockerfile"), "FROM busybox\n")
			job := &Job{ID: "x", Tenant: tc.tenant, Dir: dir, File: "build.yml"}
			if tc.steps != "" {
				job.Steps = []string{tc.steps}
			}
			err := r.Check(context.Background(), job)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				pr := job.Prepared.(*prepared)
				if len(pr.secrets) != 1 || pr.secrets[0] != (builder.SecretSpec{ID: "token", Src: "/srv/a-token"}) {
					t.Errorf("secrets = %+v, want only the server's source", pr.secrets)
				}
				return
			}
			if !errors.Is(err, ErrBadUpload) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want an ErrBadUpload naming %q", err, tc.want)
			}
			if strings.Contains(err.Error(), dir) {
				t.Errorf("Check's error names the server's folder: %v", err)
			}
		})
	}
}

// TestProjectPolicyCannotAddGates: a gate is a shell command run on the
// server; a project's weld.policy.yml must not add one, with or without
// the server's own policy.
func TestProjectPolicyCannotAddGates(t *testing.T) {
	for _, name := range []string{"no server policy", "server policy"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTestFile(t, filepath.Join(dir, "build.yml"), "build:\n  version: 2016-03-14\n  steps:\n    a:\n      dockerfile: Dockerfile\n")
			writeTestFile(t, filepath.Join(dir, "Dockerfile"), "FROM busybox\n")
			writeTestFile(t, filepath.Join(dir, "weld.policy.yml"), "gates:\n  - run: touch /tmp/pwned {{oci_dir}}\n")
			cfg := BuilderConfig{}
			if name == "server policy" {
				cfg.Policy = &policy.Policy{}
			}
			job := &Job{ID: "x", Tenant: "a", Dir: dir, File: "build.yml"}
			if err := NewBuilderRunner(cfg).Check(context.Background(), job); err != nil {
				t.Fatal(err)
			}
			if g := job.Prepared.(*prepared).pol.Gates; len(g) != 0 {
				t.Errorf("the build's policy has the project's gates %+v, want none", g)
			}
		})
	}
}

func TestProjectPolicyCannotReadServerLayouts(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "build.yml"), "build:\n  version: 2016-03-14\n  steps:\n    a:\n      dockerfile: Dockerfile\n")
	writeTestFile(t, filepath.Join(dir, "Dockerfile"), "FROM busybox\n")
	writeTestFile(t, filepath.Join(dir, "weld.policy.yml"), "replace:\n  busybox: oci-layout:///srv/out/b/123/secret-image\n")
	job := &Job{ID: "x", Tenant: "a", Dir: dir, File: "build.yml"}
	err := NewBuilderRunner(BuilderConfig{}).Check(context.Background(), job)
	if !errors.Is(err, ErrBadUpload) || !strings.Contains(err.Error(), "OCI layout on the server") || strings.Contains(err.Error(), dir) {
		t.Errorf("Check = %v, want a refusal of the layout replacement, without the server's folder", err)
	}
}

func TestParseSecretMap(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"a token\n", "want TENANT ID"},
		{"a token value:x\n", "want file:PATH or env:VAR"},
		{"a token file:\n", "want file:PATH"},
		{"a t env:X\na t env:Y\n", "twice"},
	} {
		if _, err := ParseSecretMap("secrets", []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSecretMap(%q) = %v, want an error naming %q", tc.data, err, tc.want)
		}
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestProjectPolicyCannotNameServerKeys(t *testing.T) {
	for _, pol := range []string{"sign: {key: /etc/weld/operator.key}\n", "require_signed_bases:\n  - {pattern: '**', key: /etc/weld/x.pub}\n"} {
		dir := t.TempDir()
		writeTestFile(t, filepath.Join(dir, "build.yml"), "build:\n  version: 2016-03-14\n  steps:\n    a:\n      dockerfile: Dockerfile\n")
		writeTestFile(t, filepath.Join(dir, "Dockerfile"), "FROM busybox\n")
		writeTestFile(t, filepath.Join(dir, "weld.policy.yml"), pol)
		job := &Job{ID: "x", Tenant: "a", Dir: dir, File: "build.yml"}
		err := NewBuilderRunner(BuilderConfig{}).Check(context.Background(), job)
		if !errors.Is(err, ErrBadUpload) || !strings.Contains(err.Error(), "may not name key files") || strings.Contains(err.Error(), dir) {
			t.Errorf("Check(%q) = %v, want a refusal of the key files, without the server's folder", pol, err)
		}
	}
}
