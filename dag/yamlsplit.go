package dag

import (
	"bytes"
	"errors"
	"runtime"
	"sync"

	"gopkg.in/yaml.v3"
)

// parseYAML is yaml.Unmarshal into a node. A large file's steps: mapping
// is parsed in pieces on several cores (yaml.v3's parser is most of the
// time Load takes): the steps are cut at the lines that start one, each
// piece is parsed as a document of its own, and the nodes are put back
// together with their lines moved to where they are in the file. That
// gives the tree a single parse gives, and the nodes keep their positions.
// Anything the cutting cannot vouch for (an error anywhere, anchors, a
// layout it does not know) is parsed again in one piece, so errors and
// odd files come out exactly as yaml.v3 reports them. The decoder does
// not read comments, which are the one thing that may be attached to
// other nodes than a single parse attaches them to.
func parseYAML(text []byte) (*yaml.Node, error) {
	if doc := parseSplit(text, runtime.GOMAXPROCS(0), splitMin); doc != nil {
		return doc, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, err
	}
	return &doc, nil
}

// splitMin is the smallest text parseYAML cuts into pieces.
var splitMin = 64 << 10

// stepsBody is where the value of a "steps:" key sits in the text.
type stepsBody struct {
	keyLine, keyIndent int   // the "steps:" line (1-based) and its indent
	indent             int   // the indent of the step labels
	start, end         int   // byte offsets of the lines the steps take
	startLine          int   // the line at start
	cuts               []int // byte offsets of the lines that start a step
	endIndent          int   // indent of the line at end (-1 at the end of the text)
}

// parseSplit parses text in up to n pieces, or returns nil.
func parseSplit(text []byte, n, min int) *yaml.Node {
	if n < 2 || len(text) < min {
		return nil
	}
	body, ok := findSteps(text)
	if !ok || len(body.cuts) < 2 {
		return nil
	}
	// Pick n-1 cuts that split the body into pieces of about equal size.
	pieces := []int{body.start}
	for _, c := range body.cuts[1:] {
		if want := body.start + len(pieces)*(body.end-body.start)/n; c >= want && len(pieces) < n {
			pieces = append(pieces, c)
		}
	}
	pieces = append(pieces, body.end)
	if len(pieces) < 3 {
		return nil
	}

	roots := make([]*yaml.Node, len(pieces)-1)
	var wg sync.WaitGroup
	firstLine := body.startLine
	for i := range roots {
		start, end := pieces[i], pieces[i+1]
		line := firstLine
		firstLine += bytes.Count(text[start:end], []byte("\n"))
		nextIndent := body.indent
		if i == len(roots)-1 {
			nextIndent = body.endIndent
		}
		wg.Go(func() { roots[i] = parsePiece(text[start:end], line, body.indent, nextIndent) })
	}
	// The rest of the file, with the steps' lines left blank, is parsed
	// meanwhile.
	skel := make([]byte, 0, body.start+(len(text)-body.end)+firstLine-body.startLine)
	skel = append(skel, text[:body.start]...)
	skel = append(skel, bytes.Repeat([]byte("\n"), firstLine-body.startLine)...)
	skel = append(skel, text[body.end:]...)
	doc, err := unmarshalNode(skel)
	wg.Wait()
	if err != nil {
		return nil
	}
	val := findValue(doc, "steps", body.keyLine, body.keyIndent+1)
	if val == nil || val.Kind != yaml.ScalarNode || val.Tag != "!!null" || val.Value != "" || val.Style != 0 {
		return nil
	}
	content := 0
	for _, r := range roots {
		if r == nil {
			return nil
		}
		content += len(r.Content)
	}
	steps := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: roots[0].Line, Column: roots[0].Column,
		Content: make([]*yaml.Node, 0, content)}
	for _, r := range roots {
		steps.Content = append(steps.Content, r.Content...)
	}
	*val = *steps
	return doc
}

// unmarshalNode is yaml.Unmarshal into a node, turning a panic (yaml.v3
// has had some on odd input) into an error: a piece is then parsed again
// with the whole text, as it would have been without cutting.
func unmarshalNode(text []byte) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, errPanic
		}
	}()
	doc = new(yaml.Node)
	if err := yaml.Unmarshal(text, doc); err != nil {
		return nil, err
	}
	return doc, nil
}

