package dag

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Regenerate the golden files with UPDATE_GOLDEN=1 go test ./dag -run TestRender.
var updateGolden = os.Getenv("UPDATE_GOLDEN") != ""

func TestRender(t *testing.T) {
	p := chainPlan(t)
	tests := []struct {
		name    string
		format  string
		select_ []string
	}{
		{"all", "text", nil}, {"all", "json", nil}, {"all", "dot", nil}, {"all", "mermaid", nil},
		{"run", "text", []string{"run"}},
	}
	for _, tc := range tests {
		golden := filepath.Join("testdata", fmt.Sprintf("plan-%s.%s.golden", tc.name, tc.format))
		t.Run(golden, func(t *testing.T) {
			steps, err := p.Select(tc.select_...)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := p.Render(&buf, tc.format, steps); err != nil {
				t.Fatalf("Render(%s) = %v", tc.format, err)
			}
			checkGolden(t, golden, tc.format, buf.String())
		})
	}
	var buf bytes.Buffer
	if err := p.Render(&buf, "yaml", nil); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("Render(yaml) = %v, want an unknown format error", err)
	}
}

// TestRenderJSONOrder checks that the JSON steps are a valid build order.
func TestRenderJSONOrder(t *testing.T) {
	p := diamond(t, spec...)
	var buf bytes.Buffer
	if err := p.Render(&buf, "json", nil); err != nil {
		t.Fatal(err)
	}
	var out PlanJSON
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("Render(json) is not JSON: %v", err)
	}
	seen := map[string]bool{}
	for _, s := range out.Steps {
		for _, d := range s.DependsOn {
			if !seen[d] {
				t.Errorf("step %s comes before its dependency %s", s.Label, d)
			}
		}
		seen[s.Label] = true
	}
}
