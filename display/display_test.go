package display

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// TestSummary: a step's line, its platforms, the daemon only for a pool,
// and last each failure with the tail of its output.
func TestSummary(t *testing.T) {
	res := &builder.Result{Steps: []*builder.StepResult{
		{Label: "lib", Status: "built", Duration: 1500e6, Vertices: 4, CachedVertices: 3, Daemon: "unix:///a.sock",
			Digest: "sha256:aa", Unchanged: true, Outputs: []string{"oci:out/lib"},
			Platforms: []builder.PlatformImage{{Platform: "linux/arm64", Digest: "sha256:bb"}}},
		{Label: "app", Status: "failed", Duration: 250e6, Vertices: 2, Daemon: "unix:///b.sock"},
	}}
	failed := &builder.StepError{Step: "app", Tail: []string{"line 1", "line 2"}, Err: errors.New("exit code 1")}
	var w strings.Builder
	Summary(&w, res, &builder.BuildError{Failed: []error{failed}})
	want := "\n" +
		fmt.Sprintf("  %-20s %-20s %6.1fs  3/4 cached  on unix:///a.sock  sha256:aa  unchanged  → oci:out/lib\n", "lib", "built", 1.5) +
		fmt.Sprintf("  %-20s %-20s sha256:bb\n", "", "linux/arm64") +
		fmt.Sprintf("  %-20s %-20s %6.1fs  0/2 cached  on unix:///b.sock\n", "app", "failed", 0.25) +
		"\nFAILED: " + failed.Error() + "\n  line 1\n  line 2\n"
	if w.String() != want {
		t.Errorf("Summary =\n%s\nwant\n%s", w.String(), want)
	}

	res.Steps[1].Daemon = res.Steps[0].Daemon // one daemon: not named
	w.Reset()
	Summary(&w, res, fmt.Errorf("run: %w", context.Canceled))
	if strings.Contains(w.String(), " on unix") || !strings.HasSuffix(w.String(), "\nINTERRUPTED: every solve was canceled; nothing was published\n") {
		t.Errorf("Summary of an interrupted run on one daemon =\n%s", w.String())
	}
	// One step split over two daemons: each platform says where it built.
	split := &builder.Result{Steps: []*builder.StepResult{{Label: "app", Status: "built", Daemon: "unix:///a.sock, unix:///b.sock",
		Platforms: []builder.PlatformImage{{Platform: "linux/amd64", Digest: "sha256:aa", Daemon: "unix:///a.sock"}, {Platform: "linux/arm64", Digest: "sha256:bb", Daemon: "unix:///b.sock"}}}}}
	w.Reset()
	Summary(&w, split, nil)
	if !strings.Contains(w.String(), "linux/arm64          sha256:bb  on unix:///b.sock\n") || !strings.Contains(w.String(), "on unix:///a.sock, unix:///b.sock") {
		t.Errorf("Summary of a split step =\n%s\nwant each platform's daemon", w.String())
	}
	w.Reset()
	if Summary(&w, nil, errors.New("x")); w.Len() > 0 {
		t.Errorf("Summary(nil result) wrote %q, want nothing", w.String())
	}
}

// TestEnd: a refusal is written and counts as written without a result; a
// files error fails a run that succeeded, and is written last.
func TestEnd(t *testing.T) {
	var w strings.Builder
	refused := policy.Refusals{errors.New("build.yml:3:5: base x is not allowed")}
	written, err := End(&w, nil, nil, nil, refused, nil)
	if !written || err == nil || w.String() != "build.yml:3:5: base x is not allowed\n" {
		t.Errorf("End(refusals) = %v, %v, wrote %q", written, err, w.String())
	}
	w.Reset()
	filesErr := errors.New("the report r.html was NOT written: disk full")
	res := &builder.Result{Steps: []*builder.StepResult{{Label: "a", Status: "built"}}}
	written, err = End(&w, nil, nil, res, nil, filesErr)
	if !written || err != filesErr || !strings.HasSuffix(w.String(), "\nFAILED: "+filesErr.Error()+"\n") {
		t.Errorf("End(files error) = %v, %v, wrote %q; want the files error, written last", written, err, w.String())
	}
	w.Reset()
	if written, err = End(&w, nil, nil, nil, errors.New("connecting"), nil); written || err == nil || w.Len() > 0 {
		t.Errorf("End(an error before any step) = %v, %v, wrote %q; want it unwritten, for the caller", written, err, w.String())
	}
}

// TestCheckMode: the modes buildx knows, and a clear bad input else.
func TestCheckMode(t *testing.T) {
	for _, m := range Modes {
		if err := CheckMode(m); err != nil {
			t.Errorf("CheckMode(%q) = %v", m, err)
		}
	}
	err := CheckMode("fancy")
	if !builder.IsBadInput(err) || err.Error() != `bad input: --progress "fancy": use auto, tty, plain, rawjson or quiet` {
		t.Errorf("CheckMode(fancy) = %v, want bad input naming the modes", err)
	}
}

// TestError: a build file's errors a line each, any other error after
// "weld: ".
func TestError(t *testing.T) {
	var w strings.Builder
	Error(&w, fmt.Errorf("loading: %w", dag.ErrorList{{Pos: dag.Pos{File: "build.yml", Line: 2, Col: 3}, Msg: "a"}, {Pos: dag.Pos{File: "build.yml", Line: 4, Col: 1}, Msg: "b"}}))
	if got, want := w.String(), "build.yml:2:3: a\nbuild.yml:4:1: b\n"; got != want {
		t.Errorf("Error(ErrorList) wrote %q, want %q", got, want)
	}
	w.Reset()
	Error(&w, errors.New("connecting: no daemon"))
	if got, want := w.String(), "weld: connecting: no daemon\n"; got != want {
		t.Errorf("Error wrote %q, want %q", got, want)
	}
}
