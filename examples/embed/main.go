// Command embed runs weld as a hosted build service does: weld build's whole
// build in one library call, with the project's policy under the service's
// own (an allowlist, a replacement, a gate), on one daemon or a pool
// (-addr repeated), with weld build's report file. It prints a JSON line per
// event and weld build's summary (display), and exits as weld build does (2: bad input, found
// before any build; 1: a failed build); the library never prints or exits.
//
//	SECRETAPP_TOKEN_FILE=/path/to/token go run ./examples/embed -f examples/secretapp/build.yml \
//	    -allow /path/to/token -image golang:1.26=oci-layout://DIR -image busybox:1.36=oci-layout://DIR \
//	    -output oci:.weld/embed -report report.html
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/display"
	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/report"
)

// servicePolicy is the service's: a project's weld.policy.yml cannot loosen it.
const servicePolicy = `allowed_bases: ['golang:1.26', 'busybox:1.36']
replace:
  alpine:3.20: busybox:1.36
gates:
  - run: "test -f {{oci_dir}}/index.json"
`

// flags are the build's inputs; -image and -output are parsed as given.
type flags struct {
	file, report string
	allow, addrs []string
	images       map[string]builder.ImageSource
	outputs      []builder.Output
}

func main() {
	f := flags{images: map[string]builder.ImageSource{}}
	add := func(l *[]string) func(string) error { return func(v string) error { *l = append(*l, v); return nil } }
	flag.StringVar(&f.file, "f", "build.yml", "build file")
	flag.StringVar(&f.report, "report", "", "write the build report to FILE.html or FILE.json")
	flag.Func("allow", "PATH a secret file outside the work dir may be read from (repeatable)", add(&f.allow))
	flag.Func("addr", "BuildKit address (repeatable: a pool)", add(&f.addrs))
	flag.Func("image", "REF=SOURCE base image replacement (repeatable)", func(v string) error {
		ref, src, err := builder.ParseImage(v)
		f.images[ref] = src
		return err
	})
	flag.Func("output", "oci:DIR (repeatable)", func(v string) error {
		o, err := builder.ParseOutput(v)
		f.outputs = append(f.outputs, o)
		return err
	})
	flag.Parse() // a bad flag exits 2
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, f, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err) // a policy.Refusals or *builder.LintError says what to fix
		if builder.IsBadInput(err) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags, steps []string) error {
	if f.report != "" {
		if err := report.PrepareFile(f.report); err != nil { // no earlier report passes for this one
			return err
		}
	}
	b, err := dag.Load(f.file, dag.WithAllowedReads(f.allow...))
	if err != nil {
		return err
	}
	plan, err := dag.NewPlan(b)
	if err != nil {
		return err
	}
	service, err := policy.Parse("service.policy.yml", []byte(servicePolicy))
	if err != nil {
		return err
	}
	project, err := policy.Find("", b.WorkDir) // the project's weld.policy.yml, if any
	if err != nil {
		return err
	}
	c, closeSolver, err := builder.Daemons{Addrs: f.addrs}.Solver() // connects once the checks pass
	if err != nil {
		return err
	}
	defer closeSolver()
	var warnings report.Warnings
	bld, err := builder.New(c, builder.WithPolicy(policy.Intersect(service, project)), builder.WithImages(f.images),
		builder.WithOutputs(f.outputs...), builder.WithEvents(func(e builder.Event) {
			warnings.Event(e) // the report's findings
			_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"step": e.Step, "event": string(e.Type), "msg": e.Message})
		}),
		builder.WithProgress(func(*client.SolveStatus) {})) // a service would stream these to its UI
	if err != nil {
		return err
	}
	res, err := bld.Run(ctx, plan, steps...)
	if f.report != "" { // also for a failed build, as weld build --report
		r := report.Build(plan, res, report.WithError(err), report.WithSelection(steps...), report.WithFindings(warnings.Findings()...))
		if werr := r.WriteFile(f.report); werr != nil && err == nil {
			err = werr
		}
	}
	display.Summary(os.Stdout, res, err) // weld build's closing summary
	return err
}
