package dag

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/boundedio"
)

// wantErrors checks that err is an ErrorList wrapping ErrInvalid whose
// errors are, in order, at "LINE:COL: message substring" of file.
func wantErrors(t *testing.T, err error, file string, want []string) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error = %v, want an ErrorList wrapping ErrInvalid", err)
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors:\n%v\nwant %d: %q", len(list), err, len(want), want)
	}
	for i, e := range list {
		got := strings.TrimPrefix(e.Error(), file+":")
		pos, msg, _ := strings.Cut(want[i], ": ")
		if !strings.HasPrefix(got, pos+": ") || !strings.Contains(got, msg) {
			t.Errorf("error %d = %q, want %q", i, got, want[i])
		}
	}
}

func TestValidLabel(t *testing.T) {
	tests := []struct {
		label string
		want  string // "" when valid, else a substring of the error
	}{
		{"a", ""},
		{"compile", ""},
		{"Build_2.x-final", ""},
		{"9lives", ""},
		{strings.Repeat("a", MaxLabelLen), ""},
		{"", "it is empty"},
		{".", `it starts with '.'`},
		{"..", `it starts with '.'`},
		{".hidden", `it starts with '.'`},
		{"-rf", `it starts with '-'`},
		{"_x", `it starts with '_'`},
		{"../../../../victim", `it starts with '.'`},
		{"a/b", `it holds '/'`},
		{`a\b`, `it holds '\\'`},
		{"a b", `it holds ' '`},
		{"a:b", `it holds ':'`},
		{"a\x00b", "it holds the byte 0x00"},
		{"é", "it starts with the byte 0xc3"},
		{"a\n", "it holds the byte 0x0a"},
		{strings.Repeat("a", MaxLabelLen+1), "129 bytes long, more than 128"},
	}
	for _, tc := range tests {
		err := ValidLabel(tc.label)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ValidLabel(%q) = %v, want nil", tc.label, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("ValidLabel(%q) = %v, want an error holding %q", tc.label, err, tc.want)
		}
	}
}

func TestLabelErrors(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct {
		name string
		yml  string
		want []string
	}{
		{"traversal", head + "    ../../../../victim: {}\n", []string{`4:5: step label "../../../../victim" is not a plain name (it starts with '.')`}},
		{"dot", head + "    .: {}\n", []string{`4:5: step label "." is not a plain name`}},
		{"dot dot", head + "    '..': {}\n", []string{`4:5: step label ".." is not a plain name`}},
		{"slash", head + "    a/b: {}\n", []string{`4:5: step label "a/b" is not a plain name (it holds '/')`}},
		{"backslash", head + "    'a\\b': {}\n", []string{`4:5: step label "a\\b" is not a plain name (it holds '\\')`}},
		{"empty", head + "    '': {}\n", []string{`4:5: step label "" is not a plain name (it is empty)`}},
		{"NUL", head + "    \"a\\0b\": {}\n", []string{`4:5: step label "a\x00b" is not a plain name (it holds the byte 0x00)`}},
		{"leading dash", head + "    -x: {}\n", []string{`4:5: step label "-x" is not a plain name`}},
		{"too long", head + "    " + long + ": {}\n", []string{`4:5: step label "` + long[:40] + `..." is not a plain name (it is 200 bytes long, more than 128)`}},
		{"depends_on names it", head + "    ok:\n      depends_on: [\"..\"]\n    '..': {}\n",
			[]string{`5:20: depends_on names "..", which is not a step`, `6:5: step label ".." is not a plain name`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixture(t)
			file := filepath.Join(dir, "build.yml")
			_, err := Parse(file, []byte(tc.yml))
			wantErrors(t, err, file, tc.want)
		})
	}
}

