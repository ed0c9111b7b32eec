package display

import (
	"errors"
	"fmt"
	"io"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/redact"
)

// Error writes the error a command ends with: each error of a
// dag.ErrorList on a line of its own (build.yml:LINE:COL: what is wrong),
// else "weld: " and its message (a redacted error's message whole, as
// redacted).
func Error(w io.Writer, err error) {
	var list dag.ErrorList
	if !redact.Redacted(err) && errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e.Error())
		}
		return
	}
	fmt.Fprintln(w, "weld: "+err.Error())
}
