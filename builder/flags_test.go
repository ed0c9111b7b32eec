package builder

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

func TestParseSecret(t *testing.T) {
	t.Setenv("WELD_TEST_SECRET_VAR", "x")
	for _, tc := range []struct {
		in      string
		want    SecretSpec
		wantErr string
	}{
		{in: "id=token,src=/tmp/t", want: SecretSpec{ID: "token", Src: "/tmp/t"}},
		{in: "id=token,env=TOKEN", want: SecretSpec{ID: "token", Env: "TOKEN"}},
		{in: "type=file,id=a,source=f", want: SecretSpec{ID: "a", Src: "f"}},
		{in: "id=WELD_TEST_SECRET_VAR", want: SecretSpec{ID: "WELD_TEST_SECRET_VAR", Env: "WELD_TEST_SECRET_VAR"}},
		{in: "id=nofile", want: SecretSpec{ID: "nofile", Src: "nofile"}},
		{in: "src=/tmp/t", wantErr: "id= is required"},
		{in: "id=a,bogus=1", wantErr: `unknown field "bogus"`},
		{in: "token", wantErr: "want id=ID"},
		{in: "id=a,type=ssh", wantErr: "type must be file or env"},
	} {
		got, err := ParseSecret(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseSecret(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSecret(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseImage(t *testing.T) {
	dir := t.TempDir()
	one := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":1}]}`
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(one), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in, wantRef, wantSrc, wantErr string
	}{
		{in: "alpine:3.20=oci-layout://" + dir, wantRef: "alpine:3.20", wantSrc: "oci-layout://" + dir + "@sha256:" + strings.Repeat("a", 64)},
		{in: "docker.io/library/alpine:latest=docker-image://busybox", wantRef: "alpine", wantSrc: "docker-image://busybox"},
		{in: "golang=oci-layout://" + dir + "@sha256:" + strings.Repeat("b", 64), wantRef: "golang", wantSrc: "oci-layout://" + dir + "@sha256:" + strings.Repeat("b", 64)},
		{in: "alpine", wantErr: "want REF="},
		{in: "alpine=/some/dir", wantErr: "must start with oci-layout://"},
		{in: "alpine=oci-layout:///nonexistent", wantErr: "reading OCI layout"},
		{in: "Bad Ref=docker-image://x", wantErr: "parsing image ref"},
	} {
		ref, src, err := ParseImage(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseImage(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || ref != tc.wantRef || src.String() != tc.wantSrc {
			t.Errorf("ParseImage(%q) = %q, %q, %v; want %q, %q", tc.in, ref, src, err, tc.wantRef, tc.wantSrc)
		}
	}
}

func TestParseOutput(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Output
		wantErr bool
	}{
		{in: "oci:out", want: Output{Type: "oci", Dest: "out"}},
		{in: "type=oci,dest=out,tar=true", want: Output{Type: "oci", Dest: "out", Tar: true}},
		{in: "docker:out", wantErr: true},
		{in: "type=oci", wantErr: true},
		{in: "type=oci,dest=o,tar=maybe", wantErr: true},
	} {
		got, err := ParseOutput(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
			t.Errorf("ParseOutput(%q) = %+v, %v; want %+v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`secretapp --once`, []string{"secretapp", "--once"}},
		{`sh -c 'echo $HOME && false'`, []string{"sh", "-c", "echo $HOME && false"}},
		{`echo "a b" c\ d ''`, []string{"echo", "a b", "c d", ""}},
		{"  spaced\targs\n", []string{"spaced", "args"}},
	} {
		got, err := splitWords(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := splitWords(`echo "open`); err == nil {
		t.Error(`splitWords("echo \"open") = nil error, want unterminated quote`)
	}
}

func TestChaseFollowsReplacementChains(t *testing.T) {
	layout := ImageSource{Layout: "/l", Digest: digest.Digest("sha256:" + strings.Repeat("a", 64))}
	images := map[string]ImageSource{
		"foo:1":     {Image: "busybox:1"},
		"busybox:1": layout,
		"loop":      {Image: "loop2"},
		"loop2":     {Image: "loop"},
		"plain":     {Image: "other"},
	}
	if got := chase(images, "foo:1"); got.Layout != "/l" || got.Name != "busybox:1" {
		t.Errorf("chase(foo:1) = %+v, want the busybox:1 layout, named busybox:1", got)
	}
	if got := chase(images, "plain"); got.Image != "other" {
		t.Errorf("chase(plain) = %+v, want docker-image://other", got)
	}
	if got := chase(images, "loop"); got.Image == "" {
		t.Errorf("chase(loop) = %+v, want it to stop at the cycle", got)
	}
}
