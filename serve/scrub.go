package serve

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// A tenant never learns the server's own paths: its state and work
// folders, output folders, base-image layouts, secret files and policy.
// Everything serve returns (records, events, reports, errors) passes one
// scrubber, which writes each such path as a placeholder ([state],
// [output]…) and the build's own work folder as the upload's root.

// scrubber replaces the server's paths in text.
type scrubber struct{ r *strings.Replacer }

// weldTemp matches the private temporary folders weld makes for a run
// (staging, prepublish: os.MkdirTemp("", "weld-…-")), shown as [tmp].
var weldTemp = regexp.MustCompile(regexp.QuoteMeta(filepath.Clean(os.TempDir())) + `/weld-[a-z-]+[0-9]+`)

// pathName is a server path and the placeholder it shows as.
type pathName struct{ path, name string }

// newScrubber makes the scrubber of paths: each absolute, and its
// symlink-free form, as text and as JSON escapes it; the longest first, so
// a build's folder is replaced before the state folder holding it.
func newScrubber(paths ...pathName) *scrubber {
	seen := map[string]bool{}
	var olds []pathName
	add := func(p, name string) {
		q, _ := json.Marshal(p)
		for _, form := range []string{p, string(q[1 : len(q)-1])} {
			if len(form) > 1 && !seen[form] {
				seen[form] = true
				olds = append(olds, pathName{form, name})
			}
		}
	}
	for _, p := range paths {
		if p.path == "" {
			continue
		}
		abs, err := filepath.Abs(p.path)
		if err != nil || filepath.Dir(abs) == abs { // never the root alone
			continue
		}
		// "DIR/x" shows as "NAME/x"; the build's own folder (name "")
		// as "x", and alone as ".".
		sub, alone := p.name+"/", p.name
		if p.name == "" {
			sub, alone = "", "."
		}
		for _, form := range []string{abs, evalSymlinks(abs)} {
			add(form+string(filepath.Separator), sub)
			add(form, alone)
		}
	}
	sort.SliceStable(olds, func(i, j int) bool { return len(olds[i].path) > len(olds[j].path) })
	var args []string
	for _, o := range olds {
		args = append(args, o.path, o.name)
	}
	return &scrubber{r: strings.NewReplacer(args...)}
}

func evalSymlinks(p string) string {
	if q, err := filepath.EvalSymlinks(p); err == nil {
		return q
	}
	return p
}

// String scrubs s.
func (s *scrubber) String(t string) string {
	if s == nil {
		return t
	}
	return weldTemp.ReplaceAllString(s.r.Replace(t), "[tmp]")
}

// json scrubs data's JSON form (placeholders need no escaping).
func (s *scrubber) json(data any) json.RawMessage {
	dt, err := json.Marshal(data)
	if err != nil {
		dt, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return json.RawMessage(s.String(string(dt)))
}

// err is err with its text scrubbed; errors.Is and As still see err.
func (s *scrubber) err(err error) error {
	if err == nil {
		return nil
	}
	if msg := s.String(err.Error()); msg != err.Error() {
		return &scrubbedError{msg: msg, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
