package report

import (
	"math"
	"slices"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestGanttPhaseGeometry(t *testing.T) {
	// A 10 s build: x = labelWidth + 76 units per second.
	r := &Report{Start: at(0), End: at(10), WallSeconds: 10}
	sc := newScale(r)
	tests := []struct {
		name       string
		start, end float64
		x, w       float64
	}{
		{"first second", 0, 1, labelWidth, 76},
		{"middle", 2, 5, labelWidth + 152, 228},
		{"whole build", 0, 10, labelWidth, plotWidth},
		{"too short to see", 3, 3.001, labelWidth + 228, minBar},
		{"short at the end stays inside", 10, 10, labelWidth + plotWidth - minBar, minBar},
		{"before the start is clamped", -5, 1, labelWidth, 76},
		{"end before start", 4, 2, labelWidth + 304, minBar},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, w := sc.span(Span{Start: at(tc.start), End: at(tc.end)})
			if !near(x, tc.x) || !near(w, tc.w) {
				t.Errorf("span(%v..%v s) = x %.3f w %.3f, want x %.3f w %.3f", tc.start, tc.end, x, w, tc.x, tc.w)
			}
		})
	}
}

func TestGanttRows(t *testing.T) {
	p, res := chain(t)
	g := newGantt(Build(p, res))
	if len(g.Rows) != 3 {
		t.Fatalf("%d rows, want one per step (3)", len(g.Rows))
	}
	b := g.Rows[1]
	if b.FullLabel != "b" || !near(b.Y, axisHeight+rowHeight) || len(b.Bars) != 5 {
		t.Fatalf("row 1 = %q at y %.1f with %d bars, want b at %.1f with 5", b.FullLabel, b.Y, len(b.Bars), axisHeight+rowHeight)
	}
	// 6 s wall: solve 1-4.5 s.
	solve := b.Bars[1]
	if solve.Phase != "solve" || !near(solve.X, labelWidth+plotWidth/6) || !near(solve.W, plotWidth*3.5/6) {
		t.Errorf("b's solve bar = %s x %.2f w %.2f, want solve x %.2f w %.2f", solve.Phase, solve.X, solve.W, labelWidth+plotWidth/6, plotWidth*3.5/6)
	}
	if !near(solve.Y, b.Y+(rowHeight-barHeight)/2) || solve.H != barHeight {
		t.Errorf("b's solve bar at y %.1f h %.1f, want centred in its row", solve.Y, solve.H)
	}
}

func TestTicks(t *testing.T) {
	tests := []struct {
		secs float64
		want []string
	}{
		{6, []string{"0s", "1s", "2s", "3s", "4s", "5s", "6s"}},
		{0.5, []string{"0s", "0.1s", "0.2s", "0.3s", "0.4s", "0.5s"}},
		{95, []string{"0s", "20s", "40s", "60s", "80s"}},
		{0, []string{"0s"}},
		{5e-324, []string{"0s"}}, // from a hand-made JSON: no endless axis
		{math.Inf(1), []string{"0s"}},
	}
	for _, tc := range tests {
		sc := timeScale{t0: t0, secs: tc.secs, x0: labelWidth, w: plotWidth}
		var got []string
		for _, tk := range ticks(sc) {
			got = append(got, tk.Label)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ticks(%v s) = %v, want %v", tc.secs, got, tc.want)
		}
	}
}
