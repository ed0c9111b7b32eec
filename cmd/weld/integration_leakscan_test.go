//go:build integration

package main

// The leak scan through the weld binary, against the real buildkitd: a RUN
// that writes the mounted secret in an encoding, or inside a container,
// leaves an image that is never pushed, and weld says where and how, never
// what.

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/itest"
)

// mkzip writes a zip with busybox, which has no zip: gzip's deflate data,
// CRC and size in zip's headers. It runs in the build, so the scan meets a
// real deflated zip member.
const mkzip = `# mkzip.sh SRC ZIP NAME
set -e
src=$1 zip=$2 name=$3 t=$(mktemp -d)
gzip -c < "$src" > "$t/g"
n=$(wc -c < "$t/g")
c=$((n - 18))
dd if="$t/g" of="$t/data" bs=1 skip=10 count=$c 2>/dev/null
dd if="$t/g" of="$t/crc" bs=1 skip=$((n - 8)) count=4 2>/dev/null
dd if="$t/g" of="$t/size" bs=1 skip=$((n - 4)) count=4 2>/dev/null
le() { v=$1 i=0; while [ $i -lt $2 ]; do printf "\\$(printf %o $((v & 255)))"; v=$((v >> 8)) i=$((i + 1)); done; }
sizes() { cat "$t/crc"; le $c 4; cat "$t/size"; }
{ printf 'PK\003\004'; le 20 2; le 0 2; le 8 2; le 0 4; sizes; le ${#name} 2; le 0 2; printf %s "$name"; cat "$t/data"; } > "$t/local"
{ printf 'PK\001\002'; le 20 2; le 20 2; le 0 2; le 8 2; le 0 4; sizes; le ${#name} 2; le 0 8; le 0 8; printf %s "$name"; } > "$t/central"
off=$(wc -c < "$t/local") cds=$(wc -c < "$t/central")
{ cat "$t/local" "$t/central"; printf 'PK\005\006'; le 0 4; le 1 2; le 1 2; le $cds 4; le $off 4; le 0 2; } > "$zip"
rm -rf "$t"
unzip -t "$zip" >/dev/null
`

// TestLeakScanEncodingsBlockPush: the secret gzip'ed, hex'ed in upper case,
// deflated in a zip, and in a zip inside a tar.gz: each build exits 1, the
// image is not in the registry, and stderr names the file, the encoding and
// the containers, never the value (in any of its forms).
func TestLeakScanEncodingsBlockPush(t *testing.T) {
	e := publishEnv(t)
	const mount = "RUN --mount=type=secret,id=tok --mount=type=bind,source=mkzip.sh,target=/mkzip.sh mkdir -p /app && "
	for _, tc := range []struct{ name, run, want string }{
		{"gzip", "gzip -c < /run/secrets/tok > /app/tok.gz", "file /app/tok.gz (raw, in gzip)"},
		{"hex upper case", `hexdump -v -e '/1 "%02X"' /run/secrets/tok > /app/tok.hex`, "file /app/tok.hex (hex)"},
		{"zip", "sh /mkzip.sh /run/secrets/tok /app/bundle.zip token.txt", "file /app/bundle.zip!/token.txt (raw, in zip)"},
		{"zip in a tar.gz", "sh /mkzip.sh /run/secrets/tok /tmp/inner.zip token.txt && tar czf /app/bundle.tar.gz -C /tmp inner.zip",
			"file /app/bundle.tar.gz!/inner.zip!/token.txt (raw, in gzip+tar+zip)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := nonce(t)
			token := "tok-" + n
			repo := "weld-it/leak-" + n[:12]
			dir := writeProject(t, map[string]string{
				"tok":        token,
				"mkzip.sh":   mkzip,
				"Dockerfile": "FROM busybox\n" + mount + tc.run + " && echo " + n + "\n",
				"build.yml": itest.BuildYML(`    leaky:
      name: ` + e.registry + "/" + repo + `:v1
      dockerfile: Dockerfile
      secrets:
        tok: {type: file, value: tok}
`),
			})
			w := e.command(dir, e.host, "--push")
			w.expect(t, w.run(t, 3*time.Minute), 1, `secret "tok" in layer sha256:`, tc.want, "not published")
			stderr := w.stderr.String()
			for _, form := range []string{token, strings.ToUpper(token), hex.EncodeToString([]byte(token)), strings.ToUpper(hex.EncodeToString([]byte(token)))} {
				if strings.Contains(stderr, form) || strings.Contains(w.stdout.String(), form) {
					t.Errorf("weld's output holds the secret (as %q)", form)
				}
			}
			if got := manifestDigest(t, e.registry, repo, "v1"); got != "" {
				t.Errorf("the registry serves %s:v1 (%s): the image was pushed", repo, got)
			}
		})
	}
}