func TestWorkDirConfined(t *testing.T) {
	dir := fixture(t) // has out -> a folder outside, and sub/Dockerfile
	outside := filepath.Join(dir, "out")
	writeFile(t, filepath.Join(outside, "Dockerfile"), "FROM scratch\n")
	if err := os.Symlink("sub", filepath.Join(dir, "sublink")); err != nil {
		t.Fatal(err)
	}
	yml := func(workDir string) string {
		return "build:\n  version: 2016-03-14\n  work_dir: " + workDir + "\n  steps:\n    a: {}\n"
	}
	tests := []struct {
		name    string
		workDir string
		opts    []Option
		want    string // the WorkDir, or "LINE:COL: message" of the error
	}{
		{"subfolder", "sub", nil, filepath.Join(dir, "sub")},
		{"symlink to a subfolder", "sublink", nil, filepath.Join(dir, "sublink")},
		{"dot", ".", nil, dir},
		{"parent", "..", nil, `3:3: work_dir ".." leaves the build file's folder; keep it inside the build file's folder ` + dir + `, or pass -d DIR`},
		{"far parent", "../../..", nil, `3:3: work_dir "../../.." leaves the build file's folder`},
		{"in and out", "sub/../..", nil, `3:3: work_dir "sub/../.." leaves the build file's folder`},
		{"absolute", outside, nil, `3:3: work_dir "` + outside + `" is absolute; keep it inside`},
		{"root", "/", nil, `3:3: work_dir "/" is absolute`},
		{"symlink out", "out", nil, `3:3: work_dir "out" leads through a symlink to `},
		{"-d is trusted", "..", []Option{WithWorkDir(outside)}, outside},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "build.yml")
			b, err := Parse(file, []byte(yml(tc.workDir)), tc.opts...)
			if !strings.Contains(tc.want, ": ") {
				if err != nil || b.WorkDir != tc.want {
					t.Fatalf("Parse(work_dir: %s) = %v; want WorkDir %s", tc.workDir, err, tc.want)
				}
				return
			}
			wantErrors(t, err, file, []string{tc.want})
		})
	}
}

func TestSecretFileTrust(t *testing.T) {
	dir := fixture(t) // token.txt inside; out -> a folder outside
	outside := filepath.Join(dir, "out")
	writeFile(t, filepath.Join(outside, "key"), "outside\n")
	for name, target := range map[string]string{"link-in": "token.txt", "link-out": filepath.Join(outside, "key"), "shadow": "/etc/shadow"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "big"), strings.Repeat("x", boundedio.MaxSecret+1))
	outsideKey := filepath.Join(outside, "key")
	realKey, _ := filepath.EvalSymlinks(outsideKey)
	yml := func(value string) string {
		return head + "    a:\n      secrets:\n        t:\n          type: file\n          value: " + value + "\n"
	}
	const at = "8:11: "
	tests := []struct {
		name  string
		value string
		opts  []Option
		want  string // the resolved Value, or "LINE:COL: message"
	}{
		{"inside", "token.txt", nil, filepath.Join(dir, "token.txt")},
		{"symlink inside", "link-in", nil, filepath.Join(dir, "link-in")},
		{"absolute outside", "/etc/shadow", nil, at + "secret t: file /etc/shadow leads outside the work dir " + dir + "; weld reads a file outside it only when the command line allows it: add --allow fs.read=/etc/shadow, or give the secret on the command line (weld build --secret id=t,src=FILE)"},
		{"outside, missing: no word of existence", "/nonexistent/x", nil, at + "secret t: file /nonexistent/x leads outside the work dir"},
		{"absolute through the work dir", dir + "/../x", nil, at + "secret t: file " + filepath.Join(filepath.Dir(dir), "x") + " leads outside the work dir"},
		{"parent", "../x", nil, at + "secret t: file " + filepath.Join(filepath.Dir(dir), "x") + " leads outside the work dir"},
		{"symlink out", "link-out", nil, at + "secret t: file " + filepath.Join(dir, "link-out") + " leads outside the work dir " + dir + " through a symlink to " + realKey + "; weld reads"},
		{"symlink to /etc/shadow", "shadow", nil, at + "through a symlink to /etc/shadow"},
		{"allowed file", outsideKey, []Option{WithAllowedReads(outsideKey)}, outsideKey},
		{"allowed folder", outsideKey, []Option{WithAllowedReads(outside)}, outsideKey},
		{"allowed through the symlink", "link-out", []Option{WithAllowedReads(filepath.Join(dir, "link-out"))}, filepath.Join(dir, "link-out")},
		{"another path allowed", outsideKey, []Option{WithAllowedReads(filepath.Join(outside, "other"))}, at + "leads outside the work dir"},
		{"a sibling's prefix is not a parent", outsideKey, []Option{WithAllowedReads(outsideKey[:len(outsideKey)-1])}, at + "leads outside the work dir"},
		{"overridden on the command line", "/etc/shadow", []Option{WithOverriddenSecrets("t")}, "/etc/shadow"},
		{"another id overridden", "/etc/shadow", []Option{WithOverriddenSecrets("u")}, at + "leads outside the work dir"},
		{"fifo", "fifo", nil, at + "secret t: " + filepath.Join(dir, "fifo") + " is not a regular file"},
		{"too big", "big", nil, at + "secret t: " + filepath.Join(dir, "big") + " is 512001 bytes, more than the 512000 a secret may hold"},
		{"allowed but a device", "/dev/zero", []Option{WithAllowedReads("/dev")}, at + "secret t: /dev/zero is not a regular file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "build.yml")
			b, err := Parse(file, []byte(yml(tc.value)), tc.opts...)
			if !strings.HasPrefix(tc.want, at) {
				if err != nil {
					t.Fatalf("Parse(value: %s) = %v, want no error", tc.value, err)
				}
				if got := b.Steps[0].Secrets[0].Value; got != tc.want {
					t.Errorf("Value = %q, want %q", got, tc.want)
				}
				return
			}
			if tc.name == "symlink to /etc/shadow" {
				if _, err := os.Stat("/etc/shadow"); err != nil {
					tc.want = at + "leads outside the work dir" // no /etc/shadow here: the link's own path is outside nothing
				}
			}
			wantErrors(t, err, file, []string{tc.want})
		})
	}
}

