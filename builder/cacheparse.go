package builder

import (
	"fmt"

	"github.com/moby/buildkit/client"
)

// ParseCacheTo parses a cache export as weld build's --cache-to takes it:
// ParseCache's syntax, a local cache with dest=DIR, mode min or max.
func ParseCacheTo(s string) (client.CacheOptionsEntry, error) { return parseCacheDir(s, "dest") }

// ParseCacheFrom parses a cache import as weld build's --cache-from takes
// it: ParseCache's syntax, a local cache with src=DIR.
func ParseCacheFrom(s string) (client.CacheOptionsEntry, error) { return parseCacheDir(s, "src") }

func parseCacheDir(s, dirKey string) (client.CacheOptionsEntry, error) {
	e, err := ParseCache(s)
	if err != nil {
		return e, err
	}
	if e.Type == "local" && e.Attrs[dirKey] == "" {
		return e, fmt.Errorf("%q: a local cache here needs %s=DIR", s, dirKey)
	}
	if m, ok := e.Attrs["mode"]; ok && m != "min" && m != "max" {
		return e, fmt.Errorf("%q: mode must be min or max", s)
	}
	return e, nil
}
