package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrCommandFailed marks a step whose command or test exited non-zero.
var ErrCommandFailed = errors.New("command failed")

// verify runs the step's command (Habitus's `command`, with docker run's
// semantics: the image's entrypoint plus the words of the command) and its
// tests (each through /bin/sh -c when the image has a shell) in containers of
// the built image. A non-zero exit fails the step, with its output.
func (ss *stepSession) verify(ctx context.Context, sv *solved) error {
	s := ss.step
	if s.Command == "" && len(s.Tests) == 0 {
		return nil
	}
	var img ocispecs.Image
	if len(sv.config) > 0 {
		if err := json.Unmarshal(sv.config, &img); err != nil {
			return fmt.Errorf("step %q: parsing image config: %w", s.Label, err)
		}
	}
	if s.Command != "" {
		words, err := splitWords(s.Command)
		if err != nil {
			return &StepError{Step: s.Label, Source: s.Keys["command"].String(), Err: err}
		}
		argv := append(append([]string{}, img.Config.Entrypoint...), words...)
		if err := ss.exec(ctx, sv, img, "command: "+s.Command, argv); err != nil {
			return &StepError{Step: s.Label, Source: s.Keys["command"].String(), Err: err, Tail: tailOf(err)}
		}
	}
	var shErr error
	if len(s.Tests) > 0 {
		_, shErr = sv.ref.StatFile(ctx, gateway.StatRequest{Path: "/bin/sh"})
	}
	for i, t := range s.Tests {
		argv := []string{"/bin/sh", "-c", t}
		if shErr != nil {
			words, err := splitWords(t)
			if err != nil {
				return &StepError{Step: s.Label, Source: s.Keys[fmt.Sprintf("tests[%d]", i)].String(), Err: err}
			}
			argv = words
		}
		if err := ss.exec(ctx, sv, img, "test: "+t, argv); err != nil {
			return &StepError{Step: s.Label, Source: s.Keys[fmt.Sprintf("tests[%d]", i)].String(), Err: err, Tail: tailOf(err)}
		}
	}
	return nil
}

// execError is a command's non-zero exit, with the tail of its output.
type execError struct {
	name string
	code int
	tail []string
	err  error
}

func (e *execError) Error() string {
	if e.code >= 0 {
		return fmt.Sprintf("%s: exit code %d: %s", e.name, e.code, ErrCommandFailed)
	}
	return fmt.Sprintf("%s: %v", e.name, e.err)
}

// Unwrap returns ErrCommandFailed for a non-zero exit, and the cause.
func (e *execError) Unwrap() []error {
	if e.code >= 0 {
		return []error{ErrCommandFailed, e.err}
	}
	return []error{e.err}
}

func tailOf(err error) []string {
	var ee *execError
	if errors.As(err, &ee) {
		return ee.tail
	}
	return nil
}

// exec runs argv in a container of the step's image, as its user, in its
// working dir, with its environment. The output streams into a progress
// vertex and, on failure, into the error.
func (ss *stepSession) exec(ctx context.Context, sv *solved, img ocispecs.Image, name string, argv []string) error {
	if len(argv) == 0 {
		return &execError{name: name, code: -1, err: errors.New("nothing to run: the command is empty and the image has no entrypoint")}
	}
	return ss.tr.wrap(ctx, name, func(v *vertex) error {
		err := ss.execIn(ctx, sv, img, argv, v)
		switch {
		case err != nil && context.Cause(ctx) != nil:
			return context.Cause(ctx) // another step failed; this one did not
		case err != nil:
			code := -1
			var ee *gwpb.ExitError
			if errors.As(err, &ee) {
				code = int(ee.ExitCode)
			}
			return &execError{name: name, code: code, tail: lastLines(v.output(), tailLines), err: err}
		}
		return nil
	})
}

func (ss *stepSession) execIn(ctx context.Context, sv *solved, img ocispecs.Image, argv []string, v *vertex) error {
	ctr, err := ss.c.NewContainer(ctx, gateway.NewContainerRequest{
		Mounts:   []gateway.Mount{{Dest: "/", MountType: pb.MountType_BIND, Ref: sv.ref}},
		Hostname: strings.ReplaceAll(ss.step.Label, "_", "-"),
	})
	if err != nil {
		return fmt.Errorf("starting a container: %w", err)
	}
	defer ctr.Release(context.WithoutCancel(ctx))
	cwd := img.Config.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	proc, err := ctr.Start(ctx, gateway.StartRequest{
		Args: argv, Env: img.Config.Env, User: img.Config.User, Cwd: cwd,
		Stdout: v, Stderr: v,
	})
	if err != nil {
		return err
	}
	return proc.Wait()
}

// splitWords splits a command line into words the way a shell would, with
// single and double quotes and backslashes, but without expanding anything:
// like docker run, the command is argv, not a script.
func splitWords(cmd string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for i := 0; i < len(cmd); i++ {
		c := rune(cmd[i])
		switch {
		case quote == 0 && (c == ' ' || c == '\t' || c == '\n'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\' && quote != '\'' && i+1 < len(cmd):
			i++
			cur.WriteByte(cmd[i])
			inWord = true
		case (c == '"' || c == '\'') && (quote == 0 || quote == c):
			if quote == 0 {
				quote = c
			} else {
				quote = 0
			}
			inWord = true
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("splitting %q into words: unterminated %c quote", cmd, quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// afterBuild runs the step's after_build_command on the host, in the work
// dir, when the run asks for it. Its output goes to the progress display.
func (ss *stepSession) afterBuild(ctx context.Context) error {
	s := ss.step
	if !ss.o.afterBuild || s.AfterBuildCommand == "" {
		return nil
	}
	return ss.tr.wrap(ctx, "after_build_command: "+s.AfterBuildCommand, func(v *vertex) error {
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", s.AfterBuildCommand)
		cmd.Dir = ss.workDir()
		cmd.Stdout, cmd.Stderr = v, v
		if err := cmd.Run(); err != nil {
			return &StepError{Step: s.Label, Source: s.Keys["after_build_command"].String(),
				Err: fmt.Errorf("after_build_command: %w", err), Tail: lastLines(v.output(), tailLines)}
		}
		return nil
	})
}
