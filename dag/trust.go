package dag

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/weld-build/weld/internal/boundedio"
)

// MaxLabelLen is the longest step label, in bytes.
const MaxLabelLen = 128

// ValidLabel checks that a step label is a plain name, safe as the name of
// a folder (outputs write one per step) and of a BuildKit session's
// resources: ASCII letters, digits, '_', '-' and '.', starting with a letter
// or a digit (so never ".", "..", a hidden name or one read as a flag), at
// most MaxLabelLen (128) bytes. The error says what breaks the rule.
func ValidLabel(label string) error {
	switch {
	case label == "":
		return errors.New("it is empty")
	case len(label) > MaxLabelLen:
		return fmt.Errorf("it is %d bytes long, more than %d", len(label), MaxLabelLen)
	case !isAlnum(label[0]):
		return fmt.Errorf("it starts with %s", quoteByte(label[0]))
	}
	for i := 1; i < len(label); i++ {
		if c := label[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return fmt.Errorf("it holds %s", quoteByte(c))
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// quoteByte shows a byte of a label: as a character when it is printable
// ASCII, else in hex (a label may hold NUL or a piece of UTF-8).
func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("the byte 0x%02x", c)
}

// labelError is the message for an invalid label (shortened when long).
func labelError(label string, err error) string {
	shown := label
	if len(shown) > 40 {
		shown = shown[:40] + "..."
	}
	return fmt.Sprintf("step label %q is not a plain name (%v); a label names the step's folders, so use letters, digits, _, - and ., starting with a letter or digit, at most %d bytes",
		shown, err, MaxLabelLen)
}

// confinedWorkDir resolves build.work_dir (written at key) against the
// build file's folder dir and checks that it stays there, literally and
// through symlinks; -d DIR is the way to build in another folder. It
// returns "" after reporting a problem.
func (l *loader) confinedWorkDir(dir, workDir string, key *yaml.Node) string {
	pos := l.d.pos(key)
	hint := "keep it inside the build file's folder " + dir + ", or pass -d DIR to build in another folder"
	if filepath.IsAbs(workDir) {
		l.errorf(pos, "work_dir %q is absolute; %s", workDir, hint)
		return ""
	}
	abs := filepath.Join(dir, workDir)
	if !inside(dir, abs) {
		l.errorf(pos, "work_dir %q leaves the build file's folder; %s", workDir, hint)
		return ""
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		l.errorf(pos, "resolving the build file's folder %s: %v", dir, errCause(err))
		return ""
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil && !inside(realDir, real) {
		l.errorf(pos, "work_dir %q leads through a symlink to %s, outside the build file's folder; %s", workDir, real, hint)
		return ""
	}
	return abs // a work dir that does not exist is reported by the caller
}

// allowedReads resolves WithAllowedReads's paths once, as bake does: made
// absolute against the current folder, with symlinks resolved when they
// exist.
func (l *loader) allowedReads() []string {
	if l.allowed == nil {
		l.allowed = make([]string, 0, len(l.opts.allowedReads))
		for _, p := range l.opts.allowedReads {
			abs, err := filepath.Abs(p)
			if err != nil {
				continue
			}
			if real, err := filepath.EvalSymlinks(abs); err == nil {
				abs = real
			}
			l.allowed = append(l.allowed, abs)
		}
	}
	return l.allowed
}

// readAllowed reports whether a file outside the work dir may be read: its
// real path is one of the allowed paths or below one (a symlink in an
// allowed folder that leads elsewhere is not allowed).
func (l *loader) readAllowed(real string) bool {
	for _, a := range l.allowedReads() {
		if real != "" && inside(a, real) {
			return true
		}
	}
	return false
}

// checkSecretFile makes a file secret's path absolute and checks it: inside
// the work dir (literally and through symlinks) unless the command line
// allows it, then a regular file within boundedio's limit. An outside path
// is refused before anything is said of whether it exists.
func (l *loader) checkSecretFile(id, value string) (string, string) {
	c := l.fs
	if value == "" {
		return "", fmt.Sprintf("secret %s has an empty value; give the path of the file that holds it", id)
	}
	abs := filepath.Clean(value) // "/work/../etc/x" is not in /work
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(c.workDir, value)
	}
	fi := c.info(abs)
	if (!inside(c.workDir, abs) || fi.real != "" && !inside(c.real, fi.real)) && !l.readAllowed(fi.real) {
		via := ""
		if inside(c.workDir, abs) {
			via = " through a symlink to " + fi.real
		}
		return "", fmt.Sprintf("secret %s: file %s leads outside the work dir %s%s; weld reads a file outside it only when the command line allows it: add --allow fs.read=%s, or give the secret on the command line (weld build --secret id=%s,src=FILE)",
			id, abs, c.workDir, via, abs, id)
	}
	switch {
	case !fi.exists:
		return "", fmt.Sprintf("secret %s: file %s does not exist; create it or fix the path", id, abs)
	case fi.dir:
		return "", fmt.Sprintf("secret %s: %s is a folder; a file secret needs a file", id, abs)
	case !fi.regular:
		return "", fmt.Sprintf("secret %s: %s is not a regular file (a pipe, a device or a socket); weld reads secrets only from regular files", id, abs)
	case fi.size > boundedio.MaxSecret:
		return "", fmt.Sprintf("secret %s: %s is %d bytes, more than the %d a secret may hold", id, abs, fi.size, boundedio.MaxSecret)
	}
	return abs, ""
}

// checkIgnoreFile checks a .dockerignore a step may use (p is next to its
// Dockerfile, or at the root of its context): when it exists it must stay
// in the work dir and be a regular file within the limit, so the build
// never reads one that is not. It reports whether the file exists.
func (c *fsChecker) checkIgnoreFile(p string) (bool, string) {
	if _, err := os.Lstat(p); err != nil {
		return false, ""
	}
	fi := c.info(p)
	rel := strings.TrimPrefix(p, c.workDir+string(filepath.Separator))
	switch {
	case !fi.exists:
		return false, "" // a symlink that leads nowhere: the build reads no such file
	case !inside(c.real, fi.real):
		return true, fmt.Sprintf("%s leads through a symlink to %s, outside the work dir %s; make it a file or remove it", rel, fi.real, c.workDir)
	case !fi.regular:
		return true, fmt.Sprintf("%s is not a regular file; make it a file or remove it", rel)
	case fi.size > boundedio.MaxIgnoreFile:
		return true, fmt.Sprintf("%s is %d bytes, more than the %d a .dockerignore may hold", rel, fi.size, boundedio.MaxIgnoreFile)
	}
	return true, ""
}
