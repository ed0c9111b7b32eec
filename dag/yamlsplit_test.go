package dag

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// sameNodes reports the first difference between two node trees, ignoring
// comments (the decoder does not read them).
func sameNodes(a, b *yaml.Node, path string) error {
	switch {
	case a == nil || b == nil:
		if a != b {
			return fmt.Errorf("%s: one node is nil", path)
		}
		return nil
	case a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor:
		return fmt.Errorf("%s: %v/%v/%q/%q/%q != %v/%v/%q/%q/%q", path, a.Kind, a.Style, a.Tag, a.Value, a.Anchor, b.Kind, b.Style, b.Tag, b.Value, b.Anchor)
	case a.Line != b.Line || a.Column != b.Column:
		return fmt.Errorf("%s (%q): at %d:%d, want %d:%d", path, a.Value, a.Line, a.Column, b.Line, b.Column)
	case len(a.Content) != len(b.Content):
		return fmt.Errorf("%s: %d children, want %d", path, len(a.Content), len(b.Content))
	case (a.Alias == nil) != (b.Alias == nil):
		return fmt.Errorf("%s: alias differs", path)
	case a.Alias != nil && (a.Alias.Line != b.Alias.Line || a.Alias.Column != b.Alias.Column):
		return fmt.Errorf("%s: alias to %d:%d, want %d:%d", path, a.Alias.Line, a.Alias.Column, b.Alias.Line, b.Alias.Column)
	}
	for i := range a.Content {
		if err := sameNodes(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// checkSplit parses text cut into n pieces and whole, and compares. It
// reports whether the text was cut.
func checkSplit(t *testing.T, text []byte, n int) bool {
	t.Helper()
	split := parseSplit(text, n, 0)
	if split == nil {
		return false
	}
	var whole yaml.Node
	if err := yaml.Unmarshal(text, &whole); err != nil {
		t.Fatalf("cut parse succeeded, whole parse failed: %v\n%s", err, text)
	}
	if err := sameNodes(split, &whole, ""); err != nil {
		t.Fatalf("%d pieces: %v\n%s", n, err, text)
	}
	return true
}

func TestParseSplitGenerated(t *testing.T) {
	for _, steps := range []int{10, 100, 1000} {
		data, err := os.ReadFile(genBuild(t, steps))
		if err != nil {
			t.Fatal(err)
		}
		text, _, _ := substituteEnv("build.yml", data, func(string) (string, bool) { return "1.0", true })
		for _, n := range []int{2, 3, 8} {
			if !checkSplit(t, text, n) {
				t.Errorf("%d steps in %d pieces: not cut", steps, n)
			}
		}
	}
}

func TestParseSplitLayouts(t *testing.T) {
	const head = "build:\n  version: 2016-03-14\n  steps:\n"
	step := func(i int) string { return fmt.Sprintf("    s%d:\n      name: img-%d\n", i, i) }
	var many strings.Builder
	for i := range 8 {
		many.WriteString(step(i))
	}
	cases := map[string]struct {
		text string
		cut  bool // must be cut (else it may or may not be)
	}{
		"plain":                 {head + many.String(), true},
		"no final break":        {head + many.String() + "    last:\n      name: x", true},
		"empty value, next":     {head + "    a:\n      name:\n    b:\n      name:\n    c:\n      no_cache:\n", true},
		"empty value, eof":      {head + many.String() + "    z:\n      name:", true},
		"empty value, tail":     {head + many.String() + "    z:\n      name:\n  work_dir: .\n", true},
		"empty value, comment":  {head + "    a:\n      name:\n# c\n\n      # d\n    b:\n      name:\n    c:\n      x:\n  # e\nother: 1\n", true},
		"empty list item":       {head + "    a:\n      depends_on:\n        -\n    b:\n      depends_on:\n      -\n    c: {}\n", true},
		"empty step":            {head + "    a:\n    b:\n    c:\n", true},
		"tail at column 0":      {head + many.String() + "other:\n  x: 1\n", true},
		"steps comment":         {"build:\n  version: 2016-03-14\n  steps: # the steps\n" + many.String(), true},
		"blank before steps":    {"build:\n  steps:\n\n\n" + many.String() + "  version: 1\n", true},
		"block scalar":          {head + "    a:\n      command: |\n        one\n\n        two\n    b:\n      command: >-\n        x\n    c:\n      command: |2\n          y\n", true},
		"flow across a cut":     {head + "    a: {name: x,\n    b: y}\n    c:\n      name: z\n    d:\n      name: w\n", false},
		"quote across a cut":    {head + "    a:\n      name: \"x\n    b: y\"\n    c:\n      name: z\n", false},
		"single quote":          {head + "    a:\n      name: 'x\n    b: y'\n    c:\n      name: z\n", false},
		"anchor and alias":      {head + "    a: &x\n      name: x\n    b: *x\n    c:\n      name: z\n", false},
		"alias to the head":     {"x: &x {name: a}\n" + head + "    a: *x\n    b: *x\n    c:\n      name: z\n", false},
		"anchor used in tail":   {head + "    a:\n      name: &n x\n    b:\n      name: y\n  other: *n\n", false},
		"redefined anchor":      {"x: &n 1\n" + head + "    a:\n      name: &n x\n    b:\n      name: y\nz: *n\n", false},
		"odd indent":            {head + "    a:\n      name: x\n   b:\n      name: y\n    c:\n      name: z\n", false},
		"sequence steps":        {head + "    - a\n    - b\n    - c\n", false},
		"tab":                   {head + "    a:\n\tname: x\n    b:\n      name: y\n    c: 1\n", false},
		"syntax error":          {head + "    a:\n      name: [x\n    b:\n      name: y\n    c:\n      name: z\n", false},
		"document end":          {head + many.String() + "...\n", true},
		"second document":       {head + many.String() + "---\nbuild: {}\n", false},
		"steps in a scalar":     {"a: |\n  steps:\n    x: 1\n    y: 2\n    z: 3\n" + head + many.String(), false},
		"nested steps":          {"x:\n  steps:\n    a: 1\n    b: 2\n    c: 3\n" + head + many.String(), true},
		"question key":          {head + "    ? a\n    : 1\n    b:\n      x: 1\n    c: 2\n", false},
		"label with colon text": {head + "    a: b: c\n    d: 1\n    e: 2\n", false},
		"tag":                   {head + "    a: !!str 1\n    b: !custom x\n    c: !!map {}\n", true},
		"directive":             {"%TAG !e! tag:example.com,2000:\n---\n" + head + "    a: !e!x 1\n    b: 1\n    c: 2\n", false},
		"multi-line plain":      {head + "    a:\n      name: one\n        two\n    b:\n      name: three\n    c: 4\n", true},
		"duplicate labels":      {head + "    a: 1\n    a: 2\n    a: 3\n", true},
		"crlf-free comments":    {head + "    a: 1 # c\n    # c\n    b: 2\n#c\n    c: 3\n", true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cut := false
			for n := 2; n <= 6; n++ {
				cut = checkSplit(t, []byte(c.text), n) || cut
			}
			if c.cut && !cut {
				t.Errorf("not cut")
			}
		})
	}
}

// FuzzParseSplit checks that cutting never changes the tree.
func FuzzParseSplit(f *testing.F) {
	f.Add([]byte("build:\n  steps:\n    a:\n      name:\n    b:\n      x: [1]\n    c: 3\n"), uint8(2))
	f.Add([]byte("build:\n  steps:\n    a: |\n      x\n    b: 'y'\n    c: \"z\"\n  version: 1\n"), uint8(3))
	f.Fuzz(func(t *testing.T, text []byte, n uint8) {
		checkSplit(t, text, int(n%8)+2)
	})
}
