package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/weld-build/weld/builder"
)

func TestJSONRoundTrip(t *testing.T) {
	p, res := chain(t)
	res.Steps[1].Status, res.Steps[1].Error, res.Steps[1].Source = builder.StatusFailed, "step \"b\": exit 3", "Dockerfile.b:1"
	r := Build(p, res, WithError(errors.New("boom")),
		WithFindings(Finding{Rule: "RootUser", Severity: "warning", Step: "a", Source: "Dockerfile.a:1:1", Message: "runs as root"}),
		WithGates(GateResult{Step: "a", Gate: "scan {{oci_dir}}", Passed: true}))
	var buf bytes.Buffer
	if err := r.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if d := cmp.Diff(r, got); d != "" {
		t.Errorf("Read(WriteJSON(r)) differs (-want +got):\n%s", d)
	}
	if got.Steps[1].SourceLine != "FROM scratch" {
		t.Errorf("source line = %q, want the Dockerfile's line 1", got.Steps[1].SourceLine)
	}
}

func TestReadRefuses(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"newer version", `{"version": 2}`, "version 2"},
		{"no version", `{"steps": []}`, "version 0"},
		{"not JSON", `<html>`, "decoding"},
		{"too large", `{"version":1,"file":"` + strings.Repeat("x", MaxJSON) + `"}`, "larger than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Read() error = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestBuildStatus(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		stepStat builder.Status
		want     string
	}{
		{"all done", nil, builder.StatusDone, StatusSucceeded},
		{"canceled", fmt.Errorf("step %q: %w", "a", context.Canceled), builder.StatusCanceled, StatusInterrupted},
		{"failed", errors.New("boom"), builder.StatusFailed, StatusFailed},
		{"a step not done without an error", nil, builder.StatusHeldBack, StatusFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, res := chain(t)
			res.Steps[2].Status = tc.stepStat
			if got := Build(p, res, WithError(tc.err)).Status; got != tc.want {
				t.Errorf("Status = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBuildWithoutResult(t *testing.T) {
	p, _ := chain(t)
	r := Build(p, nil, WithError(context.Canceled))
	if r.Status != StatusInterrupted || len(r.Steps) != 3 || r.Steps[0].Status != StatusNotRun || len(r.CriticalPath) != 0 {
		t.Errorf("Build(p, nil) = status %q, %d steps (first %q), path %v; want interrupted, 3 not run, no path",
			r.Status, len(r.Steps), r.Steps[0].Status, r.CriticalPath)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
}

func TestBuildWithoutResultShowsTheSelection(t *testing.T) {
	p, _ := chain(t)
	r := Build(p, nil, WithSelection("b"))
	var got []string
	for _, s := range r.Steps {
		got = append(got, s.Label)
	}
	if d := cmp.Diff([]string{"a", "b"}, got); d != "" {
		t.Errorf("steps (-want +got):\n%s", d)
	}
}

func TestBuildEdges(t *testing.T) {
	p, res := chain(t)
	r := Build(p, res)
	want := []Edge{{From: "a", To: "b"}}
	if d := cmp.Diff(want, r.Edges); d != "" {
		t.Errorf("edges (-want +got):\n%s", d)
	}
}

func TestRedactorCoversEveryText(t *testing.T) {
	p, res := chain(t)
	res.Steps[1].Status, res.Steps[1].Error = builder.StatusFailed, "token s3cret in the output"
	res.Steps[1].Outputs = []string{"registry/s3cret:latest"}
	res.Steps[1].Platforms = []builder.PlatformImage{{Platform: "linux/s3cret", Digest: "sha256:s3cret", Daemon: "tcp://s3cret:1234"}}
	red := func(s string) string { return strings.ReplaceAll(s, "s3cret", "***") }
	r := Build(p, res, WithError(errors.New("s3cret")), WithRedactor(red),
		WithFindings(Finding{Message: "s3cret"}), WithGates(GateResult{Gate: "s3cret", Message: "s3cret"}))
	var js, page bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"JSON": js.String(), "HTML": page.String()} {
		if strings.Contains(out, "s3cret") {
			t.Errorf("the %s report holds the secret", name)
		}
	}
}

func TestDockerfileLine(t *testing.T) {
	p := testPlan(t, nil, "FROM scratch\r\nRUN <script>x</script>\n", "a")
	df := p.Build().Steps[0].Dockerfile
	tests := []struct{ source, want string }{
		{"Dockerfile.a:2", "RUN <script>x</script>"},
		{"sub/Dockerfile.a:1", "FROM scratch"},
		{"other/Dockerfile:1", ""}, // another file
		{"Dockerfile.a:9", ""},
		{"Dockerfile.a:x", ""},
		{"Dockerfile.a", ""},
	}
	for _, tc := range tests {
		if got := dockerfileLine(df, tc.source); got != tc.want {
			t.Errorf("dockerfileLine(%q) = %q, want %q", tc.source, got, tc.want)
		}
	}
}

// TestPlatformsInReport: a multi-platform step's manifests are listed under
// it in the JSON and on the page, with the daemon of each when a pool split
// the step.
func TestPlatformsInReport(t *testing.T) {
	p, res := chain(t)
	arm := "sha256:" + strings.Repeat("b", 64)
	res.Steps[1].Platforms = []builder.PlatformImage{{Platform: "linux/amd64", Digest: "sha256:" + strings.Repeat("a", 64)}, {Platform: "linux/arm64", Digest: arm, Daemon: "unix://buildkitd.sock#2"}}
	r := Build(p, res)
	var js, page bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	if want := `{"platform":"linux/arm64","digest":"` + arm + `","daemon":"unix://buildkitd.sock#2"}`; !strings.Contains(strings.Join(strings.Fields(js.String()), ""), want) {
		t.Errorf("the JSON report does not hold %s:\n%s", want, js.String())
	}
	if want := `<span class="platform" title="` + arm + `">linux/arm64 sha256:bbbbbbbbbbbb on unix://buildkitd.sock#2</span>`; !strings.Contains(page.String(), want) {
		t.Errorf("the HTML report does not hold %s", want)
	}
}

// TestBuildRunning: WithRunning makes the report's status running, though
// its steps so far are all done.
func TestBuildRunning(t *testing.T) {
	p, res := chain(t)
	if r := Build(p, res, WithRunning()); r.Status != StatusRunning {
		t.Errorf("status %q, want %q", r.Status, StatusRunning)
	}
	if r := Build(p, res); r.Status != StatusSucceeded {
		t.Errorf("without WithRunning: status %q, want %q", r.Status, StatusSucceeded)
	}
}
