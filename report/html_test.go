package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/weld-build/weld/builder"
)

// evil is text that would run or add markup if the page did not escape it.
const evil = `<script>console.error("xss")</script><img src=x onerror="console.error('xss')">"'</title></text></svg>`

// evilReport is a report whose every text from input is evil: step labels,
// image names, errors, the Dockerfile line, the tail, outputs, findings.
func evilReport(t *testing.T) *Report {
	t.Helper()
	p := testPlan(t, map[string][]string{evil: {"a"}}, "RUN "+evil+"\n", "a", evil)
	res := result(map[string][]ph{
		"a":  {{"frontend", 0, 1}, {"solve", 1, 2}},
		evil: {{"frontend", 0, 2}, {"solve", 2, 3}},
	}, "a", evil)
	s := res.Steps[1]
	s.ImageName, s.Status, s.Error, s.Source = evil, builder.StatusFailed, evil, "Dockerfile.step1:1"
	s.Outputs, s.Digest = []string{evil}, evil
	return Build(p, res, WithError(stringErr(evil)),
		WithFindings(Finding{Rule: evil, Severity: evil, Step: evil, Source: evil, Message: evil}),
		WithGates(GateResult{Step: evil, Gate: evil, Source: evil, Message: evil}))
}

type stringErr string

func (e stringErr) Error() string { return string(e) }

func TestHTMLEscapesInput(t *testing.T) {
	r := evilReport(t)
	if r.Steps[1].SourceLine == "" {
		t.Fatal("no Dockerfile line read: the test would not cover it")
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script", "<img", "onerror=\"console", "</svg></svg>"} {
		if strings.Contains(out, bad) {
			i := strings.Index(out, bad)
			t.Errorf("the page holds %q unescaped: …%s…", bad, out[max(0, i-80):min(len(out), i+80)])
		}
	}
	if !strings.Contains(out, `<tr class="gate"`) || !strings.Contains(out, `<tr class="finding">`) {
		t.Error("the page lacks the gate's or the finding's row")
	}
	if n := strings.Count(out, "&lt;script&gt;"); n < 10 {
		t.Errorf("the escaped label shows %d times, want it everywhere it is used (>= 10)", n)
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	p, res := chain(t)
	var buf bytes.Buffer
	if err := Build(p, res).WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `default-src 'none'`) {
		t.Error("the page has no Content-Security-Policy that forbids fetches and scripts")
	}
	if strings.Contains(out, `id="gates"`) {
		t.Error("the page has a Gates section for a build that recorded no gate")
	}
	for _, ref := range []string{"http://", "https://", "<link", "<script", "src="} {
		if strings.Contains(strings.ReplaceAll(out, `xmlns="http://www.w3.org/2000/svg"`, ""), ref) {
			t.Errorf("the page holds %q: it must load nothing", ref)
		}
	}
	for _, want := range []string{`id="critical-figure"`, `class="cp-mark"`, `data-step="b"`, `class="cp-link"`, `class="edge critical"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// TestGatesAndDaemonFromResult: the steps' gate results and daemons in the
// Result reach the JSON and the page: a gate row per gate, the daemon in
// the step's row.
func TestGatesAndDaemonFromResult(t *testing.T) {
	p, res := chain(t)
	res.Steps[0].Daemon = "unix://buildkitd.sock"
	res.Steps[0].Gates = []builder.GateResult{
		{Name: "trivy image {{oci_dir}}", Source: "weld.policy.yml:3:5", Passed: true, Duration: builder.Duration(1500 * time.Millisecond)},
	}
	res.Steps[1].Gates = []builder.GateResult{{Name: "grype", Passed: false, Message: "gate grype refused image img-b (exit status 1): CVE-1"}}
	r := Build(p, res)
	want := []GateResult{
		{Step: "a", Gate: "trivy image {{oci_dir}}", Source: "weld.policy.yml:3:5", Passed: true, Seconds: 1.5},
		{Step: "b", Gate: "grype", Message: "gate grype refused image img-b (exit status 1): CVE-1"},
	}
	if diff := cmp.Diff(want, r.Gates); diff != "" {
		t.Errorf("Build().Gates (-want +got):\n%s", diff)
	}
	if r.Steps[0].Daemon != "unix://buildkitd.sock" || r.Steps[1].Daemon != "" {
		t.Errorf("daemons %q %q, want unix://buildkitd.sock and none", r.Steps[0].Daemon, r.Steps[1].Daemon)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, w := range []string{`<tr class="gate" data-step="a" data-passed="true">`, `<tr class="gate" data-step="b" data-passed="false">`,
		`<td class="mono daemon">unix://buildkitd.sock</td>`, "1.50 s", "CVE-1"} {
		if !strings.Contains(out, w) {
			t.Errorf("the page lacks %s", w)
		}
	}
}
