package dag

import (
	"github.com/weld-build/weld/internal/yamlx"
)

// suggest returns the candidate closest to word, or "" when none is close
// enough to be a likely typo.
func suggest(word string, candidates []string) string { return yamlx.Suggest(word, candidates) }

// didYouMean formats suggest's answer as a hint to append to a message.
func didYouMean(word string, candidates []string) string { return yamlx.DidYouMean(word, candidates) }

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int { return yamlx.EditDistance(a, b) }
