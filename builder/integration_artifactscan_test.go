//go:build integration

package builder_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
)

// --artifacts-dir writes files of the steps' images to the host, where CI
// systems upload them: a way out of the build like an image. An artifact
// that holds a secret the build mounted is never written there, whether its
// step is published (its image fails the scan) or not (nothing else scans
// it).
func TestSecretArtifactsDirScanned(t *testing.T) {
	e := testEnv(t)
	for _, publish := range []bool{true, false} {
		name := "published"
		if !publish {
			name = "publish false"
		}
		t.Run(name, func(t *testing.T) {
			value := "artifact-" + nonce(t)
			yml := "build:\n  version: 2016-03-14\n  steps:\n    s:\n      name: weld-it-artifactscan\n      artifacts:\n        - /out/token.txt\n"
			if !publish {
				yml += "      publish: false\n"
			}
			dir := writeProject(t, map[string]string{
				"build.yml": yml,
				"Dockerfile": "FROM busybox\n" +
					"RUN --mount=type=secret,id=tok mkdir /out && cp /run/secrets/tok /out/token.txt && echo " + nonce(t) + "\n",
			})
			arts := filepath.Join(t.TempDir(), "arts")
			tn := newTenant(t, value)
			b := tn.build(t, e, dir, builder.WithArtifactsDir(arts))
			if !errors.Is(b.err, builder.ErrSecretLeak) {
				t.Errorf("Run = %v, want ErrSecretLeak: the artifact holds the secret", b.err)
			}
			if _, err := os.Stat(arts); err != nil {
				return // nothing written
			}
			if where := layoutBytesContain(t, arts, []byte(value)); len(where) > 0 {
				t.Errorf("--artifacts-dir holds the secret, in %s", strings.Join(where, ", "))
			}
		})
	}
}
