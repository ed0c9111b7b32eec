package builder

import (
	"errors"

	"github.com/weld-build/weld/dag"
)

// IsBadInput reports whether err is bad input that a build found before it
// started (weld build exits 2 for it): a build file that cannot be used
// (dag.ErrInvalid, FILE:LINE:COL), an option, policy, builders file or
// sign key that cannot be used (ErrInvalid), a secret that cannot be read
// (ErrSecret), outputs that cannot work (ErrOutput). Any other error of
// Run is a failed build.
func IsBadInput(err error) bool {
	return errors.Is(err, dag.ErrInvalid) || errors.Is(err, ErrInvalid) || errors.Is(err, ErrSecret) || errors.Is(err, ErrOutput)
}
