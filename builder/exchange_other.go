//go:build !linux

package builder

import "errors"

// exchange is not available here: swapInto moves the old folder aside.
func exchange(a, b string) error { return errors.ErrUnsupported }
