package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/weld-build/weld/internal/atomicfile"
)

// The report file, as weld build --report FILE writes it: FILE.html (or
// .htm) is the page, FILE.json the document; it is written whole or not at
// all, also when the build failed, and a run removes the one an earlier run
// left before it starts, so that a build that stops before writing its own
// leaves none that passes for it.

// ErrFileName is a report path that names no FILE.html or FILE.json.
var ErrFileName = errors.New("name a FILE.html or a FILE.json")

// PrepareFile checks that path names a report file (FILE.html, FILE.htm or
// FILE.json, not a folder) and removes the report an earlier run left
// there. A bad path's error matches ErrFileName.
func PrepareFile(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm", ".json":
	default:
		return fmt.Errorf("report %q: %w", path, ErrFileName)
	}
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("report %s is a folder: %w", path, ErrFileName)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("report %s: removing the earlier report: %w", path, err)
	}
	return nil
}

// WriteFile writes the report to path, all or nothing: the JSON document
// for a FILE.json, else the HTML page. It creates path's folder.
func (r *Report) WriteFile(path string) error {
	write := r.WriteHTML
	if strings.EqualFold(filepath.Ext(path), ".json") {
		write = r.WriteJSON
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return err
	}
	return f.Close()
}
