package buildflags

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/weld-build/weld/builder"
)

// TestParsersRefuseBadValues: every parser's bad value is bad input (exit 2)
// with the text weld build printed before the parsers left cmd/weld.
func TestParsersRefuseBadValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parse func() error
		want  string
	}{
		{"--env without =", func() error { _, err := ParseEnv("--env", []string{"A=1", "B"}); return err }, `bad input: --env "B": write K=V`},
		{"--env without a key", func() error { _, err := ParseEnv("--env", []string{"=1"}); return err }, `bad input: --env "=1": write K=V`},
		{"--build without =", func() error { _, err := ParseEnv("--build", []string{"X"}); return err }, `bad input: --build "X": write K=V`},
		{"--allow fs.write", func() error { _, err := ParseAllow([]string{"fs.write=/x"}); return err },
			`bad input: --allow "fs.write=/x": weld knows fs.read=PATH (a file or a folder the build file may read outside the work dir)`},
		{"--allow without a path", func() error { _, err := ParseAllow([]string{"fs.read="}); return err },
			`bad input: --allow "fs.read=": weld knows fs.read=PATH (a file or a folder the build file may read outside the work dir)`},
		{"--output bad:x", func() error { _, err := ParseOutputs([]string{"bad:x"}, false, false); return err },
			`bad input: --output "bad:x": want oci:DIR, or type=oci|registry|docker with its fields`},
		{"--secret without id", func() error { _, err := ParseSecrets([]string{"src=/x"}); return err }, `bad input: --secret "src=/x": id= is required`},
		{"--cache-to local without dest", func() error { _, err := ParseCacheTo([]string{"type=local,src=c"}); return err },
			`bad input: --cache-to: "type=local,src=c": a local cache here needs dest=DIR`},
		{"--cache-from local without src", func() error { _, err := ParseCacheFrom([]string{"type=local,dest=c"}); return err },
			`bad input: --cache-from: "type=local,dest=c": a local cache here needs src=DIR`},
		{"--image without =", func() error { _, err := ParseImages([]string{"busybox"}); return err }, "bad input: --image "},
		{"--platform without os", func() error { _, err := File{File: "nosuch.yml", Platform: "arm64"}.Load(); return err }, "bad input: --platform: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse()
			if !builder.IsBadInput(err) {
				t.Fatalf("error = %v, want bad input (exit 2)", err)
			}
			if got := err.Error(); got != tc.want && (tc.want[len(tc.want)-1] != ' ' || len(got) < len(tc.want) || got[:len(tc.want)] != tc.want) {
				t.Errorf("error = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestParsersTakeGoodValues: the values weld build's help names parse to
// what the builder takes.
func TestParsersTakeGoodValues(t *testing.T) {
	env, err := ParseEnv("--env", []string{"A=1", "B=x=y", "C="})
	if d := cmp.Diff(map[string]string{"A": "1", "B": "x=y", "C": ""}, env); err != nil || d != "" {
		t.Errorf("ParseEnv: %v, (-want +got):\n%s", err, d)
	}
	reads, err := ParseAllow([]string{"fs.read=/a", "fs=/b"})
	if d := cmp.Diff([]string{"/a", "/b"}, reads); err != nil || d != "" {
		t.Errorf("ParseAllow: %v, (-want +got):\n%s", err, d)
	}
	outs, err := ParseOutputs([]string{"oci:out"}, true, true)
	want := []builder.Output{{Type: builder.OutputOCI, Dest: "out"}, {Type: builder.OutputRegistry}, {Type: builder.OutputDocker}}
	if d := cmp.Diff(want, outs); err != nil || d != "" {
		t.Errorf("ParseOutputs(--push --load): %v, (-want +got):\n%s", err, d)
	}
	images, err := ParseImages([]string{"busybox=docker-image://127.0.0.1:5000/busybox:1"})
	if err != nil || images["busybox"].Image != "127.0.0.1:5000/busybox:1" {
		t.Errorf("ParseImages = %+v, %v; want busybox replaced", images, err)
	}
	cache, err := ParseCacheTo([]string{"type=local,dest=c,mode=max"})
	if err != nil || len(cache) != 1 || cache[0].Attrs["dest"] != "c" {
		t.Errorf("ParseCacheTo = %+v, %v", cache, err)
	}
	if ids := SecretIDs([]string{"id=a,src=/x", "src=/bad", "id=b,env=B"}); !cmp.Equal(ids, []string{"a", "b"}) {
		t.Errorf("SecretIDs = %q, want [a b] (a bad value is ParseSecrets' error)", ids)
	}
}