var errPanic = errors.New("yaml.v3 panicked")

// parsePiece parses the lines of some steps, which start at line, as a
// mapping at indent; nextIndent is the indent of the line after them (-1
// at the end of the text). It returns nil unless it is sure the nodes are
// those a parse of the whole text makes.
func parsePiece(text []byte, line, indent, nextIndent int) *yaml.Node {
	doc, err := unmarshalNode(text)
	if err != nil {
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || root.Tag != "!!map" || root.Style != 0 || root.Anchor != "" ||
		root.Line != 1 || root.Column != indent+1 {
		return nil
	}
	lines := bytes.Count(text, []byte("\n"))
	ok := true
	var move func(n *yaml.Node)
	move = func(n *yaml.Node) {
		if n.Anchor != "" || n.Kind == yaml.AliasNode {
			ok = false // an alias may name an anchor in another piece
			return
		}
		if n.Line > lines && nextIndent >= 0 {
			// An empty value at the end of the piece is placed where the
			// next token is, which in the whole text is the next line's
			// first character.
			n.Column = nextIndent + 1
		}
		n.Line += line - 1
		for _, c := range n.Content {
			move(c)
		}
	}
	move(root)
	if !ok {
		return nil
	}
	return root
}

// findValue returns the value of the mapping key key written at line:col.
func findValue(n *yaml.Node, key string, line, col int) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.Value == key && k.Line == line && k.Column == col && k.Style == 0 {
				return n.Content[i+1]
			}
		}
	}
	for _, c := range n.Content {
		if v := findValue(c, key, line, col); v != nil {
			return v
		}
	}
	return nil
}

// findSteps finds the first "steps:" line and the lines of its block
// mapping value. It gives up on anything but plain layouts: labels that
// are plain words at one indent, every line between them indented more,
// no tabs in indentation.
func findSteps(text []byte) (stepsBody, bool) {
	var b stepsBody
	pos, lineNo := 0, 1
	next := func() (line []byte, start int) { // the next line, without its break
		start = pos
		end := bytes.IndexByte(text[pos:], '\n')
		if end < 0 {
			pos = len(text)
			return text[start:], start
		}
		pos += end + 1
		return text[start : pos-1], start
	}
	// The key line.
	for {
		i := bytes.Index(text[pos:], []byte("steps:"))
		if i < 0 {
			return b, false
		}
		ls := bytes.LastIndexByte(text[:pos+i], '\n') + 1
		lineNo += bytes.Count(text[pos:ls], []byte("\n"))
		pos = ls
		line, _ := next()
		ind := indentOf(line)
		if ind < 0 {
			lineNo++
			continue
		}
		if rest := bytes.TrimRight(line[ind:], " "); bytes.Equal(rest, []byte("steps:")) ||
			bytes.HasPrefix(rest, []byte("steps: #")) {
			b.keyLine, b.keyIndent = lineNo, ind
			lineNo++
			break
		}
		lineNo++
	}
	// The steps' lines.
	b.indent, b.endIndent = -1, -1
	for pos < len(text) {
		line, start := next()
		ind := indentOf(line)
		if ind < 0 {
			return b, false // a tab in the indentation
		}
		if ind == len(line) || line[ind] == '#' || (ind == len(line)-1 && line[ind] == '\r') {
			lineNo++
			continue // blank or comment
		}
		if b.indent < 0 {
			if ind <= b.keyIndent {
				return b, false // no steps here
			}
			b.indent, b.start, b.startLine = ind, start, lineNo
		}
		switch {
		case ind <= b.keyIndent:
			b.end, b.endIndent = start, ind
			return b, true
		case ind < b.indent:
			return b, false
		case ind == b.indent:
			if !isLabelStart(line[ind]) {
				return b, false
			}
			b.cuts = append(b.cuts, start)
		}
		lineNo++
	}
	if b.indent < 0 {
		return b, false
	}
	b.end = len(text)
	return b, true
}

// indentOf counts the spaces a line starts with; -1 when a tab follows.
func indentOf(line []byte) int {
	i := 0
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i < len(line) && line[i] == '\t' {
		return -1
	}
	return i
}

func isLabelStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
