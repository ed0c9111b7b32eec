//go:build unix

package boundedio

import (
	"os"
	"syscall"
)

// openNonBlocking opens path for reading with O_NONBLOCK, so opening a FIFO
// that has no writer returns at once instead of waiting for one.
func openNonBlocking(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
