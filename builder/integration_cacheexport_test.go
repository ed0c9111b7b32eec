//go:build integration

package builder_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
)

// --cache-to sends layers to a registry or a folder: a channel out of the
// build like an image, which the leak scan of the image alone does not
// cover. These tests export the cache of a build whose secret sits in a
// layer that ships in no image.

// cacheExportBuild runs the project with the secret tok (value) and
// --cache-to type=local,dest=DIR[,mode=max], and returns the build and DIR.
func cacheExportBuild(t *testing.T, e itEnv, files map[string]string, value, mode string) (build, string) {
	t.Helper()
	cache := filepath.Join(t.TempDir(), "cache")
	spec := "type=local,dest=" + cache
	if mode != "" {
		spec += ",mode=" + mode
	}
	to, err := builder.ParseCache(spec)
	if err != nil {
		t.Fatal(err)
	}
	tn := newTenant(t, value)
	return tn.build(t, e, writeProject(t, files), builder.WithCacheTo(to)), cache
}

// TestSecretCacheExportModeMax: a secret copied into a layer of a stage the
// image does not ship (COPY --from takes another file) is not exported by
// --cache-to mode=max; the build passes and publishes its clean image.
func TestSecretCacheExportModeMax(t *testing.T) {
	e := testEnv(t)
	value := "modemax-" + nonce(t)
	b, cache := cacheExportBuild(t, e, map[string]string{
		"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    s:\n      name: weld-it-cachemax\n",
		"Dockerfile": "FROM busybox AS fetch\n" +
			"RUN --mount=type=secret,id=tok cp /run/secrets/tok /token && echo " + nonce(t) + " > /dep\n" +
			"FROM busybox\nCOPY --from=fetch /dep /dep\n",
	}, value, "max")
	b.mustPass(t)
	if where := layoutBytesContain(t, cache, []byte(value)); len(where) > 0 {
		t.Errorf("the exported cache holds the secret, in %s", strings.Join(where, ", "))
	}
}

// TestSecretCacheExportUnpublishedStep: a step that is never published
// (publish: false) and copies its secret into its image is scanned before
// its cache is exported: the build fails as a leak and the cache folder
// holds no form of the value.
func TestSecretCacheExportUnpublishedStep(t *testing.T) {
	e := testEnv(t)
	value := "unpublished-" + nonce(t)
	b, cache := cacheExportBuild(t, e, map[string]string{
		"build.yml": "build:\n  version: 2016-03-14\n  steps:\n    s:\n      name: weld-it-cacheunpub\n      publish: false\n",
		"Dockerfile": "FROM busybox\n" +
			"RUN --mount=type=secret,id=tok cp /run/secrets/tok /token && echo " + nonce(t) + "\n",
	}, value, "")
	if !errors.Is(b.err, builder.ErrSecretLeak) {
		t.Errorf("Run = %v, want ErrSecretLeak: the layer holding the secret goes to --cache-to", b.err)
	}
	if where := layoutBytesContain(t, cache, []byte(value)); len(where) > 0 {
		t.Errorf("the exported cache holds the secret, in %s", strings.Join(where, ", "))
	}
}
