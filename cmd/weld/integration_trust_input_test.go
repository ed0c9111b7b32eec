//go:build integration

package main

// Trust boundaries of the input, through the real weld binary, written as
// an attacker who controls build.yml (and the files beside it) would: step
// labels that walk out of the output folder, a work_dir outside the
// project, input files that are FIFOs, devices or huge, and secret files
// outside the project. Each refusal must be exit 2 at build.yml:LINE:COL
// before any daemon work: the daemon address is a socket that records any
// connection. Where a flag allows what build.yml alone may not, the build
// runs on the real buildkitd and must succeed.

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/weld-build/weld/internal/itest"
)

// trustSpyDaemon listens on a unix socket and counts the connections to it; a
// refusal "before any daemon work" leaves the count at 0.
func trustSpyDaemon(t *testing.T) (host string, touched func() bool) {
	t.Helper()
	dir, err := os.MkdirTemp("", "spy") // short: a socket path is at most 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "buildkitd.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return "unix://" + sock, func() bool { return n.Load() > 0 }
}

// trustPlan prepares `weld plan args…` in dir.
func (e cliEnv) trustPlan(dir string, args ...string) *weld {
	w := &weld{cmd: exec.Command(e.bin, append([]string{"plan"}, args...)...)}
	w.cmd.Dir = dir
	w.cmd.Stdout, w.cmd.Stderr = &w.stdout, &w.stderr
	return w
}

// trustRefused runs weld build in dir against a spy daemon and checks exit 2,
// the messages, and that no daemon was contacted.
func (e cliEnv) trustRefused(t *testing.T, dir string, args []string, want ...string) *weld {
	t.Helper()
	host, touched := trustSpyDaemon(t)
	w := e.command(dir, host, args...)
	w.expect(t, w.run(t, 30*time.Second), 2, want...)
	if touched() {
		t.Errorf("weld contacted the daemon before refusing; stderr:\n%s", w.stderr.String())
	}
	return w
}

// TestTrustLabelsArePlainNames: a label that is a path (the output folder
// is named after it) is trustRefused at its key, in weld build and weld plan,
// and nothing is written where it points.
func TestTrustLabelsArePlainNames(t *testing.T) {
	e := testEnv(t)
	for _, tc := range []struct{ name, label, msg string }{
		{"traversal", "../../../../victim", `build.yml:4:5: step label "../../../../victim" is not a plain name (it starts with '.')`},
		{"dot dot", "'..'", `build.yml:4:5: step label ".." is not a plain name`},
		{"dot", "'.'", `build.yml:4:5: step label "." is not a plain name`},
		{"slash", "a/b", `build.yml:4:5: step label "a/b" is not a plain name (it holds '/')`},
		{"backslash", `'a\b'`, `build.yml:4:5: step label "a\\b" is not a plain name (it holds '\\')`},
		{"NUL", `"a\0b"`, `build.yml:4:5: step label "a\x00b" is not a plain name (it holds the byte 0x00)`},
		{"empty", "''", `build.yml:4:5: step label "" is not a plain name (it is empty)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "a", "b", "c", "proj")
			yml := "build:\n  version: 2016-03-14\n  steps:\n    " + tc.label + ":\n      dockerfile: Dockerfile\n    ok:\n      depends_on: [" + tc.label + "]\n"
			itest.WriteFiles(t, dir, map[string]string{"build.yml": yml, "Dockerfile": "FROM busybox\nRUN echo pwned > /pwned\n"})
			e.trustRefused(t, dir, []string{"--output", "oci:out"}, tc.msg, "build.yml:7:20: depends_on names")
			w := e.trustPlan(dir)
			w.expect(t, w.run(t, 30*time.Second), 2, tc.msg)
			if _, err := os.Lstat(filepath.Join(root, "victim")); err == nil {
				t.Errorf("%s exists: the label wrote outside the output folder", filepath.Join(root, "victim"))
			}
		})
	}
}

// TestTrustWorkDirConfined: build.work_dir cannot take the build to a
// sibling folder (whose files a COPY would then send to the daemon),
// literally, absolutely or through a symlink; -d on the command line can.
func TestTrustWorkDirConfined(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	root := t.TempDir()
	sibling := filepath.Join(root, "sibling")
	itest.WriteFiles(t, sibling, map[string]string{
		"stolen.txt": n + "\n",
		"Dockerfile": "FROM busybox\nCOPY stolen.txt /\nRUN grep -q " + n + " /stolen.txt\n",
	})
	proj := filepath.Join(root, "proj")
	itest.WriteFiles(t, proj, map[string]string{"Dockerfile": "FROM busybox\n"})
	itest.Symlink(t, sibling, filepath.Join(proj, "link"))
	for _, tc := range []struct{ name, workDir, msg string }{
		{"parent", "../sibling", `build.yml:3:3: work_dir "../sibling" leaves the build file's folder`},
		{"absolute", sibling, `build.yml:3:3: work_dir "` + sibling + `" is absolute`},
		{"symlink", "link", `build.yml:3:3: work_dir "link" leads through a symlink to `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yml := "build:\n  version: 2016-03-14\n  work_dir: " + tc.workDir + "\n  steps:\n    steal:\n      dockerfile: Dockerfile\n"
			itest.WriteFiles(t, proj, map[string]string{"build.yml": yml})
			e.trustRefused(t, proj, nil, tc.msg, "or pass -d DIR to build in another folder")
		})
	}
	t.Run("-d is the user's choice", func(t *testing.T) {
		w := e.command(proj, e.host, "-d", sibling)
		w.expect(t, w.run(t, 3*time.Minute), 0)
	})
}

