package builder

import (
	"net/url"
	"path"
	"strings"
)

// RedactAddr is a daemon address as weld shows it in results, reports and
// events: the scheme and host, never credentials (user:password@, a query
// such as ?token=), and of a filesystem path (a unix socket's) only its base
// name. unix:///run/buildkit/buildkitd.sock is unix://buildkitd.sock,
// tcp://u:p@host:1234/x?k=v is tcp://host:1234. An address that does not
// parse shows as its scheme alone, or "" without one.
func RedactAddr(addr string) string {
	if addr == "" {
		return ""
	}
	u, err := url.Parse(addr)
	if err != nil || u.Scheme == "" {
		scheme, _, ok := strings.Cut(addr, "://")
		if !ok || !plainScheme(scheme) {
			return ""
		}
		return strings.ToLower(scheme) + "://"
	}
	host := u.Host
	if at := strings.LastIndexByte(host, '@'); at >= 0 { // opaque userinfo url.Parse kept
		host = host[at+1:]
	}
	switch p := strings.TrimRight(host+u.Path+u.Opaque, "/"); {
	case u.Scheme == "unix" || u.Scheme == "npipe" || (host == "" && p != ""):
		host = path.Base(p) // a socket's file: unix:///…/buildkitd.sock
	}
	return u.Scheme + "://" + host
}

// addrOf is the redacted address of the daemon a Solver builds on, when it
// says (a *Client, a connected *LazyClient); "" when it does not.
func addrOf(s Solver) string {
	if a, ok := s.(interface{ Addr() string }); ok {
		return RedactAddr(a.Addr())
	}
	return ""
}

// plainScheme says s is a URL scheme of letters, digits, + - . (so that
// nothing else of an address that does not parse shows).
func plainScheme(s string) bool {
	return s != "" && strings.Trim(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz0123456789+-.") == ""
}
