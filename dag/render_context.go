package dag

import (
	"fmt"
	"strconv"
)

// ContextSize is how much of a step's build context weld sends: the files
// left after its .dockerignore and weld's own folders (ContextFilter).
// Measuring it walks the context, which dag does not do: the caller
// measures (weld plan does, with internal/ctxsize) and passes the figures
// to Render with WithContextSizes.
type ContextSize struct {
	// Files counts everything that is not a folder (files, symlinks).
	Files int64 `json:"files"`
	// Bytes is the total size of the regular files.
	Bytes int64 `json:"bytes"`
	// More says the count stopped at Files: the context holds more.
	More bool `json:"more"`
}

// String says it for people: "3 files, 4.1 kB", ">1000000 files, 2.0 GB".
func (c ContextSize) String() string {
	more, noun := "", "files"
	if c.More {
		more = ">"
	}
	if c.Files == 1 && !c.More {
		noun = "file"
	}
	return fmt.Sprintf("%s%d %s, %s%s", more, c.Files, noun, more, byteSize(c.Bytes))
}

// byteSize writes n in decimal units, as BuildKit's progress does.
func byteSize(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f, units := float64(n), []string{"kB", "MB", "GB", "TB", "PB"}
	i := -1
	for f >= 999.95 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + units[i]
}

// RenderOption adds to what Render writes.
type RenderOption func(*view)

// WithContextSizes shows each step's context size (by label) in text and
// json; a step missing from sizes shows none.
func WithContextSizes(sizes map[string]ContextSize) RenderOption {
	return func(v *view) { v.sizes = sizes }
}
