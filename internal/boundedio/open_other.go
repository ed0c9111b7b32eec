//go:build !unix

package boundedio

import "os"

// openNonBlocking opens path for reading; outside unix there are no FIFOs
// that block an open.
func openNonBlocking(path string) (*os.File, error) {
	return os.Open(path)
}
