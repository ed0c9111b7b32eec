package serve

import (
	"strings"
	"testing"
)

// TestWebPage: / serves the page with a CSP that allows its one inline
// script by hash and nothing inline else; the page loads nothing from
// elsewhere and never puts the token in a query.
func TestWebPage(t *testing.T) {
	h := newHarness(t, t.TempDir(), 1, 1)
	resp, dt := h.do("GET", "/", "", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(string(dt), "<form id=\"login\"") {
		t.Fatalf("GET / = %d %.200s", resp.StatusCode, dt)
	}
	if !strings.Contains(csp, "script-src '"+scriptHash(webPage)+"'") || strings.Contains(csp, "script-src 'unsafe-inline'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("CSP %q, want the script's hash, no unsafe-inline script, fetches to self", csp)
	}
	if n := strings.Count(string(webPage), "<script"); n != 1 {
		t.Errorf("the page has %d scripts, want its one inline script", n)
	}
	for _, bad := range []string{"http://", "https://", "src=", "?token", "innerHTML", "allow-scripts"} {
		if strings.Contains(string(webPage), bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	if resp, _ := h.do("GET", "/other", "", nil); resp.StatusCode != 404 {
		t.Errorf("GET /other = %d, want 404", resp.StatusCode)
	}
}
