//go:build !unix

package layertime

import "io/fs"

// noFollow is 0 where open has no O_NOFOLLOW: Cache.open's Lstat check
// stands alone.
const noFollow = 0

// ownedByOther knows no owners here.
func ownedByOther(fs.FileInfo) (uint32, bool) { return 0, false }
