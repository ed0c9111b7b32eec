package report

import (
	"fmt"
	"math"
	"time"
)

// The Gantt chart's sizes, in SVG user units.
const (
	labelWidth = 200.0 // the step labels' column
	plotWidth  = 760.0 // the time axis
	rowHeight  = 24.0
	barHeight  = 14.0
	axisHeight = 28.0 // the ticks' band above the rows
	minBar     = 1.0  // the narrowest bar drawn, so a short phase shows
	maxLabel   = 28   // runes of a label shown (the full one in a tooltip)
)

// gantt is the chart's geometry: one row per step, its phases as bars on
// one time axis, the critical path's marks and the links between them.
type gantt struct {
	Width, Height float64
	RowHeight     float64
	Ticks         []tick
	Rows          []ganttRow
	Links         []line
}

// ganttRow is one step's row.
type ganttRow struct {
	Y         float64 // top of the row
	Label     string  // the label, shortened
	FullLabel string
	Status    string
	Critical  bool
	Bars      []bar
	Mark      *rect // the step's own build, on the critical path
}

type bar struct {
	rect
	Phase string
	Title string
}

type rect struct{ X, Y, W, H float64 }

type tick struct {
	X     float64
	Label string
}

type line struct{ X1, Y1, X2, Y2 float64 }

// timeScale maps the build's time onto the plot.
type timeScale struct {
	t0    time.Time
	secs  float64
	x0, w float64
}

func newScale(r *Report) timeScale {
	return timeScale{t0: r.Start, secs: r.WallSeconds, x0: labelWidth, w: plotWidth}
}

// x is t's position, clamped to the plot.
func (s timeScale) x(t time.Time) float64 {
	if s.secs <= 0 {
		return s.x0
	}
	f := t.Sub(s.t0).Seconds() / s.secs
	return s.x0 + s.w*math.Min(1, math.Max(0, f))
}

// span is sp's position and width, at least minBar wide and inside the
// plot.
func (s timeScale) span(sp Span) (x, w float64) {
	x = s.x(sp.Start)
	w = math.Max(s.x(sp.End)-x, minBar)
	if x+w > s.x0+s.w {
		x = s.x0 + s.w - w
	}
	return x, w
}

// newGantt lays the report out as a Gantt chart.
func newGantt(r *Report) gantt {
	sc := newScale(r)
	g := gantt{Width: labelWidth + plotWidth + 10, RowHeight: rowHeight, Height: axisHeight + rowHeight*float64(len(r.Steps)) + 4}
	g.Ticks = ticks(sc)
	var prev *rect // the last critical mark
	for i, s := range r.Steps {
		row := ganttRow{Y: axisHeight + rowHeight*float64(i), Label: shorten(s.Label, maxLabel), FullLabel: s.Label, Status: s.Status, Critical: s.Critical}
		by := row.Y + (rowHeight-barHeight)/2
		for _, ph := range s.Phases {
			x, w := sc.span(ph.Span)
			row.Bars = append(row.Bars, bar{rect: rect{X: x, Y: by, W: w, H: barHeight}, Phase: ph.Name,
				Title: fmt.Sprintf("%s: %s %.2fs", s.Label, ph.Name, ph.Seconds())})
		}
		if s.Critical && s.Own != nil {
			x, w := sc.span(*s.Own)
			row.Mark = &rect{X: x, Y: by - 3, W: w, H: barHeight + 6}
			if prev != nil {
				g.Links = append(g.Links, line{X1: prev.X + prev.W, Y1: prev.Y + prev.H, X2: x, Y2: row.Mark.Y})
			}
			prev = row.Mark
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}

// ticks are the time axis's marks, at a round step (1, 2 or 5 × 10^k
// seconds) giving about 8 of them.
func ticks(sc timeScale) []tick {
	if sc.secs <= 0 {
		return []tick{{X: sc.x0, Label: "0s"}}
	}
	step := niceStep(sc.secs / 8)
	if !(step > 0) || math.IsInf(step, 0) || !(sc.secs/step <= 20) { // a wall time no build has (a hand-made JSON)
		return []tick{{X: sc.x0, Label: "0s"}}
	}
	var out []tick
	for k := 0; float64(k)*step <= sc.secs*(1+1e-9); k++ {
		t := float64(k) * step
		out = append(out, tick{X: sc.x0 + sc.w*t/sc.secs, Label: fmt.Sprintf("%gs", roundTo(t, step))})
	}
	return out
}

// niceStep is the least of 1, 2 or 5 × 10^k at or above d.
func niceStep(d float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(d)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= d*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// roundTo drops the float noise of t, a multiple of step.
func roundTo(t, step float64) float64 {
	digits := math.Max(0, -math.Floor(math.Log10(step)))
	p := math.Pow(10, digits)
	return math.Round(t*p) / p
}

// shorten cuts s to n runes, ending in "…".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
