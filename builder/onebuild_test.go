package builder

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

const token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz" // shaped like a GitHub token

func appProject(t *testing.T, dockerfile, args string) map[string]string {
	return map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: img-app\n      dockerfile: Dockerfile\n" + args,
		"Dockerfile": dockerfile,
	}
}

// TestRunWithPolicyRefusesBeforeTheDaemon: what the policy refuses, and
// bad input, stop Run before it opens a single session.
func TestRunWithPolicyRefusesBeforeTheDaemon(t *testing.T) {
	const ok = "FROM busybox:1.36\nUSER 1000\n"
	for _, tc := range []struct {
		name, policy, dockerfile, args string
		opts                           []Option
		want                           func(error) bool
	}{
		{name: "a base outside allowed_bases", policy: "allowed_bases: [alpine]\n", dockerfile: ok,
			want: refusal("Dockerfile:1: step app: base busybox:1.36 is not allowed by weld.policy.yml:1:16")},
		{name: "a COPY --from image outside allowed_bases", policy: "allowed_bases: ['busybox:*']\n", dockerfile: ok + "COPY --from=evil/x:1 /x /x\n",
			want: refusal("image evil/x:1 (COPY --from) is not allowed")},
		{name: "a replacement outside allowed_bases", policy: "allowed_bases: ['busybox:*']\nreplace:\n  busybox:1.36: evil/x:1\n", dockerfile: ok,
			want: refusal("evil/x:1 (replacing busybox:1.36) is not allowed")},
		{name: "a build arg holding a token", policy: "", dockerfile: ok, opts: []Option{WithBuildArgs(map[string]string{"TOKEN": token})},
			want: isAll(ErrInvalid, policy.ErrSecretArg)},
		{name: "a step arg holding a token", policy: "", dockerfile: ok, args: "      args:\n        API_TOKEN: " + token + "\n",
			want: isAll(ErrInvalid, policy.ErrSecretArg)},
		{name: "replacements in a cycle", policy: "", dockerfile: ok,
			opts: []Option{WithImages(map[string]ImageSource{"busybox:1.36": {Image: "alpine"}, "alpine": {Image: "busybox:1.36"}})},
			want: isAll(ErrInvalid)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policyProject(t, appProject(t, tc.dockerfile, tc.args))
			s := &policySolver{}
			b, err := New(s, append(tc.opts, WithPolicy(mustPolicy(t, tc.policy)), WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}))...)
			if err != nil {
				t.Fatal(err)
			}
			res, err := b.Run(context.Background(), p)
			if !tc.want(err) || res != nil {
				t.Errorf("Run() = %v, %v; want no result and the refusal", res, err)
			}
			if n := s.sessions.Load(); n != 0 {
				t.Errorf("Run() opened %d sessions before refusing, want none", n)
			}
		})
	}
}

func refusal(msg string) func(error) bool {
	return func(err error) bool {
		var rs policy.Refusals
		return errors.As(err, &rs) && len(rs) == 1 && strings.Contains(rs[0].Error(), msg)
	}
}

func isAll(targets ...error) func(error) bool {
	return func(err error) bool {
		for _, t := range targets {
			if !errors.Is(err, t) {
				return false
			}
		}
		return err != nil
	}
}

