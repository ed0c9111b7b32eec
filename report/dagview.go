package report

import (
	"fmt"
	"strings"
)

// The DAG drawing's sizes, in SVG user units.
const (
	nodeWidth  = 170.0
	nodeHeight = 40.0
	gapX       = 60.0
	gapY       = 16.0
	margin     = 10.0
	maxNode    = 22 // runes of a label shown in a node
)

// dagView is the DAG's geometry: steps in columns by depth (a step stands
// right of everything it needs), edges as curves from a dependency to its
// dependent.
type dagView struct {
	Width, Height float64
	Nodes         []dagNode
	Edges         []dagEdge
}

type dagNode struct {
	rect
	Label, FullLabel, Image, Status string
	Critical                        bool
}

type dagEdge struct {
	Path     string // SVG path data
	Title    string
	Critical bool
}

// newDAG lays out the report's steps and edges.
func newDAG(r *Report) dagView {
	depth := map[string]int{}
	rows := map[int]int{}
	at := map[string]rect{}
	var v dagView
	for _, s := range r.Steps { // build order: dependencies first
		d := 0
		for _, dep := range s.DependsOn {
			if dd, ok := depth[dep]; ok && dd+1 > d {
				d = dd + 1
			}
		}
		depth[s.Label] = d
		rc := rect{X: margin + float64(d)*(nodeWidth+gapX), Y: margin + float64(rows[d])*(nodeHeight+gapY), W: nodeWidth, H: nodeHeight}
		rows[d]++
		at[s.Label] = rc
		v.Nodes = append(v.Nodes, dagNode{rect: rc, Label: shorten(s.Label, maxNode), FullLabel: s.Label, Image: shorten(s.Image, maxNode), Status: s.Status, Critical: s.Critical})
		v.Width = max(v.Width, rc.X+rc.W+margin)
		v.Height = max(v.Height, rc.Y+rc.H+margin)
	}
	next := map[string]string{}
	for i := 1; i < len(r.CriticalPath); i++ {
		next[r.CriticalPath[i-1]] = r.CriticalPath[i]
	}
	for _, e := range r.Edges {
		a, okA := at[e.From]
		b, okB := at[e.To]
		if !okA || !okB {
			continue
		}
		v.Edges = append(v.Edges, dagEdge{Path: curve(a, b), Title: edgeTitle(e), Critical: next[e.From] == e.To})
	}
	return v
}

// curve is a cubic Bézier from a's right side to b's left side.
func curve(a, b rect) string {
	x1, y1 := a.X+a.W, a.Y+a.H/2
	x2, y2 := b.X, b.Y+b.H/2
	mid := (x1 + x2) / 2
	return fmt.Sprintf("M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f", x1, y1, mid, y1, mid, y2, x2, y2)
}

// edgeTitle says what the edge carries.
func edgeTitle(e Edge) string {
	t := e.From + " → " + e.To
	var what []string
	if e.Image {
		what = append(what, "FROM")
	}
	what = append(what, e.Artifacts...)
	if len(what) > 0 {
		t += ": " + strings.Join(what, ", ")
	}
	return t
}
