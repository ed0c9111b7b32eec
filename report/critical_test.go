package report

import (
	"slices"
	"testing"
)

func TestCriticalPath(t *testing.T) {
	tests := []struct {
		name     string
		cEnd     float64 // when c's build ends
		wantPath []string
		wantSecs float64
	}{
		// a's own 0-2 s, b's own from a's end 2 s to 5 s: 5 s against c's 4.
		{"the chain", 4, []string{"a", "b"}, 5},
		{"the long single step", 5.5, []string{"c"}, 5.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, res := chain(t)
			c := res.Steps[2].Phases
			c[1].End, c[2].Start, c[2].End, c[3].Start = at(tc.cEnd-0.2), at(tc.cEnd-0.2), at(tc.cEnd), at(tc.cEnd)
			r := Build(p, res)
			if !slices.Equal(r.CriticalPath, tc.wantPath) || !near(r.CriticalSeconds, tc.wantSecs) {
				t.Errorf("critical path %v %.2f s, want %v %.2f s", r.CriticalPath, r.CriticalSeconds, tc.wantPath, tc.wantSecs)
			}
			if !near(r.WallSeconds, 6) {
				t.Errorf("wall time %.2f s, want 6", r.WallSeconds)
			}
			for _, s := range r.Steps {
				if s.Critical != slices.Contains(tc.wantPath, s.Label) {
					t.Errorf("step %s: Critical = %v", s.Label, s.Critical)
				}
			}
		})
	}
}

func TestOwnSpans(t *testing.T) {
	p, res := chain(t)
	r := Build(p, res)
	want := map[string][2]float64{"a": {0, 2}, "b": {2, 5}, "c": {0, 4}}
	for _, s := range r.Steps {
		w := want[s.Label]
		if s.Own == nil || !s.Own.Start.Equal(at(w[0])) || !s.Own.End.Equal(at(w[1])) {
			t.Errorf("step %s: own = %v, want %v s..%v s", s.Label, s.Own, w[0], w[1])
		}
	}
	if !near(r.PublishSeconds, 1) {
		t.Errorf("publish %.2f s, want 1 (5-6 s)", r.PublishSeconds)
	}
}

func TestCriticalMarks(t *testing.T) {
	p, res := chain(t)
	g := newGantt(Build(p, res))
	var marked []string
	for _, row := range g.Rows {
		if row.Mark != nil {
			marked = append(marked, row.FullLabel)
		}
	}
	if !slices.Equal(marked, []string{"a", "b"}) {
		t.Fatalf("marked rows %v, want [a b]", marked)
	}
	a, b := g.Rows[0].Mark, g.Rows[1].Mark
	// 6 s wall: a's own 0-2 s, b's 2-5 s.
	if !near(a.X, labelWidth) || !near(a.W, plotWidth/3) || !near(b.X, labelWidth+plotWidth/3) || !near(b.W, plotWidth/2) {
		t.Errorf("marks a x %.1f w %.1f, b x %.1f w %.1f; want a at its 0-2 s, b at its 2-5 s", a.X, a.W, b.X, b.W)
	}
	if len(g.Links) != 1 || !near(g.Links[0].X1, a.X+a.W) || !near(g.Links[0].X2, b.X) || !near(g.Links[0].Y1, a.Y+a.H) || !near(g.Links[0].Y2, b.Y) {
		t.Errorf("links = %+v, want one from a's mark's end to b's mark's start", g.Links)
	}
	v := newDAG(Build(p, res))
	if len(v.Edges) != 1 || !v.Edges[0].Critical {
		t.Errorf("DAG edges = %+v, want a → b drawn critical", v.Edges)
	}
}
