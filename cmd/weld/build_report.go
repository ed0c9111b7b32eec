package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/weld-build/weld/report"
)

// reportFlag is --report FILE.html|FILE.json: it removes the report an
// earlier run left there as the flag is parsed (report.PrepareFile);
// buildflags.Flags.WriteFiles writes this run's.
type reportFlag struct{ path *string }

var _ pflag.Value = (*reportFlag)(nil)

// Set takes FILE.html (.htm) or FILE.json.
func (r *reportFlag) Set(v string) error {
	if err := report.PrepareFile(v); err != nil {
		return fmt.Errorf("--%w", err)
	}
	*r.path = v
	return nil
}

// String implements pflag.Value.
func (r *reportFlag) String() string {
	if r.path == nil {
		return ""
	}
	return *r.path
}

// Type implements pflag.Value.
func (r *reportFlag) Type() string { return "FILE" }
