package report

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/weld-build/weld/builder"
)

// TestReportFile: PrepareFile takes FILE.html, .htm and .json only (never
// a folder) and removes an earlier report; WriteFile writes the document
// or the page by the extension, which Read reads back.
func TestReportFile(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{filepath.Join(dir, "r.txt"), filepath.Join(dir, "r"), dir + "/d.json"} {
		if bad == dir+"/d.json" {
			if err := os.Mkdir(bad, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := PrepareFile(bad); !errors.Is(err, ErrFileName) {
			t.Errorf("PrepareFile(%q) = %v, want ErrFileName", bad, err)
		}
	}
	p, res := chain(t)
	r := Build(p, res, WithFindings(Finding{Rule: "R", Severity: "warning", Message: "m"}))
	for _, name := range []string{"sub/r.json", "r.HTML"} {
		path := filepath.Join(dir, name)
		if err := r.WriteFile(path); err != nil {
			t.Fatalf("WriteFile(%s): %v", name, err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Read(f)
		f.Close()
		if isJSON := filepath.Ext(name) == ".json"; (err == nil) != isJSON || (isJSON && len(back.Findings) != 1) {
			t.Errorf("Read(%s) = %v, %v; want the JSON document back only for a .json", name, back, err)
		}
		if err := PrepareFile(path); err != nil {
			t.Fatalf("PrepareFile(%s): %v", name, err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("PrepareFile(%s) left the earlier report: %v", name, err)
		}
	}
}

// TestWarnings: only warning events become findings, in their order.
func TestWarnings(t *testing.T) {
	var w Warnings
	w.Event(builder.Event{Type: builder.EventWarning, Step: "a", Rule: "R1", Source: "Dockerfile:1", Message: "one"})
	w.Event(builder.Event{Type: builder.EventInfo, Message: "not a warning"})
	w.Event(builder.Event{Type: builder.EventWarning, Step: "b", Message: "two"})
	got := w.Findings()
	if len(got) != 2 || got[0] != (Finding{Severity: "warning", Rule: "R1", Step: "a", Source: "Dockerfile:1", Message: "one"}) || got[1].Message != "two" {
		t.Errorf("Findings() = %+v, want the two warnings", got)
	}
}
