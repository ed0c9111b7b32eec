//go:build !unix

package cachedir

import "io/fs"

// NoFollow is 0 where open has no O_NOFOLLOW: OpenFile's Lstat check
// stands alone.
const NoFollow = 0

// ownedByOther knows no owners here.
func ownedByOther(fs.FileInfo) (uint32, bool) { return 0, false }
