package builder

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestSharedSessionSteps: a step shares the run's shared session only when
// no step of its closure declares a secret, and none does under --ssh or
// with a global secret.
func TestSharedSessionSteps(t *testing.T) {
	files := map[string]string{
		"build.yml": `build:
  version: 2016-03-14
  steps:
    base:
      dockerfile: Dockerfile
    sec:
      dockerfile: Dockerfile
      depends_on: [base]
    dep:
      dockerfile: Dockerfile
      depends_on: [sec]
    free:
      dockerfile: Dockerfile
      depends_on: [base]
`,
		"Dockerfile": "FROM busybox\n",
	}
	tests := []struct {
		name    string
		perStep map[string]secretStore
		global  secretStore
		ssh     []string
		want    []string
	}{
		{name: "no secrets", want: []string{"base", "dep", "free", "sec"}},
		{name: "a step's secret", perStep: map[string]secretStore{"sec": {"tok": []byte("v")}}, want: []string{"base", "free"}},
		{name: "a global secret", global: secretStore{"tok": []byte("v")}},
		{name: "ssh", ssh: []string{"default"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := lintRun(t, files)
			r.perStep, r.global, r.o.ssh = tc.perStep, tc.global, tc.ssh
			sh := r.newSharedSessions(context.Background())
			var got []string
			if sh != nil {
				for l := range sh.shares {
					got = append(got, l)
				}
				if len(sh.files) != 2 { // every step sends "." and reads ./Dockerfile
					t.Errorf("the shared session serves %d folders, want 2 (the one context and the one Dockerfile folder of all its steps)", len(sh.files))
				}
				if n := sh.names["base"]; n != sh.names[got[0]] || n.ctx == n.df || !strings.HasPrefix(n.ctx, "ctx-") {
					t.Errorf("names %+v and %+v: want one context name and one Dockerfile folder name for all", n, sh.names[got[0]])
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("sharing steps = %v, want %v", got, tc.want)
			}
			if id := sh.on(context.Background(), r.solver); id != "" {
				t.Errorf("a fake solver got shared session %q, want none", id)
			}
		})
	}
}
