package builder

import (
	"context"
	"os/exec"
	"testing"
)

func TestSetRevision(t *testing.T) {
	git := t.TempDir()
	for _, args := range [][]string{{"init", "-q"}, {"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"}} {
		if out, err := exec.Command("git", append([]string{"-C", git}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	head, err := exec.Command("git", "-C", git, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		opts      []Option
		want      string // "" for no label
	}{
		{"a git checkout", git, nil, string(head[:len(head)-1])},
		{"not a checkout", t.TempDir(), nil, ""},
		{"set", git, []Option{WithRevision("v1")}, "v1"},
		{"off", git, []Option{WithRevision("")}, ""},
		{"WithLabels wins", git, []Option{WithRevision("v1"), WithLabels(map[string]string{LabelRevision: "mine"})}, "mine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := makeOptions(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			setRevision(context.Background(), o, tc.dir)
			if got, ok := o.labels[LabelRevision]; got != tc.want || ok != (tc.want != "") {
				t.Errorf("revision label = %q (set: %v), want %q", got, ok, tc.want)
			}
		})
	}
}
