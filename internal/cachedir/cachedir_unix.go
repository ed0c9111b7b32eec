//go:build unix

package cachedir

import (
	"io/fs"
	"os"
	"syscall"
)

// NoFollow makes an open refuse a symlink as its last element.
const NoFollow = syscall.O_NOFOLLOW

// ownedByOther reports the owner of fi when it is not this user.
func ownedByOther(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, int(st.Uid) != os.Geteuid()
}
