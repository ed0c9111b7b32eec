package dag

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestRenderContextSizes: text and json show the sizes the caller measured
// (fixed here, so the golden files are the same on every machine); a step
// without a figure shows none. UPDATE_GOLDEN=1 rewrites the golden files.
func TestRenderContextSizes(t *testing.T) {
	p := chainPlan(t)
	sizes := map[string]ContextSize{
		"base":  {Files: 1, Bytes: 12},
		"build": {Files: 3, Bytes: 4096},
		"run":   {Files: 1_000_000, Bytes: 9_900_000_000, More: true},
		"test":  {},
	}
	for _, format := range []string{"text", "json"} {
		golden := filepath.Join("testdata", "plan-sizes."+format+".golden")
		t.Run(golden, func(t *testing.T) {
			var buf bytes.Buffer
			if err := p.Render(&buf, format, nil, WithContextSizes(sizes)); err != nil {
				t.Fatalf("Render(%s) = %v", format, err)
			}
			checkGolden(t, golden, format, buf.String())
		})
	}
}

func TestContextSizeString(t *testing.T) {
	tests := []struct {
		size ContextSize
		want string
	}{
		{ContextSize{}, "0 files, 0 B"},
		{ContextSize{Files: 1, Bytes: 999}, "1 file, 999 B"},
		{ContextSize{Files: 2, Bytes: 1000}, "2 files, 1.0 kB"},
		{ContextSize{Files: 4, Bytes: 4123}, "4 files, 4.1 kB"},
		{ContextSize{Files: 7, Bytes: 999_999}, "7 files, 1.0 MB"},
		{ContextSize{Files: 9, Bytes: 9_900_000}, "9 files, 9.9 MB"},
		{ContextSize{Files: 1_000_000, Bytes: 3e12, More: true}, ">1000000 files, >3.0 TB"},
	}
	for _, tc := range tests {
		if got := tc.size.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.size, got, tc.want)
		}
	}
}
