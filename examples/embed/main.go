// Command embed runs weld as a hosted build service does: weld build's whole
// build in one library call, with the project's policy under the service's
// own (an allowlist, a replacement, a gate). It prints a JSON line per event
// and the result; the library never prints or exits.
//
//	SECRETAPP_TOKEN_FILE=/path/to/token go run ./examples/embed -f examples/secretapp/build.yml \
//	    -allow /path/to/token -image golang:1.26=oci-layout://DIR -image busybox:1.36=oci-layout://DIR \
//	    -output oci:.weld/embed
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
	"github.com/weld-build/weld/policy"
)

// servicePolicy is the service's: a project's weld.policy.yml cannot loosen it.
const servicePolicy = `allowed_bases: ['golang:1.26', 'busybox:1.36']
replace:
  alpine:3.20: busybox:1.36
gates:
  - run: "test -f {{oci_dir}}/index.json"
`

func main() {
	var images, outputs, allow []string
	add := func(l *[]string) func(string) error { return func(v string) error { *l = append(*l, v); return nil } }
	file := flag.String("f", "build.yml", "build file")
	flag.Func("allow", "PATH a secret file outside the work dir may be read from (repeatable)", add(&allow))
	flag.Func("image", "REF=SOURCE base image replacement (repeatable)", add(&images))
	flag.Func("output", "oci:DIR (repeatable)", add(&outputs))
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *file, images, outputs, allow, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err) // a policy.Refusals or *builder.LintError says what to fix
		os.Exit(1)
	}
}

func run(ctx context.Context, file string, images, outputs, allow, steps []string) error {
	b, err := dag.Load(file, dag.WithAllowedReads(allow...))
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
	repl := map[string]builder.ImageSource{}
	for _, s := range images {
		ref, src, err := builder.ParseImage(s)
		if err != nil {
			return err
		}
		repl[ref] = src
	}
	opts := []builder.Option{
		builder.WithPolicy(policy.Intersect(service, project)),
		builder.WithImages(repl),
		builder.WithEvents(func(e builder.Event) {
			_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"step": e.Step, "event": string(e.Type), "msg": e.Message})
		}),
		builder.WithProgress(func(*client.SolveStatus) {}), // a service would stream these to its UI
	}
	for _, s := range outputs {
		o, err := builder.ParseOutput(s)
		if err != nil {
			return err
		}
		opts = append(opts, builder.WithOutputs(o))
	}
	c := builder.ConnectLazily(builder.ConnectOptions{}) // connects once the checks pass
	defer c.Close()
	bld, err := builder.New(c, opts...)
	if err != nil {
		return err
	}
	res, err := bld.Run(ctx, plan, steps...)
	if res != nil {
		for _, s := range res.Steps {
			fmt.Printf("%s\t%s\t%s\t%d base(s)\n", s.Label, s.Status, s.Digest, len(s.Bases))
		}
	}
	return err
}
