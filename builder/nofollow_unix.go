//go:build unix

package builder

import "syscall"

// noFollow makes an open refuse a symlink as its last element.
const noFollow = syscall.O_NOFOLLOW
