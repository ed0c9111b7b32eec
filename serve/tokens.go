package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/weld-build/weld/internal/safepath"
)

// Tokens maps bearer tokens to tenants. Only the tokens' SHA-256 hashes
// are kept, and a lookup compares against every one in constant time.
type Tokens struct {
	hashes  [][sha256.Size]byte
	tenants []string
}

// ParseTokens reads a tokens file: one "TOKEN TENANT" a line; blank lines
// and lines starting with # are skipped. A tenant is one plain name (it
// names folders); a token is at least 16 characters.
func ParseTokens(name string, data []byte) (*Tokens, error) {
	t := &Tokens{}
	seen := map[[sha256.Size]byte]bool{}
	err := eachLine(name, data, func(n int, f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("%s:%d: want TOKEN TENANT", name, n)
		}
		if len(f[0]) < 16 {
			return fmt.Errorf("%s:%d: the token is shorter than 16 characters; use a long random one", name, n)
		}
		if err := safepath.Name(f[1]); err != nil {
			return fmt.Errorf("%s:%d: tenant: %w", name, n, err)
		}
		h := sha256.Sum256([]byte(f[0]))
		if seen[h] {
			return fmt.Errorf("%s:%d: the token is listed twice", name, n)
		}
		seen[h] = true
		t.hashes, t.tenants = append(t.hashes, h), append(t.tenants, f[1])
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(t.hashes) == 0 {
		return nil, fmt.Errorf("%s: no tokens; add TOKEN TENANT lines", name)
	}
	return t, nil
}

// Tenant returns the tenant of token, or "" when no token matches. It
// compares the token's hash with every known hash, so the time taken does
// not depend on which one matches or how much of it.
func (t *Tokens) Tenant(token string) string {
	h := sha256.Sum256([]byte(token))
	tenant := ""
	for i, k := range t.hashes {
		if subtle.ConstantTimeCompare(h[:], k[:]) == 1 {
			tenant = t.tenants[i]
		}
	}
	return tenant
}

// authenticate returns the tenant of the request's bearer token, or "".
func (t *Tokens) authenticate(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" {
		return ""
	}
	return t.Tenant(token)
}
