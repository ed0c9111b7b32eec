package builder

import (
	"os"
	"path/filepath"

	"github.com/weld-build/weld/internal/leakscan"
	"github.com/weld-build/weld/internal/scancache"
)

// scanVerdictsMax is how many leak scan verdicts the user's cache keeps
// (empty files; the least recently used go first).
const scanVerdictsMax = 50000

// scanVerdicts opens the leak scan's verdicts for secrets, keyed under the
// secret cache key, in the user's cache dir ($XDG_CACHE_HOME/weld/scanned,
// else ~/.cache/weld/scanned): a blob an earlier run scanned whole and
// found clean of these very values is not read again (internal/scancache).
// It returns nil, and every blob is scanned, when the folder cannot be
// opened; done releases it.
func (o *options) scanVerdicts(secrets map[string][]byte) (v leakscan.Verdicts, done func()) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil, func() {}
	}
	s, err := scancache.Open(filepath.Join(dir, "weld", "scanned"), scanVerdictsMax)
	if err != nil {
		o.log.Debug("scanning every blob: no verdicts of earlier scans", "err", err)
		return nil, func() {}
	}
	return s.For(o.secretKey.get(o.log), leakscan.Version, secrets), func() { s.Close() }
}
