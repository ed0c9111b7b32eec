package builder

import (
	"context"
	"errors"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/policy"
)

// TestRunRefusesBannedBases: a base banned_bases lists, as written, as
// replaced (by the policy or WithImages), or by the digest it resolves to,
// stops Run before any step is built, naming the FROM line, the base and
// the ban; a base no ban matches builds.
func TestRunRefusesBannedBases(t *testing.T) {
	d := digest.Digest("sha256:" + strings.Repeat("ab", 32))
	other := digest.Digest("sha256:" + strings.Repeat("cd", 32))
	for _, tc := range []struct {
		name, policy, dockerfile string
		opts                     []Option
		digests                  map[string]digest.Digest
		want                     string // "" builds
	}{
		{name: "as written", policy: "banned_bases: [busybox:1.36]\n", dockerfile: "FROM busybox:1.36\n",
			want: "Dockerfile:1: step app: base busybox:1.36 is refused by weld.policy.yml:1:16 (banned_bases: busybox:1.36)"},
		{name: "untagged bans every tag", policy: "banned_bases:\n  - busybox\n", dockerfile: "FROM alpine:3.20\nFROM docker.io/library/busybox:1.35\n",
			want: "Dockerfile:2: step app: base docker.io/library/busybox:1.35 is refused by weld.policy.yml:2:5 (banned_bases: busybox)"},
		{name: "replaced by the policy", policy: "replace:\n  node:10: busybox:1.36\nbanned_bases: [busybox:1.36]\n", dockerfile: "FROM node:10\n",
			want: "base node:10 (built from busybox:1.36) is refused by weld.policy.yml:3:16"},
		{name: "replaced by WithImages", policy: "banned_bases: [busybox:1.36]\n", dockerfile: "FROM node:10\n",
			opts: []Option{WithImages(map[string]ImageSource{"node:10": {Image: "busybox:1.36"}})},
			want: "base node:10 (built from busybox:1.36) is refused"},
		{name: "by the resolved digest", policy: "banned_bases: ['" + d.String() + "']\n", dockerfile: "FROM alpine:3.20\n",
			digests: map[string]digest.Digest{"alpine:3.20": d},
			want:    "base alpine:3.20 (built from docker.io/library/alpine:3.20@" + d.String() + ") is refused by weld.policy.yml:1:16 (banned_bases: " + d.String() + ")"},
		{name: "by the digest written", policy: "banned_bases: ['" + d.String() + "']\n", dockerfile: "FROM alpine:3.20@" + d.String() + "\n",
			want: "base alpine:3.20@" + d.String() + " is refused"},
		{name: "another digest builds", policy: "banned_bases: ['" + d.String() + "', busybox:1.35]\n", dockerfile: "FROM alpine:3.20\nFROM busybox:1.36\n",
			digests: map[string]digest.Digest{"alpine:3.20": other, "busybox:1.36": other}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policyProject(t, appProject(t, tc.dockerfile+"USER 1000\n", ""))
			s := &policySolver{digests: tc.digests}
			b, err := New(s, append(tc.opts, WithPolicy(mustPolicy(t, tc.policy)), WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}))...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := b.Run(context.Background(), p)
			if tc.want == "" {
				if err != nil || res.Step("app").Status != StatusDone {
					t.Fatalf("Run() = %+v, %v; want app built", res, err)
				}
				return
			}
			var rs policy.Refusals
			if !errors.As(err, &rs) || len(rs) != 1 || !strings.Contains(rs[0].Error(), tc.want) || !errors.Is(err, policy.ErrBaseRefused) {
				t.Fatalf("Run() error = %v, want one refusal containing %q", err, tc.want)
			}
			if res != nil || len(s.exported) != 0 || len(s.evaluated) != 0 {
				t.Errorf("Run() = %+v, built %v, published %v; want nothing built", res, s.evaluated, s.exported)
			}
		})
	}
}

// TestCheckReportsBannedBases: weld lint (Builder.Check) refuses a banned
// base without a daemon, as Run does.
func TestCheckReportsBannedBases(t *testing.T) {
	p := policyProject(t, appProject(t, "FROM busybox:1.36\nUSER 1000\n", ""))
	b, err := New(&policySolver{}, WithPolicy(mustPolicy(t, "banned_bases: [busybox:1.36]\n")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Check(context.Background(), p)
	want := "Dockerfile:1: step app: base busybox:1.36 is refused by weld.policy.yml:1:16 (banned_bases: busybox:1.36)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Check() = %v, want %q", err, want)
	}
}
