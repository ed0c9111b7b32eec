package dag

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/weld-build/weld/internal/safepath"
)

// FuzzDerivedPaths writes build files from attacker-chosen labels and
// paths (label, context, dockerfile, artifact dest, work_dir, secret file)
// into a project whose folder holds symlinks out of it, and asserts that
// whenever Load succeeds every path derived from them stays in its folder:
// the work dir in the build file's folder, contexts, Dockerfiles, artifact
// destinations and secret files in the work dir (through symlinks too),
// and a step's output folder safepath.Join(root, label) in root.
func FuzzDerivedPaths(f *testing.F) {
	for _, s := range [][6]string{
		{"app", ".", "Dockerfile", "dist", "", "tok"},
		{"../../../../victim", ".", "Dockerfile", ".", "", "tok"},
		{"..", "..", "../Dockerfile", "..", "..", "../outside/key"},
		{".", "/", "/etc/passwd", "/tmp", "/", "/etc/shadow"},
		{"a/b", "out", "out/Dockerfile", "out/x", "out", "out/key"},
		{`a\b`, "sub/..", "sub/../../outside/Dockerfile", "sub/../..", "sub/..", "sub/../../outside/key"},
		{"", "sub", "../Dockerfile", "sub/../out", "sub", "../tok"},
		{"a\x00b", "zero", "zero", "zero", "zero", "zero"},
		{"-rf", "fifo", "fifo", "fifo", "fifo", "fifo"},
		{"ok.1", ".", "Dockerfile", "link-in", "link-in", "tok"},
		{"x", "link-in", "Dockerfile", "./././", "", "link-in/tok"},
		{"x", "link-in", "../Dockerfile", "link-in/../out", "", "link-key"},
		{"x", ".", "../link-in/Dockerfile", "", "./sub/./", "/proc/self/root/etc/passwd"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	proj, out := derivedPathsFixture(f)
	file := filepath.Join(proj, "build.yml")
	realProj := mustReal(f, proj)
	f.Fuzz(func(t *testing.T, label, context, dockerfile, dest, workDir, secret string) {
		yml := "build:\n  version: 2016-03-14\n"
		if workDir != "" {
			yml += "  work_dir: " + strconv.Quote(workDir) + "\n"
		}
		yml += "  steps:\n    " + strconv.Quote(label) + ":\n" +
			"      context: " + strconv.Quote(context) + "\n" +
			"      dockerfile: " + strconv.Quote(dockerfile) + "\n" +
			"      artifacts: [" + strconv.Quote("/app:"+dest) + "]\n" +
			"      secrets:\n        t: {type: file, value: " + strconv.Quote(secret) + "}\n"
		b, err := Parse(file, []byte(yml))
		if err != nil {
			return
		}
		wd := mustReal(t, b.WorkDir)
		mustInside(t, "work dir", realProj, wd)
		for _, s := range b.Steps {
			mustInside(t, "context", wd, mustReal(t, s.Context))
			mustInside(t, "dockerfile", wd, mustReal(t, s.Dockerfile))
			for _, a := range s.Artifacts {
				mustInside(t, "artifact dest", wd, realPrefix(filepath.Join(b.WorkDir, filepath.FromSlash(a.Dest))))
				mustInside(t, "artifact path", wd, realPrefix(filepath.Join(b.WorkDir, filepath.FromSlash(a.Path()))))
			}
			for _, sec := range s.Secrets {
				mustInside(t, "secret file", wd, mustReal(t, sec.Value))
				if st, err := os.Stat(sec.Value); err != nil || !st.Mode().IsRegular() {
					t.Fatalf("secret file %s is not a regular file (%v)", sec.Value, err)
				}
			}
			p, err := safepath.Join(out, s.Label)
			if err != nil {
				t.Fatalf("safepath.Join(out, %q) = %v for a label Load accepted", s.Label, err)
			}
			if filepath.Dir(p) != out {
				t.Fatalf("output folder of %q is %s, not an entry of %s", s.Label, p, out)
			}
		}
	})
}

// derivedPathsFixture makes FuzzDerivedPaths's project: proj holds
// Dockerfiles, secret files and symlinks out of it (to a folder outside, to
// /dev/zero) and into it; out is an empty folder for output folders.
func derivedPathsFixture(f *testing.F) (proj, out string) {
	root := f.TempDir()
	proj = filepath.Join(root, "proj")
	outside := filepath.Join(root, "outside")
	out = filepath.Join(root, "outputs")
	writeFile(f, filepath.Join(proj, "Dockerfile"), "FROM scratch\n")
	writeFile(f, filepath.Join(proj, "sub", "Dockerfile"), "FROM scratch\n")
	writeFile(f, filepath.Join(proj, "tok"), "s3cret\n")
	writeFile(f, filepath.Join(proj, "sub", "tok"), "s3cret\n")
	writeFile(f, filepath.Join(outside, "Dockerfile"), "FROM scratch\n")
	writeFile(f, filepath.Join(outside, "key"), "outside\n")
	for name, target := range map[string]string{
		"out": outside, "zero": "/dev/zero", "link-in": "sub", "link-key": filepath.Join(outside, "key"),
	} {
		if err := os.Symlink(target, filepath.Join(proj, name)); err != nil {
			f.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(proj, "fifo"), 0o600); err != nil {
		f.Fatal(err)
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		f.Fatal(err)
	}
	return proj, out
}

// mustReal resolves symlinks in p, which must exist.
func mustReal(tb testing.TB, p string) string {
	tb.Helper()
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		tb.Fatalf("resolving %s: %v", p, err)
	}
	return real
}

// realPrefix resolves symlinks in the longest existing prefix of p.
func realPrefix(p string) string {
	if real, err := filepath.EvalSymlinks(p); err == nil {
		return real
	}
	parent := filepath.Dir(p)
	if parent == p {
		return p
	}
	return filepath.Join(realPrefix(parent), filepath.Base(p))
}

func mustInside(t *testing.T, what, root, p string) {
	t.Helper()
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) || filepath.IsAbs(rel) {
		t.Fatalf("%s %s is outside %s", what, p, root)
	}
}