// TestTrustBoundedBuildFile: a build.yml that is a FIFO, /dev/zero or over
// 4 MiB is trustRefused at once, with little memory, before any daemon work.
func TestTrustBoundedBuildFile(t *testing.T) {
	e := testEnv(t)
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string)
		msg  string
	}{
		{"fifo", func(t *testing.T, p string) { itest.FIFO(t, p) }, "build.yml: reading the build file: it is a named pipe (FIFO), not a regular file"},
		{"/dev/zero", func(t *testing.T, p string) { itest.Symlink(t, "/dev/zero", p) }, "build.yml: reading the build file: it is a character device, not a regular file"},
		{"5 MiB", func(t *testing.T, p string) {
			big := "build:\n  version: 2016-03-14\n  steps:\n    a: {}\n#" + strings.Repeat("x", 5<<20) + "\n"
			if err := os.WriteFile(p, []byte(big), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "build.yml: reading the build file: it is 5242930 bytes (5.0 MiB), over weld's limit of 4194304 bytes (4.0 MiB)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"Dockerfile": "FROM busybox\n"})
			tc.make(t, filepath.Join(dir, "build.yml"))
			start := time.Now()
			w := e.trustRefused(t, dir, nil, tc.msg)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("weld took %v to refuse the build file", d)
			}
			ru, ok := w.cmd.ProcessState.SysUsage().(*syscall.Rusage)
			if !ok {
				t.Fatal("no rusage for weld's process")
			}
			if rss := ru.Maxrss << 10; rss > 200<<20 { // Maxrss is in KiB on Linux
				t.Errorf("weld's peak memory was %d MiB refusing the build file, want under 200", rss>>20)
			}
			p := e.trustPlan(dir)
			p.expect(t, p.run(t, 30*time.Second), 2, tc.msg)
		})
	}
}

// TestTrustBoundedSecrets: a secret file that is /dev/zero or a FIFO, from
// --secret or from build.yml, is trustRefused before any daemon work.
func TestTrustBoundedSecrets(t *testing.T) {
	e := testEnv(t)
	secretYML := func(value string) string {
		return "build:\n  version: 2016-03-14\n  steps:\n    a:\n      dockerfile: Dockerfile\n      secrets:\n        k:\n          type: file\n          value: " + value + "\n"
	}
	dir := writeProject(t, map[string]string{"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=k cat /run/secrets/k\n", "build.yml": secretYML("tok"), "tok": "x\n"})
	fifo := filepath.Join(dir, "fifo")
	itest.FIFO(t, fifo)
	itest.Symlink(t, "/dev/zero", filepath.Join(dir, "zero"))
	t.Run("--secret src=/dev/zero", func(t *testing.T) {
		e.trustRefused(t, dir, []string{"--secret", "id=k,src=/dev/zero"}, "--secret id=k: reading /dev/zero: it is a character device, not a regular file")
	})
	t.Run("--secret src=FIFO", func(t *testing.T) {
		e.trustRefused(t, dir, []string{"--secret", "id=k,src=" + fifo}, "--secret id=k: reading "+fifo+": it is a named pipe (FIFO), not a regular file")
	})
	for _, tc := range []struct{ name, value, msg string }{
		{"build.yml FIFO", "fifo", "build.yml:9:11: secret k: " + fifo + " is not a regular file"},
		{"build.yml symlink to /dev/zero", "zero", "build.yml:9:11: secret k: file " + filepath.Join(dir, "zero") + " leads outside the work dir " + dir + " through a symlink to /dev/zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			itest.WriteFiles(t, dir, map[string]string{"build.yml": secretYML(tc.value)})
			e.trustRefused(t, dir, nil, tc.msg)
		})
	}
	t.Run("build.yml /dev/zero, allowed", func(t *testing.T) {
		itest.WriteFiles(t, dir, map[string]string{"build.yml": secretYML("/dev/zero")})
		e.trustRefused(t, dir, []string{"--allow", "fs.read=/dev"}, "build.yml:9:11: secret k: /dev/zero is not a regular file")
	})
}

