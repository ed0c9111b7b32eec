package serve

import (
	"fmt"
	"strings"

	"github.com/weld-build/weld/builder"
)

// SecretMap maps a tenant's secret ids to server-side sources (--secrets
// FILE): a build.yml secret of that tenant with that id is served from the
// source, whatever its type and value say. A build.yml secret the map does
// not name is refused: secret values never come with a request.
type SecretMap map[string]map[string]builder.SecretSpec

// ParseSecretMap reads a secrets file: one "TENANT ID file:PATH" or
// "TENANT ID env:VAR" a line; blank lines and # comments are skipped.
func ParseSecretMap(name string, data []byte) (SecretMap, error) {
	m := SecretMap{}
	err := eachLine(name, data, func(n int, f []string) error {
		if len(f) != 3 {
			return fmt.Errorf("%s:%d: want TENANT ID file:PATH or TENANT ID env:VAR", name, n)
		}
		spec := builder.SecretSpec{ID: f[1]}
		kind, src, _ := strings.Cut(f[2], ":")
		switch {
		case kind == "file" && src != "":
			spec.Src = src
		case kind == "env" && src != "":
			spec.Env = src
		default:
			return fmt.Errorf("%s:%d: source %q: want file:PATH or env:VAR", name, n, f[2])
		}
		if m[f[0]] == nil {
			m[f[0]] = map[string]builder.SecretSpec{}
		}
		if _, dup := m[f[0]][f[1]]; dup {
			return fmt.Errorf("%s:%d: tenant %s's secret %s is listed twice", name, n, f[0], f[1])
		}
		m[f[0]][f[1]] = spec
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ids returns the tenant's secret ids.
func (m SecretMap) ids(tenant string) []string {
	var ids []string
	for id := range m[tenant] {
		ids = append(ids, id)
	}
	return ids
}
