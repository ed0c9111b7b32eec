package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/weld-build/weld/internal/redact"
)

const testToken = "ghp_4vQ9xZr2Lm8TbW1cY7nK0pHs3dFgEa6JuXoI"

// TestProgressRedactor: names, errors, statuses, warnings and logs reach
// the sink redacted, a value split between chunks too, and what a stream
// holds back comes out when its vertex completes.
func TestProgressRedactor(t *testing.T) {
	var got []*client.SolveStatus
	p := newProgressRedactor(redact.New(map[string][]byte{"tok": []byte(testToken)}), func(s *client.SolveStatus) { got = append(got, s) })
	d := digest.FromString("v")
	now := time.Now()
	in := []*client.SolveStatus{
		{Vertexes: []*client.Vertex{{Digest: d, Name: "[app 2/2] RUN echo " + testToken, Started: &now}}},
		{Logs: []*client.VertexLog{{Vertex: d, Stream: 1, Data: []byte("token: " + testToken[:9])}}},
		{Logs: []*client.VertexLog{{Vertex: d, Stream: 1, Data: []byte(testToken[9:] + "\nok\nlast " + testToken[:5])}},
			Statuses: []*client.VertexStatus{{ID: "pulling " + testToken, Vertex: d}},
			Warnings: []*client.VertexWarning{{Vertex: d, Short: []byte(testToken), Detail: [][]byte{[]byte("x" + testToken)}}}},
		{Vertexes: []*client.Vertex{{Digest: d, Name: "[app 2/2] RUN echo " + testToken, Started: &now, Completed: &now, Error: "exit 1: " + testToken}}},
	}
	for _, s := range in {
		p.write(s)
	}
	var logs bytes.Buffer
	for _, s := range got {
		for _, l := range s.Logs {
			logs.Write(l.Data)
		}
	}
	if want := "token: [secret:tok]\nok\nlast ghp_4"; logs.String() != want {
		t.Errorf("logs = %q, want %q", logs.String(), want)
	}
	all := fmt.Sprintf("%+v %s", got, dump(got))
	if strings.Contains(all, testToken) {
		t.Errorf("the sink got the value: %s", all)
	}
	if !strings.Contains(in[0].Vertexes[0].Name, testToken) {
		t.Errorf("the input status was changed: %q", in[0].Vertexes[0].Name)
	}
	if n := got[len(got)-1].Vertexes[0].Name; n != "[app 2/2] RUN echo [secret:tok]" {
		t.Errorf("vertex name = %q", n)
	}
}

func dump(ss []*client.SolveStatus) string {
	var b strings.Builder
	for _, s := range ss {
		for _, v := range s.Vertexes {
			b.WriteString(v.Name + v.Error)
		}
		for _, st := range s.Statuses {
			b.WriteString(st.ID + st.Name)
		}
		for _, w := range s.Warnings {
			b.Write(w.Short)
			b.Write(bytes.Join(w.Detail, nil))
		}
	}
	return b.String()
}

// TestRunRedactsErrorsEventsAndResult: a failure whose message holds a
// value given to WithRedact comes back redacted from Run, in the step's
// result and in the events, and still wraps its cause.
func TestRunRedactsErrorsEventsAndResult(t *testing.T) {
	p := testPlan(t, nil, "app")
	cause := fmt.Errorf("%w: curl -H 'Authorization: %s' failed", errBoom, testToken)
	f := &fakeSolver{fail: map[string]error{"app": cause}}
	var mu sync.Mutex
	var events []Event
	b, err := New(f, WithRedact("TOKEN", []byte(testToken)), WithOutputs(Output{Type: "oci", Dest: t.TempDir()}),
		WithEvents(func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Run(context.Background(), p)
	if err == nil || !errors.Is(err, errBoom) {
		t.Fatalf("Run() error = %v, want one wrapping boom", err)
	}
	var be *BuildError
	var se *StepError
	if !errors.As(err, &be) || !errors.As(be.Failed[0], &se) {
		t.Fatalf("Run() error = %v, want a BuildError with a StepError", err)
	}
	texts := []string{err.Error(), be.Error(), be.Failed[0].Error(), se.Error(), res.Step("app").Error, res.Step("app").Err().Error()}
	for _, e := range events {
		texts = append(texts, e.Message)
		if e.Err != nil {
			texts = append(texts, e.Err.Error())
		}
	}
	for _, s := range texts {
		if strings.Contains(s, testToken) {
			t.Errorf("%q holds the value", s)
		}
	}
	if !strings.Contains(err.Error(), "[secret:TOKEN]") {
		t.Errorf("Run() error = %q, want [secret:TOKEN] in place of the value", err)
	}
}

func TestRedactErrKeepsUnredactedErrorsAsTheyAre(t *testing.T) {
	red := redact.New(map[string][]byte{"tok": []byte(testToken)})
	if err := redactErr(red, errBoom); err != errBoom {
		t.Errorf("redactErr(boom) = %v, want boom itself", err)
	}
	se := &StepError{Step: "s", Err: errBoom, Tail: []string{"a " + testToken, "b"}}
	if err := redactErr(red, fmt.Errorf("wrapped: %w", se)); !errors.Is(err, errBoom) || se.Tail[0] != "a [secret:tok]" {
		t.Errorf("redactErr: err %v, tail %q", err, se.Tail)
	}
}
