package policy

import (
	"net/url"
	"strings"
	"unicode"
)

// Shapes of secret names and values beyond secretWords and secretValue:
// names written in camelCase or joined (npmToken, GITHUBTOKEN), URLs that
// carry a password (https://user:TOKEN@host, as in PIP_INDEX_URL), and AWS
// secret access keys (40 characters of base64 with / and +).

// strongSecretWords end a joined name that names a secret (DBPASSWORD);
// the weaker words (KEY, PASS, AUTH) would match MONKEY or BYPASS.
var strongSecretWords = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "APIKEY", "PRIVATEKEY", "CREDENTIAL", "CREDENTIALS"}

// looksSecretNameShape reports whether name, in camelCase or joined,
// names a secret.
func looksSecretNameShape(name string) bool {
	for _, w := range camelWords(name) {
		if secretWords[strings.ToUpper(w)] {
			return true
		}
	}
	for _, w := range strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		for _, s := range strongSecretWords {
			if strings.HasSuffix(w, s) {
				return true
			}
		}
	}
	return false
}

// camelWords splits name before each upper-case letter that follows a
// lower-case letter or a digit: npmAuthToken → npm, Auth, Token.
func camelWords(name string) []string {
	var out []string
	start := 0
	rs := []rune(name)
	for i := 1; i < len(rs); i++ {
		if unicode.IsUpper(rs[i]) && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])) {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}

// looksSecretValueShape reports whether v is a URL with a password or an
// AWS secret access key.
func looksSecretValueShape(v string) bool {
	if u, err := url.Parse(v); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			return true
		}
	}
	if len(v) != 40 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+") != "" {
		return false
	}
	var upper, lower, digit bool
	for _, r := range v {
		upper = upper || unicode.IsUpper(r)
		lower = lower || unicode.IsLower(r)
		digit = digit || unicode.IsDigit(r)
	}
	return upper && lower && digit && entropy(v) >= 4.4
}
