//go:build integration

package builder_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/buildkit/client"

	"github.com/weld-build/weld/builder"
)

// historyRecords lists the daemon's build history records that name image
// (an exporter's name attribute), with their frontend attributes.
func historyRecords(t *testing.T, host, image string) []*controlapi.BuildHistoryRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.New(ctx, host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := c.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{EarlyExit: true})
	if err != nil {
		t.Fatalf("ListenBuildHistory: %v", err)
	}
	var out []*controlapi.BuildHistoryRecord
	for {
		ev, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("ListenBuildHistory: %v", err)
		}
		if ev.Record == nil {
			continue
		}
		for _, e := range ev.Record.Exporters {
			if strings.Contains(e.Attrs["name"], image) {
				out = append(out, ev.Record)
				break
			}
		}
	}
}

// TestBuildHistoryOffByDefault: BuildKit keeps no history record of weld's
// sessions unless WithBuildHistory asks for one. A record holds the build's
// logs as the daemon saw them, unredacted: here a RUN prints its secret,
// which weld's own progress redacts.
func TestBuildHistoryOffByDefault(t *testing.T) {
	e := testEnv(t)
	image := "weld-history-" + nonce(t)
	token := "history-" + nonce(t)
	dir := writeProject(t, map[string]string{
		"tok":        token,
		"Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok cat /run/secrets/tok; echo " + nonce(t) + "\n",
		"build.yml": `build:
  version: 2016-03-14
  steps:
    app:
      name: ` + image + `
      secrets:
        tok: {type: file, value: tok}
`,
	})
	out := filepath.Join(t.TempDir(), "out")
	run := func(opts ...builder.Option) {
		t.Helper()
		b := e.runBuild(t, ctxTimeout(t, 3*time.Minute), dir, append(opts, builder.WithNoCache(true), builder.WithOutputs(builder.Output{Type: builder.OutputOCI, Dest: out}))...)
		b.mustPass(t)
		if strings.Contains(b.progress.text(), token) {
			t.Fatal("weld's progress holds the secret")
		}
	}
	run()
	if got := historyRecords(t, e.host, image); len(got) != 0 {
		t.Fatalf("the daemon keeps %d history records of a build by default (%s), want none", len(got), got[0].Ref)
	}
	run(builder.WithBuildHistory(true))
	if got := historyRecords(t, e.host, image); len(got) == 0 {
		t.Fatal("WithBuildHistory(true): the daemon keeps no history record of the build")
	}
}
