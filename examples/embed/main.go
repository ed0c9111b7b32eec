// Command embed shows how a hosted build service runs weld as a library:
// load and plan a build.yml, connect to BuildKit, and run the plan with its
// own progress and event sinks. It prints a JSON line per event and the
// result; it never lets the library print or exit.
//
//	SECRETAPP_TOKEN_FILE=/path/to/token go run ./examples/embed -f examples/secretapp/build.yml \
//	    -allow /path/to/token -image golang:1.26=oci-layout://DIR -image alpine:3.20=oci-layout://DIR \
//	    -output oci:.weld/embed
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/dag"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var images, outputs, allow list
	file := flag.String("f", "build.yml", "build file")
	flag.Var(&allow, "allow", "PATH a secret file outside the work dir may be read from (repeatable)")
	flag.Var(&images, "image", "REF=SOURCE base image replacement (repeatable)")
	flag.Var(&outputs, "output", "oci:DIR (repeatable)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *file, images, outputs, allow, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
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
	opts := []builder.Option{
		builder.WithEvents(func(e builder.Event) {
			_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"step": e.Step, "event": string(e.Type), "msg": e.Message})
		}),
		builder.WithProgress(func(*client.SolveStatus) {}), // a service would stream these to its UI
	}
	repl := map[string]builder.ImageSource{}
	for _, s := range images {
		ref, src, err := builder.ParseImage(s)
		if err != nil {
			return err
		}
		repl[ref] = src
	}
	opts = append(opts, builder.WithImages(repl))
	for _, s := range outputs {
		o, err := builder.ParseOutput(s)
		if err != nil {
			return err
		}
		opts = append(opts, builder.WithOutputs(o))
	}
	c, err := builder.Connect(ctx, builder.ConnectOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	bld, err := builder.New(c, opts...)
	if err != nil {
		return err
	}
	res, err := bld.Run(ctx, plan, steps...)
	if res != nil {
		for _, s := range res.Steps {
			fmt.Printf("%s\t%s\t%s\n", s.Label, s.Status, s.Digest)
		}
	}
	return err
}
