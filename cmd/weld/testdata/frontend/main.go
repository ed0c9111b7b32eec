// Command frontend is a BuildKit gateway frontend for weld's integration
// tests: it hands the request to BuildKit's built-in Dockerfile frontend
// and labels the image, so a test can tell that it ran. It is built by
// the test that runs it.
package main

import (
	"context"
	"os"

	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/solver/pb"
)

func main() {
	err := grpcclient.RunFromEnvironment(context.Background(), func(ctx context.Context, c client.Client) (*client.Result, error) {
		opts := c.BuildOpts().Opts
		opts["cmdline"] = "weld-test-frontend"
		opts["label:weld.test.frontend"] = "ran"
		inputs, err := c.Inputs(ctx)
		if err != nil {
			return nil, err
		}
		req := client.SolveRequest{Frontend: "dockerfile.v0", FrontendOpt: opts, FrontendInputs: map[string]*pb.Definition{}}
		for name, st := range inputs {
			def, err := st.Marshal(ctx)
			if err != nil {
				return nil, err
			}
			req.FrontendInputs[name] = def.ToPB()
		}
		return c.Solve(ctx, req)
	})
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
}
