package sbom

import (
	"bufio"
	"bytes"
	"strings"
)

// osPackage is one package of an OS package database.
type osPackage struct {
	name, version, arch, source string
}

// fields calls field for each "key<sep>value" line of a database of
// paragraphs, and end after each paragraph; continuation lines (starting
// with a blank) are skipped.
func fields(db []byte, sep string, field func(k, v string), end func()) {
	sc := bufio.NewScanner(bytes.NewReader(db))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			end()
		case line[0] == ' ' || line[0] == '\t':
		default:
			if k, v, ok := strings.Cut(line, sep); ok {
				field(k, v)
			}
		}
	}
	end()
}

// parseAPK reads Alpine's installed database: paragraphs of "K:value"
// lines, P the name, V the version, A the architecture, o the origin.
func parseAPK(db []byte) []osPackage {
	var out []osPackage
	var cur osPackage
	fields(db, ":", func(k, v string) {
		switch k {
		case "P":
			cur.name = v
		case "V":
			cur.version = v
		case "A":
			cur.arch = v
		case "o":
			cur.source = v
		}
	}, func() {
		if cur.name != "" {
			out = append(out, cur)
		}
		cur = osPackage{}
	})
	return out
}

// parseDpkg reads a dpkg status file (or a status.d entry): RFC 822-style
// paragraphs; only packages whose Status ends in "installed" count (a
// status.d entry has no Status and counts).
func parseDpkg(db []byte) []osPackage {
	var out []osPackage
	var cur osPackage
	installed := true
	fields(db, ":", func(k, v string) {
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.name = v
		case "Version":
			cur.version = v
		case "Architecture":
			cur.arch = v
		case "Source":
			cur.source, _, _ = strings.Cut(v, " ") // "name (version)"
		case "Status":
			f := strings.Fields(v)
			installed = len(f) > 0 && f[len(f)-1] == "installed"
		}
	}, func() {
		if cur.name != "" && installed {
			out = append(out, cur)
		}
		cur, installed = osPackage{}, true
	})
	return out
}

// osID is the ID of an os-release file ("alpine", "debian", …), or "".
func osID(text []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "ID="); ok {
			return strings.ToLower(strings.Trim(v, `"'`))
		}
	}
	return ""
}