// TestBoundedInputs checks that every input file of a build is read only
// when regular and small: the build file, a Dockerfile, a .dockerignore.
func TestBoundedInputs(t *testing.T) {
	dir := fixture(t)
	mkfifo := func(name string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := mkfifo("build.fifo")
	zero := filepath.Join(dir, "zero.yml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yml")
	writeFile(t, big, head+"    a: {}\n#"+strings.Repeat("x", 5<<20)+"\n")
	for _, tc := range []struct{ name, path, want string }{
		{"fifo", fifo, "reading the build file: it is a named pipe (FIFO), not a regular file"},
		{"/dev/zero", zero, "reading the build file: it is a character device, not a regular file"},
		{"5 MiB", big, "over weld's limit of 4194304 bytes (4.0 MiB)"},
	} {
		t.Run("build file "+tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := Load(tc.path)
			if time.Since(start) > 5*time.Second {
				t.Errorf("Load(%s) took %v", tc.path, time.Since(start))
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) != 1 || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) || list[0].Pos.File != tc.path {
				t.Fatalf("Load(%s) = %v; want one error at the file holding %q", tc.path, err, tc.want)
			}
		})
	}

	mkfifo("Dockerfile.fifo")
	writeFile(t, filepath.Join(dir, "Dockerfile.big"), "FROM scratch\n#"+strings.Repeat("x", boundedio.MaxDockerfile)+"\n")
	writeFile(t, filepath.Join(dir, "ign", "Dockerfile"), "FROM scratch\n")
	mkfifo(filepath.Join("ign", ".dockerignore"))
	writeFile(t, filepath.Join(dir, "bigign", "Dockerfile"), "FROM scratch\n")
	writeFile(t, filepath.Join(dir, "bigign", "Dockerfile.dockerignore"), strings.Repeat("x", boundedio.MaxIgnoreFile+1))
	writeFile(t, filepath.Join(dir, "ignout", "Dockerfile"), "FROM scratch\n")
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "ignout", ".dockerignore")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, step, want string }{
		{"Dockerfile fifo", "dockerfile: Dockerfile.fifo", "5:7: reading Dockerfile.fifo: it is a named pipe (FIFO), not a regular file"},
		{"Dockerfile over 1 MiB", "dockerfile: Dockerfile.big", "5:7: reading Dockerfile.big: it is 1048591 bytes (1.0 MiB), over weld's limit of 1048576 bytes"},
		{".dockerignore fifo", "context: ign", "5:7: ign/.dockerignore is not a regular file"},
		{"Dockerfile.dockerignore over 1 MiB", "{context: bigign, dockerfile: Dockerfile}", "6:7: bigign/Dockerfile.dockerignore is 1048577 bytes, more than the 1048576"},
		{".dockerignore symlink out", "context: ignout", "5:7: ignout/.dockerignore leads through a symlink to /etc/passwd, outside the work dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "build.yml")
			step := "\n      " + tc.step
			if strings.HasPrefix(tc.step, "{") {
				step = "\n      " + strings.Trim(tc.step, "{}")
				step = strings.ReplaceAll(step, ", ", "\n      ")
			}
			_, err := Parse(file, []byte(head+"    a:"+step+"\n"))
			wantErrors(t, err, file, []string{tc.want})
		})
	}
}

func TestIgnorePatternsBounded(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, ".dockerignore"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Step{Context: dir, Dockerfile: filepath.Join(dir, "Dockerfile")}
	done := make(chan error, 1)
	go func() { _, err := s.IgnorePatterns(); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("IgnorePatterns() = %v, want an ErrInvalid error naming the pipe", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("IgnorePatterns() blocks on a FIFO")
	}
}
