//go:build integration

package main

import (
	"testing"
	"time"
)

// A build arg that the policy allows to hold a token (SecretInArgEnv:
// warning) can reach a base image's name: ARG TOKEN, FROM busybox:${TOKEN}.
// weld's commands print and write resolved bases themselves, before and
// beside the build (weld plan, weld lint, the policy's refusals, the
// metadata file's weld.bases): none of them may show the value.

func argInBaseProject(t *testing.T, value, policy string) string {
	return writeProject(t, map[string]string{
		"build.yml":       "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-redact-argbase\n      args:\n        TOKEN: " + value + "\n",
		"Dockerfile":      "ARG TOKEN\nFROM busybox:${TOKEN}\nUSER 1000\n",
		"weld.policy.yml": "rules:\n  SecretInArgEnv: warning\n" + policy,
	})
}

// TestRedactBuildArgInBase: weld plan (every format), weld lint (text and
// json) and weld build (the policy's refusal; pinning the base's digest;
// the metadata file of a build that fails to resolve the base) never show
// the value.
func TestRedactBuildArgInBase(t *testing.T) {
	e := testEnv(t)
	value := "ghp_" + nonce(t) + nonce(t)[:12]
	allowed := argInBaseProject(t, value, "")
	refused := argInBaseProject(t, value, "allowed_bases: [alpine]\n")
	for _, tc := range []struct {
		name string
		dir  string
		args []string
		code int
	}{
		{"plan", allowed, []string{"plan"}, 0},
		{"plan json", allowed, []string{"plan", "--format", "json"}, 0},
		{"plan dot", allowed, []string{"plan", "--format", "dot"}, 0},
		{"lint", refused, []string{"lint"}, 1},
		{"lint json", refused, []string{"lint", "--format", "json"}, 1},
		{"build refused by the policy", refused, []string{"build", "--output", "oci:out"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, code := e.run(t, tc.dir, tc.args...)
			w.expect(t, code, tc.code)
			noSecret(t, "weld "+tc.name, w.stdout.String()+w.stderr.String(), value)
		})
	}
	t.Run("build pinning digests", func(t *testing.T) {
		dir := argInBaseProject(t, value, "pin_digests: true\n")
		w := e.command(dir, e.host, "--output", "oci:out")
		w.expect(t, w.run(t, 3*time.Minute), 1)
		noSecret(t, "weld build with pin_digests", w.stdout.String()+w.stderr.String(), value)
	})
	t.Run("metadata file", func(t *testing.T) {
		w := e.command(allowed, e.host, "--output", "oci:out", "--metadata-file", "m.json")
		w.expect(t, w.run(t, 3*time.Minute), 1)
		noSecret(t, "weld's output and metadata file", w.everything(t, allowed), value)
	})
}
