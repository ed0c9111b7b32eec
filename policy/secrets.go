package policy

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// secretWords are the words of a variable name (split at _, - and .) that
// make it name a secret.
var secretWords = map[string]bool{
	"TOKEN": true, "SECRET": true, "PASSWORD": true, "PASSWD": true, "PASS": true,
	"KEY": true, "APIKEY": true, "PRIVATEKEY": true, "CREDENTIAL": true, "CREDENTIALS": true,
	"AUTH": true,
}

// publicNames are secret-sounding names that hold no secret.
var publicNames = map[string]bool{"PUBLIC_KEY": true, "KEY_ID": true, "GPG_KEY": true, "KEYRING": true}

// secretValue matches values with the shape of a well-known credential.
var secretValue = regexp.MustCompile(`` +
	`^(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20}|` +
	`(AKIA|ASIA)[0-9A-Z]{16}|xox[abposr]-[A-Za-z0-9-]{10,}|sk_(live|test)_[A-Za-z0-9]{16,}|` +
	`AIza[0-9A-Za-z_-]{35}|npm_[A-Za-z0-9]{36}|` +
	`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})$|-----BEGIN [A-Z ]*PRIVATE KEY-----`)

// secretFindings checks one ARG or ENV variable. The message names the
// variable and the kind of value, never the value.
func secretFindings(src *source, line int, kind, name, value string) Findings {
	f := func(format string, args ...any) Findings {
		return Findings{{Rule: RuleSecretInArgEnv, Severity: SeverityWarning, Step: src.step.Label, Pos: src.pos(line), Message: fmt.Sprintf(format, args...)}}
	}
	switch {
	case looksSecretName(name):
		return f("%s %s is named like a secret: build args and ENV are kept in the image's config and history; mount it with RUN --mount=type=secret,id=%s and secrets: in build.yml", kind, name, strings.ToLower(name))
	case looksSecretValue(value):
		return f("%s %s holds a value that looks like a credential: it is kept in the image's config and history; mount it with RUN --mount=type=secret instead", kind, name)
	}
	return nil
}

func looksSecretName(name string) bool {
	up := strings.ToUpper(name)
	if publicNames[up] {
		return false
	}
	for _, w := range strings.FieldsFunc(up, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if secretWords[w] {
			return true
		}
	}
	return looksSecretNameShape(name) // secretshape.go
}

// looksSecretValue matches well-known credential shapes, and long random
// strings: 32 characters or more of base64 or hex, mixing letters and
// digits, with high entropy.
func looksSecretValue(v string) bool {
	v = strings.TrimSpace(v)
	if secretValue.MatchString(v) || looksSecretValueShape(v) { // secretshape.go
		return true
	}
	if len(v) < 32 || strings.ContainsAny(v, " /:$") {
		return false
	}
	letters, digits := false, false
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits = true
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letters = true
		case r == '+' || r == '=' || r == '_' || r == '-':
		default:
			return false
		}
	}
	return letters && digits && entropy(v) >= 3.5
}

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	counts := map[rune]float64{}
	for _, r := range s {
		counts[r]++
	}
	h, n := 0.0, float64(len(s))
	for _, c := range counts {
		p := c / n
		h -= p * math.Log2(p)
	}
	return h
}
