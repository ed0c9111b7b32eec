package dag

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// fsChecker validates paths against the work dir, caching what it learns
// of the disk (steps often share contexts and Dockerfiles).
type fsChecker struct {
	workDir string // absolute
	real    string // workDir with symlinks resolved
	infos   map[string]fsInfo
	dests   map[string]checkedDest // parseArtifact's answers by dest
}

// fsInfo is what the checker knows of one absolute path.
type fsInfo struct {
	exists, dir, regular bool
	size                 int64
	real                 string // symlinks resolved, for the longest existing prefix
}

func newFSChecker(workDir string) (*fsChecker, error) {
	real, err := filepath.EvalSymlinks(workDir)
	if err != nil {
		return nil, err
	}
	return &fsChecker{workDir: workDir, real: real, infos: map[string]fsInfo{}, dests: map[string]checkedDest{}}, nil
}

// info stats abs (following symlinks) and resolves its real path.
func (c *fsChecker) info(abs string) fsInfo {
	if fi, ok := c.infos[abs]; ok {
		return fi
	}
	var fi fsInfo
	if st, err := os.Stat(abs); err == nil {
		fi.exists, fi.dir, fi.regular, fi.size = true, st.IsDir(), st.Mode().IsRegular(), st.Size()
		fi.real, _ = filepath.EvalSymlinks(abs)
	} else if parent := filepath.Dir(abs); parent != abs {
		fi.real = filepath.Join(c.info(parent).real, filepath.Base(abs))
	}
	c.infos[abs] = fi
	return fi
}

// inside reports whether p is the work dir or below it (p is absolute).
// Both are clean, as filepath.Join and EvalSymlinks return them.
func inside(root, p string) bool {
	if p == root || root == string(filepath.Separator) {
		return true
	}
	return strings.HasPrefix(p, root) && p[len(root)] == filepath.Separator
}

// join resolves rel (written in build.yml as what) against base, a folder in
// the work dir that baseName names for messages ("the work dir", "the
// step's context"). It returns "" and a message when rel is absolute or
// leaves the work dir, literally or through a symlink.
func (c *fsChecker) join(base, baseName, rel, what string) (string, string) {
	if filepath.IsAbs(rel) {
		return "", fmt.Sprintf("%s %q is absolute; write it relative to %s", what, rel, baseName)
	}
	abs := filepath.Join(base, rel)
	if !inside(c.workDir, abs) {
		return "", fmt.Sprintf("%s %q escapes the work dir %s; keep it inside", what, rel, c.workDir)
	}
	if fi := c.info(abs); fi.real != "" && !inside(c.real, fi.real) {
		return "", fmt.Sprintf("%s %q leads through a symlink to %s, outside the work dir %s", what, rel, fi.real, c.workDir)
	}
	return abs, ""
}

// checkContext resolves a step's context; it must be a folder.
func (c *fsChecker) checkContext(rel string) (string, string) {
	abs, msg := c.join(c.workDir, "the work dir", rel, "context")
	if msg != "" {
		return "", msg
	}
	switch fi := c.info(abs); {
	case !fi.exists:
		return "", fmt.Sprintf("context %q does not exist in %s; create it or fix the path", rel, c.workDir)
	case !fi.dir:
		return "", fmt.Sprintf("context %q is a file; a context must be a folder", rel)
	}
	return abs, ""
}

// checkDockerfile resolves a step's Dockerfile against its context (as
// Habitus does, not against the work dir); it must be a file.
func (c *fsChecker) checkDockerfile(context, rel string) (string, string) {
	abs, msg := c.join(context, "the step's context", rel, "dockerfile")
	if msg != "" {
		return "", msg
	}
	switch fi := c.info(abs); {
	case !fi.exists:
		return "", fmt.Sprintf("dockerfile %q does not exist in %s; create it or fix the path (it is relative to the context)", rel, context)
	case fi.dir:
		return "", fmt.Sprintf("dockerfile %q is a folder, not a file", rel)
	}
	return abs, ""
}

// parseArtifact splits "/src[:dest]" and checks both halves. Dest comes back
// cleaned, slash-separated and relative to the work dir.
func (c *fsChecker) parseArtifact(spec string) (Artifact, string) {
	src, dest, _ := strings.Cut(spec, ":")
	switch {
	case src == "":
		return Artifact{}, fmt.Sprintf("artifact %q has no source; write /path/in/image[:dest]", spec)
	case !path.IsAbs(src):
		return Artifact{}, fmt.Sprintf("artifact source %q is not absolute; write the path in the image, like /%s", src, src)
	case path.Clean(src) == "/":
		return Artifact{}, fmt.Sprintf("artifact source %q is the whole image; name a file or folder in it", src)
	}
	if dest == "" {
		dest = "."
	}
	d, ok := c.dests[dest]
	if !ok {
		abs, msg := c.join(c.workDir, "the work dir", filepath.FromSlash(dest), "artifact dest")
		if d.msg = msg; msg == "" {
			rel, _ := filepath.Rel(c.workDir, abs)
			d.rel = filepath.ToSlash(rel)
		}
		c.dests[dest] = d
	}
	if d.msg != "" {
		return Artifact{}, d.msg
	}
	return Artifact{Source: path.Clean(src), Dest: d.rel}, ""
}

// checkedDest is what parseArtifact finds for one dest.
type checkedDest struct {
	rel, msg string
}
