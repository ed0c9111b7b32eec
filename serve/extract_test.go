package serve

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one tar entry of a test archive.
type entry struct {
	name, link, body string
	typ              byte
	size             int64 // the header's size, when not len(body)
}

func makeTar(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

// bomb is a gzip of a tar holding one file of n zero bytes.
func bomb(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(n)})
	tw.Write(make([]byte, n))
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestExtractRefuses(t *testing.T) {
	lim := Limits{Bytes: 1 << 20, Entries: 10}
	many := make([]entry, 11)
	for i := range many {
		many[i] = entry{name: "f" + string(rune('a'+i)), body: "x"}
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"absolute", makeTar(t, entry{name: "/etc/evil", body: "x"}), "absolute"},
		{"dotdot", makeTar(t, entry{name: "a/../../evil", body: "x"}), ".."},
		{"dotdot first", makeTar(t, entry{name: "../evil", body: "x"}), ".."},
		{"backslash", makeTar(t, entry{name: `..\evil`, body: "x"}), "backslash"},
		{"absolute symlink", makeTar(t, entry{name: "l", link: "/etc", typ: tar.TypeSymlink}), "leads out"},
		{"climbing symlink", makeTar(t, entry{name: "a/l", link: "../../etc", typ: tar.TypeSymlink}), "leads out"},
		{"symlink then write through", makeTar(t, entry{name: "l", link: ".", typ: tar.TypeSymlink}, entry{name: "l", body: "x"}), "exists"},
		{"symlink chain out", makeTar(t, entry{name: "a/", typ: tar.TypeDir}, entry{name: "a/s", link: "..", typ: tar.TypeSymlink},
			entry{name: "a/x", link: "s/../x", typ: tar.TypeSymlink}), "symlink"},
		{"dangling symlink", makeTar(t, entry{name: "l", link: "nothing", typ: tar.TypeSymlink}), "leads nowhere"},
		{"hard link out", makeTar(t, entry{name: "h", link: "/etc/passwd", typ: tar.TypeLink}), "hard link"},
		{"hard link dotdot", makeTar(t, entry{name: "h", link: "../x", typ: tar.TypeLink}), "hard link"},
		{"hard link to symlink", makeTar(t, entry{name: "f", body: "x"}, entry{name: "l", link: "f", typ: tar.TypeSymlink},
			entry{name: "h", link: "l", typ: tar.TypeLink}), "regular file"},
		{"char device", makeTar(t, entry{name: "null", typ: tar.TypeChar}), "special"},
		{"block device", makeTar(t, entry{name: "sda", typ: tar.TypeBlock}), "special"},
		{"fifo", makeTar(t, entry{name: "p", typ: tar.TypeFifo}), "special"},
		{"too many entries", makeTar(t, many...), "more than 10 entries"},
		{"too large", makeTar(t, entry{name: "big", body: strings.Repeat("x", 1<<20+1)}), "more than"},
		{"gzip bomb", bomb(t, 64<<20), "more than"},
		{"not a tar", []byte("hello, this is not a tar archive at all, but it is long enough to be read as a header"), "reading tar"},
		{"bad gzip", []byte{0x1f, 0x8b, 0, 0}, "gzip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "ctx")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			err := Extract(bytes.NewReader(tc.data), dir, lim)
			if !errors.Is(err, ErrBadUpload) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Extract = %v, want an ErrBadUpload naming %q", err, tc.want)
			}
			ents, _ := os.ReadDir(parent)
			if len(ents) != 1 {
				t.Errorf("the parent of the build's folder holds %d entries, want only ctx/: something was written outside", len(ents))
			}
		})
	}
}

func TestExtractWrites(t *testing.T) {
	data := makeTar(t,
		entry{name: "./", typ: tar.TypeDir},
		entry{name: "build.yml", body: "build: {}\n"},
		entry{name: "sub/Dockerfile", body: "FROM busybox\n"},
		entry{name: "sub/link", link: "Dockerfile", typ: tar.TypeSymlink},
		entry{name: "up", link: "sub/../build.yml", typ: tar.TypeSymlink},
		entry{name: "hard", link: "build.yml", typ: tar.TypeLink},
	)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"tar", data}, {"tar.gz", gz(t, data)}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Extract(bytes.NewReader(tc.data), dir, DefaultLimits); err != nil {
				t.Fatalf("Extract = %v, want nil", err)
			}
			for name, want := range map[string]string{"build.yml": "build: {}\n", "sub/link": "FROM busybox\n", "up": "build: {}\n", "hard": "build: {}\n"} {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || string(got) != want {
					t.Errorf("%s = %q, %v; want %q", name, got, err, want)
				}
			}
		})
	}
}
