package dockerfile

import "strings"

// simpleName normalizes the common case without the reference package's
// regular expressions: a one-component name ("alpine", "my-app:1.2"), whose
// familiar form is itself. Anything else reports false.
func simpleName(name string) (string, bool) {
	repo, tag, hasTag := strings.Cut(name, ":")
	if len(repo) > 255 || !isComponent(repo) || (hasTag && !isTag(tag)) {
		return "", false
	}
	if tag == "latest" {
		return repo, true
	}
	return name, true
}

// isComponent matches [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*.
func isComponent(s string) bool {
	sep := ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if sep != "" && !validSep(sep) {
				return false
			}
			sep = ""
		case c == '.', c == '_', c == '-':
			if i == 0 {
				return false
			}
			sep += string(c)
		default:
			return false
		}
	}
	return s != "" && sep == ""
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func validSep(sep string) bool {
	return sep == "." || sep == "_" || sep == "__" || strings.Trim(sep, "-") == ""
}

// isTag matches [\w][\w.-]{0,127}.
func isTag(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlnum(c) || c >= 'A' && c <= 'Z' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
