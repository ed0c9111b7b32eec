package serve

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
)

// The web page at / lists the tenant's builds and follows one: its step
// events live (the event stream, read with fetch and the token in the
// Authorization header) and its HTML report once it has ended, in a
// sandboxed iframe (srcdoc; no allow-scripts, so nothing in a report
// runs). The token is typed into the form or given as #token=… (a
// fragment never reaches a server or a log) and never put in a URL's
// query. The page loads nothing from elsewhere: its one inline script is
// allowed by its sha256 hash alone.

//go:embed web.html
var webPage []byte

// webCSP is the page's Content-Security-Policy: no 'unsafe-inline' for
// scripts; fetches to this server only; a form never submits anywhere;
// no framing by others. (Inline styles are allowed: the report's own
// styles, inherited by its srcdoc frame, are inline.)
var webCSP = "default-src 'none'; script-src '" + scriptHash(webPage) + "'; style-src 'unsafe-inline'; img-src data:; " +
	"connect-src 'self'; frame-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

// scriptHash is the CSP source of the page's one inline script.
func scriptHash(page []byte) string {
	_, rest, _ := bytes.Cut(page, []byte("<script>"))
	body, _, _ := bytes.Cut(rest, []byte("</script>"))
	sum := sha256.Sum256(body)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func (s *Server) web(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", webCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(webPage)
}