// TestRunWithoutPolicyChecksNothing: without WithPolicy, Run is the build
// alone, as before (a build arg is not judged).
func TestRunWithoutPolicyChecksNothing(t *testing.T) {
	p := policyProject(t, appProject(t, "FROM busybox:1.36\n", ""))
	s := &policySolver{}
	b, err := New(s, WithBuildArgs(map[string]string{"TOKEN": token}), WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Run(context.Background(), p)
	if err != nil || res.Step("app").Status != StatusDone || res.Step("app").Bases != nil {
		t.Fatalf("Run() = %+v, %v; want app done, with no bases recorded", res, err)
	}
}

// TestPrepareAppliesThePolicy: the run's own options get the policy's
// replacement pinned to the resolved digest (resolved once for two FROMs),
// its gates, its source policy and the revision; the caller's Builder keeps
// its own.
func TestPrepareAppliesThePolicy(t *testing.T) {
	d := digest.Digest("sha256:" + strings.Repeat("cd", 32))
	p := policyProject(t, appProject(t, "FROM node:10.4.8 AS one\nRUN true\nFROM node:10.4.8\nUSER 1000\n", ""))
	pol := mustPolicy(t, "allowed_bases: ['busybox:*', 'node:*']\nreplace:\n  node:10.4.8: busybox:1.36\npin_digests: true\ngates:\n  - run: \"test -d {{oci_dir}}\"\n")
	s := &policySolver{digests: map[string]digest.Digest{"busybox:1.36": d}}
	var events []Event
	b, err := New(s, WithPolicy(pol), WithRevision("abc123"), WithEvents(func(e Event) { events = append(events, e) }))
	if err != nil {
		t.Fatal(err)
	}
	steps, _ := p.Select()
	rb, pins, err := b.prepare(context.Background(), p, steps, nil, runSecrets{})
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	pin := BasePin{Ref: "node:10.4.8", Source: "docker-image://busybox:1.36", Digest: d.String()}
	pin1, pin3 := pin, pin
	pin1.From, pin3.From = "Dockerfile:1", "Dockerfile:3"
	if diff := cmp.Diff(map[string][]BasePin{"app": {pin1, pin3}}, pins); diff != "" {
		t.Errorf("pins (-want +got):\n%s", diff)
	}
	// Once to pin it, once (for both FROMs) by the lint gate, which sees
	// the pinned ref.
	if diff := cmp.Diff([]string{"busybox:1.36", "docker.io/library/busybox:1.36@" + d.String()}, s.resolved); diff != "" {
		t.Errorf("resolved (-want +got):\n%s", diff)
	}
	if got, want := rb.o.images["node:10.4.8"], (ImageSource{Image: "docker.io/library/busybox:1.36@" + d.String()}); got != want {
		t.Errorf("the run's image for node:10.4.8 = %+v, want %+v", got, want)
	}
	if diff := cmp.Diff([]Gate{{Run: "test -d {{oci_dir}}", Source: "weld.policy.yml:6:10"}}, rb.o.gates); diff != "" {
		t.Errorf("gates (-want +got):\n%s", diff)
	}
	if len(rb.o.sourcePolicies) != 1 || rb.o.labels[LabelRevision] != "abc123" {
		t.Errorf("the run's source policies = %d, revision = %q; want 1 and abc123", len(rb.o.sourcePolicies), rb.o.labels[LabelRevision])
	}
	if len(b.o.images) != 0 || len(b.o.gates) != 0 || len(b.o.sourcePolicies) != 0 || len(b.o.labels) != 0 {
		t.Errorf("prepare changed the Builder's own options: %+v", b.o)
	}
	if len(events) == 0 || !strings.Contains(events[0].Message, "policy weld.policy.yml:3:3 replaces base node:10.4.8 with busybox:1.36") || events[0].Type != EventInfo {
		t.Errorf("events = %+v, want first the replacement as EventInfo", events)
	}
}

// TestRunWithPolicyRecordsBasesAndRunsGates: the pins reach the Result, and
// a gate that refuses blocks publishing.
func TestRunWithPolicyRecordsBasesAndRunsGates(t *testing.T) {
	d := digest.Digest("sha256:" + strings.Repeat("ef", 32))
	for _, tc := range []struct {
		name, gate string
		wantErr    error
	}{
		{"a passing gate", "test -d {{oci_dir}}", nil},
		{"a refusing gate", "test -z {{oci_dir}}", ErrGateFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policyProject(t, appProject(t, "FROM alpine:3.20\nUSER 1000\n", ""))
			pol := mustPolicy(t, "pin_digests: true\ngates:\n  - run: \""+tc.gate+"\"\n")
			s := &policySolver{digests: map[string]digest.Digest{"alpine:3.20": d}}
			b, err := New(s, WithPolicy(pol), WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}))
			if err != nil {
				t.Fatal(err)
			}
			res, err := b.Run(context.Background(), p)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil) != (err != nil) {
				t.Fatalf("Run() error = %v, want %v", err, tc.wantErr)
			}
			want := []BasePin{{Ref: "alpine:3.20", From: "Dockerfile:1", Digest: d.String()}}
			if diff := cmp.Diff(want, res.Step("app").Bases); diff != "" {
				t.Errorf("app's bases (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunWithPolicyAllowsAndRedactsASecretArg: a build arg the policy allows
// builds, is a warning, and its value is redacted from the result.
func TestRunWithPolicyAllowsAndRedactsASecretArg(t *testing.T) {
	p := policyProject(t, appProject(t, "FROM busybox:1.36\nUSER 1000\n", ""))
	s := &policySolver{fakeSolver: fakeSolver{fail: map[string]error{"Dockerfile": errors.New("RUN echo " + token)}}}
	var warned []string
	b, err := New(s, WithPolicy(mustPolicy(t, "rules:\n  SecretInArgEnv: warning\n")), WithBuildArgs(map[string]string{"TOKEN": token}),
		WithOutputs(Output{Type: OutputOCI, Dest: t.TempDir()}), WithEvents(func(e Event) {
			if e.Type == EventWarning {
				warned = append(warned, e.Message)
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Run(context.Background(), p)
	if err == nil || strings.Contains(err.Error(), token) || !strings.Contains(res.Step("app").Error, "RUN echo [secret:TOKEN]") {
		t.Errorf("Run() = %v, step error %q; want the failure with the token redacted", err, res.Step("app").Error)
	}
	if len(warned) == 0 || !strings.HasPrefix(warned[0], "--build TOKEN: build arg TOKEN holds a value that looks like a credential; the policy allows it") {
		t.Errorf("warnings = %q, want first the allowed build arg", warned)
	}
}

// TestIsBadInput: what a build finds wrong before it starts is bad input,
// wrapped or joined; a failed step, a canceled run and a lost daemon are
// not.
func TestIsBadInput(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("build.yml:3:5: x: %w", dag.ErrInvalid), true},
		{fmt.Errorf("%w: --jobs", ErrInvalid), true},
		{fmt.Errorf("reading: %w", ErrSecret), true},
		{errors.Join(errors.New("a"), fmt.Errorf("%w: no name", ErrOutput)), true},
		{invalidPoolFile{errors.New("b.yml:1:9: addr")}, true},
		{&StepError{Step: "a", Err: errors.New("exit 1")}, false},
		{context.Canceled, false},
		{ErrNoDaemon, false},
		{nil, false},
	} {
		if got := IsBadInput(tc.err); got != tc.want {
			t.Errorf("IsBadInput(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