// TestTrustSecretOutsideProject: a build.yml secret file outside the work
// dir (absolute, ../, or through a symlink) is trustRefused unless the command
// line allows it with --allow fs.read=PATH or replaces it with --secret;
// allowed, the build reads and mounts it.
func TestTrustSecretOutsideProject(t *testing.T) {
	e := testEnv(t)
	n := nonce(t)
	root := t.TempDir()
	outside := filepath.Join(root, "outside")
	itest.WriteFiles(t, outside, map[string]string{"key": n})
	proj := filepath.Join(root, "proj")
	itest.WriteFiles(t, proj, map[string]string{
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=k,required test \"$(cat /run/secrets/k)\" = " + n + "\n",
		"inside":     n,
	})
	itest.Symlink(t, filepath.Join(outside, "key"), filepath.Join(proj, "link"))
	secretYML := func(value string) string {
		return "build:\n  version: 2016-03-14\n  steps:\n    a:\n      dockerfile: Dockerfile\n      secrets:\n        k:\n          type: file\n          value: " + value + "\n"
	}
	key := filepath.Join(outside, "key")
	for _, tc := range []struct{ name, value, msg string }{
		{"parent", "../outside/key", "build.yml:9:11: secret k: file " + key + " leads outside the work dir " + proj + "; weld reads a file outside it only when the command line allows it: add --allow fs.read=" + key + ", or give the secret on the command line (weld build --secret id=k,src=FILE)"},
		{"/etc/shadow", "/etc/shadow", "build.yml:9:11: secret k: file /etc/shadow leads outside the work dir " + proj + "; weld reads a file outside it only when the command line allows it: add --allow fs.read=/etc/shadow"},
		{"symlink", "link", "build.yml:9:11: secret k: file " + filepath.Join(proj, "link") + " leads outside the work dir " + proj + " through a symlink to "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			itest.WriteFiles(t, proj, map[string]string{"build.yml": secretYML(tc.value)})
			e.trustRefused(t, proj, nil, tc.msg)
			p := e.trustPlan(proj)
			p.expect(t, p.run(t, 30*time.Second), 2, tc.msg)
		})
	}
	t.Run("another path allowed", func(t *testing.T) {
		itest.WriteFiles(t, proj, map[string]string{"build.yml": secretYML("../outside/key")})
		e.trustRefused(t, proj, []string{"--allow", "fs.read=" + filepath.Join(root, "elsewhere")}, "build.yml:9:11: secret k: file "+key+" leads outside")
	})
	t.Run("unknown entitlement", func(t *testing.T) {
		e.trustRefused(t, proj, []string{"--allow", "network.host"}, `--allow "network.host": weld knows fs.read=PATH`)
	})
	t.Run("allowed folder builds", func(t *testing.T) {
		itest.WriteFiles(t, proj, map[string]string{"build.yml": secretYML("../outside/key")})
		w := e.command(proj, e.host, "--allow", "fs.read="+outside)
		w.expect(t, w.run(t, 3*time.Minute), 0)
		p := e.trustPlan(proj, "--allow", "fs.read="+key)
		p.expect(t, p.run(t, 30*time.Second), 0)
	})
	t.Run("allowed through the symlink builds", func(t *testing.T) {
		itest.WriteFiles(t, proj, map[string]string{"build.yml": secretYML("link")})
		w := e.command(proj, e.host, "--allow", "fs.read="+filepath.Join(proj, "link"))
		w.expect(t, w.run(t, 3*time.Minute), 0)
	})
	t.Run("--secret replaces it unread", func(t *testing.T) {
		trap := filepath.Join(outside, "trap")
		itest.FIFO(t, trap) // reading it would hang; checking it would refuse it
		itest.WriteFiles(t, proj, map[string]string{"build.yml": secretYML(trap)})
		w := e.command(proj, e.host, "--secret", "id=k,src="+filepath.Join(proj, "inside"))
		w.expect(t, w.run(t, 3*time.Minute), 0)
	})
}
