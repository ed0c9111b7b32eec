package report

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzRenderJSON: whatever JSON weld report is handed, Read refuses it or
// WriteHTML renders it, without a panic or an endless loop, and markup in
// it never reaches the page.
func FuzzRenderJSON(f *testing.F) {
	p, res := chain(f)
	var buf bytes.Buffer
	if err := Build(p, res).WriteJSON(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	f.Add(`{"version":1,"wall_seconds":5e-324,"steps":[{"label":"<script>","phases":[{"name":"x","start":"9999-12-31T23:59:59Z","end":"0001-01-01T00:00:00Z"}]}]}`)
	f.Add(`{"version":1,"wall_seconds":1e308,"critical_path":["a","a"],"edges":[{"from":"a","to":"a"}],"steps":[{"label":"a","depends_on":["a"]}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		r, err := Read(strings.NewReader(in))
		if err != nil {
			return
		}
		var page bytes.Buffer
		if err := r.WriteHTML(&page); err != nil && err != io.ErrShortWrite {
			t.Fatalf("WriteHTML: %v", err)
		}
		if strings.Contains(page.String(), "<script") {
			t.Fatal("the page holds a script element")
		}
	})
}
