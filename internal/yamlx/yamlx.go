// Package yamlx holds what weld's two YAML readers (dag's build.yml and
// policy's weld.policy.yml) share: describing nodes in messages, placing
// yaml.v3's syntax errors, and "did you mean" hints.
package yamlx

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// IsNull reports whether n is absent or an explicit null.
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// KindName describes a node's type for messages: "a map", "a list", "the
// string \"x\"".
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!bool":
			return "a bool"
		case "!!int", "!!float":
			return "a number"
		}
		return fmt.Sprintf("the string %q", n.Value)
	}
	return "a document"
}

// yamlLine finds the line in a yaml.v3 syntax error message.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of libyaml's parser (not scanner)
// errors, whose line yaml.v3 reports one too low.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'": true, "did not find expected ',' or '}'": true,
	"did not find expected '-' indicator": true, "did not find expected <document start>": true,
	"did not find expected <stream-start>": true, "did not find expected key": true,
	"did not find expected node content": true, "found duplicate %TAG directive": true,
	"found duplicate %YAML directive": true, "found incompatible YAML document": true,
	"found undefined tag handle": true,
}

// SyntaxPos places a yaml.v3 syntax error in data: its 1-based line (fixed
// for the parser errors yaml.v3 reports 0-based), the line's first non-blank
// column, and the message without yaml.v3's prefix.
func SyntaxPos(data []byte, err error) (line, col int, msg string) {
	msg, line = err.Error(), 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if parserProblems[msg] {
			line++
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	line = max(1, min(line, bytes.Count(data, []byte("\n"))+1))
	return line, firstCol(data, line), msg
}

// firstCol is the 1-based column of the first rune of a line that is not a
// space (a tab counts: YAML forbids it in indentation).
func firstCol(data []byte, line int) int {
	lines := strings.SplitN(string(data), "\n", line+1)
	if line < 1 || line > len(lines) {
		return 1
	}
	l := lines[line-1]
	return len([]rune(l)) - len([]rune(strings.TrimLeft(l, " "))) + 1
}

// Suggest returns the candidate closest to word, or "" when none is close
// enough to be a likely typo.
func Suggest(word string, candidates []string) string {
	best, bestDist := "", -1
	limit := max(2, len(word)/3)
	for _, c := range candidates {
		d := EditDistance(strings.ToLower(word), strings.ToLower(c))
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean formats Suggest's answer (or the few candidates that contain
// word) as a hint to append to a message: "; did you mean \"x\"?".
func DidYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" {
		return "; did you mean " + strconv.Quote(s) + "?"
	}
	var near []string
	for _, c := range candidates {
		if word != "" && strings.Contains(strings.ToLower(c), strings.ToLower(word)) {
			near = append(near, c)
		}
	}
	if len(near) > 0 && len(near) <= 5 {
		return "; did you mean one of " + strings.Join(near, ", ") + "?"
	}
	return ""
}

// EditDistance is the Levenshtein distance between a and b, in runes.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
