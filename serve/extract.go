package serve

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/weld-build/weld/internal/atomicfile"
)

// ErrBadUpload is wrapped by every refusal of Extract: the client sent an
// archive weld will not unpack (answered with 400).
var ErrBadUpload = errors.New("bad upload")

// Limits bound what one upload may unpack to.
type Limits struct {
	// Bytes caps the sum of the regular files' sizes (and so the gzip
	// stream's decompressed size, less tar headers).
	Bytes int64
	// Entries caps the number of tar entries.
	Entries int
}

// DefaultLimits are the limits of weld serve: 256 MiB, 20000 entries.
var DefaultLimits = Limits{Bytes: 256 << 20, Entries: 20000}

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadUpload, fmt.Sprintf(format, args...))
}

// Extract unpacks the tar (or gzip-compressed tar) r into dir, which must
// exist and be empty, and writes nothing outside it: every write goes
// through one os.Root opened on dir. It refuses (ErrBadUpload) an absolute
// name, a name with "..", a symlink or hard link whose target leaves dir, a
// device, FIFO or other special entry, more entries or bytes than lim
// allows (counted on the decompressed stream, so a gzip bomb stops at the
// limit) and a malformed archive. On a refusal what was written stays in
// dir, for the caller to remove with dir.
func Extract(r io.Reader, dir string, lim Limits) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("opening %s: %w", dir, err)
	}
	defer root.Close()
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return refuse("reading gzip: %v", err)
		}
		defer zr.Close()
		src = zr
	}
	// The tar stream itself is capped: headers and padding count too.
	capped := &capReader{r: src, left: lim.Bytes + int64(lim.Entries+2)*1024}
	x := &extractor{root: root, lim: lim}
	tr := tar.NewReader(capped)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return checkLinks(dir)
		}
		if err != nil {
			if capped.over {
				return refuse("the archive unpacks to more than %d bytes", lim.Bytes)
			}
			return refuse("reading tar: %v", err)
		}
		if err := x.entry(h, tr); err != nil {
			if capped.over {
				return refuse("the archive unpacks to more than %d bytes", lim.Bytes)
			}
			return err
		}
	}
}

// checkLinks proves that every symlink in dir resolves inside it: each
// target was checked alone, but a chain of links can still climb out.
func checkLinks(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	return filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		rel, _ := filepath.Rel(real, p)
		t, err := filepath.EvalSymlinks(p)
		if err != nil {
			return refuse("%s: a symlink that leads nowhere", filepath.ToSlash(rel))
		}
		if r, err := filepath.Rel(real, t); err != nil || !insideRoot(filepath.ToSlash(r)) {
			return refuse("%s: a symlink that leads out of the upload", filepath.ToSlash(rel))
		}
		return nil
	})
}

// capReader fails once more than left bytes were read.
type capReader struct {
	r    io.Reader
	left int64
	over bool
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.over = true
		return 0, errors.New("size limit reached")
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

type extractor struct {
	root    *os.Root
	lim     Limits
	entries int
	bytes   int64
}

// entry writes one tar entry, after checking it.
func (x *extractor) entry(h *tar.Header, r io.Reader) error {
	if x.entries++; x.entries > x.lim.Entries {
		return refuse("the archive has more than %d entries", x.lim.Entries)
	}
	name, err := cleanName(h.Name)
	if err != nil {
		return err
	}
	if name == "." {
		return nil
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return x.mkdirAll(name)
	case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old archives use TypeRegA
		return x.file(name, h, r)
	case tar.TypeSymlink:
		return x.symlink(name, h.Linkname)
	case tar.TypeLink:
		return x.link(name, h.Linkname)
	case tar.TypeXGlobalHeader:
		return nil
	}
	return refuse("%s: entry type %q (a device, FIFO or other special file) is not allowed", h.Name, string(h.Typeflag))
}

// cleanName refuses an absolute name or one holding "..", and returns the
// clean relative name.
func cleanName(name string) (string, error) {
	if name == "" || strings.ContainsRune(name, 0) || strings.Contains(name, `\`) {
		return "", refuse("%q: an empty name, a NUL byte or a backslash is not allowed", name)
	}
	if path.IsAbs(name) {
		return "", refuse("%q: absolute names are not allowed", name)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "", refuse("%q: names with .. are not allowed", name)
		}
	}
	return path.Clean(name), nil
}

func (x *extractor) mkdirAll(name string) error {
	if err := x.root.MkdirAll(name, 0o755); err != nil {
		return refuse("%s: %v", name, atomicfile.Cause(err))
	}
	return nil
}

func (x *extractor) file(name string, h *tar.Header, r io.Reader) error {
	if h.Size < 0 || x.bytes+h.Size > x.lim.Bytes {
		return refuse("the archive unpacks to more than %d bytes", x.lim.Bytes)
	}
	x.bytes += h.Size
	if err := x.mkdirAll(path.Dir(name)); err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if h.Mode&0o111 != 0 {
		mode = 0o755
	}
	// O_EXCL: an entry never writes through something already there (a
	// symlink an earlier entry made).
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return refuse("%s: %v", name, atomicfile.Cause(err))
	}
	_, err = io.CopyN(f, r, h.Size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return refuse("%s: %v", name, err)
	}
	return nil
}

// symlink creates a symlink whose target, taken from the link's folder,
// stays inside the root.
func (x *extractor) symlink(name, target string) error {
	if target == "" || path.IsAbs(target) || !insideRoot(path.Join(path.Dir(name), target)) {
		return refuse("%s: a symlink to %q leads out of the upload", name, target)
	}
	if err := x.mkdirAll(path.Dir(name)); err != nil {
		return err
	}
	if err := x.root.Symlink(target, name); err != nil {
		return refuse("%s: %v", name, atomicfile.Cause(err))
	}
	return nil
}

// link creates a hard link to an earlier regular file of the upload.
func (x *extractor) link(name, target string) error {
	t, err := cleanName(target)
	if err != nil || t == "." {
		return refuse("%s: a hard link to %q leads out of the upload", name, target)
	}
	fi, err := x.root.Lstat(t)
	if err != nil || !fi.Mode().IsRegular() {
		return refuse("%s: a hard link must name a regular file earlier in the upload, not %q", name, target)
	}
	if err := x.mkdirAll(path.Dir(name)); err != nil {
		return err
	}
	if err := x.root.Link(t, name); err != nil {
		return refuse("%s: %v", name, atomicfile.Cause(err))
	}
	return nil
}

// insideRoot reports whether the slash path p, relative to the root, stays in it.
func insideRoot(p string) bool {
	c := path.Clean(p)
	return c != ".." && !strings.HasPrefix(c, "../")
}
