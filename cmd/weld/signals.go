package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// signalGrace is how long weld may take to stop cleanly after SIGINT or
// SIGTERM (cancel the solves, remove its staging, print the summary) before
// it exits anyway; a second signal exits at once.
const signalGrace = 10 * time.Second

// extraGrace lengthens signalGrace for a command that needs longer to stop
// (weld serve's --drain-timeout); see extendSignalGrace.
var extraGrace atomic.Int64

// extendSignalGrace gives the command d more to stop after a signal; call
// it before the grace runs out.
func extendSignalGrace(d time.Duration) { extraGrace.Store(int64(d)) }

// signalError is the cause of a context canceled by a signal.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return fmt.Sprintf("interrupted by %v", e.sig) }

// Is makes every signalError match context.Canceled, as the cancellation it is.
func (e signalError) Is(target error) bool { return target == context.Canceled }

// notifySignals returns a context that SIGINT and SIGTERM cancel, with a
// signalError as its cause. Whatever weld is doing (parsing included), it
// then exits within signalGrace, with 130 for SIGINT and 143 for SIGTERM.
func notifySignals(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig, ok := <-ch
		if !ok {
			return
		}
		cancel(signalError{sig})
		select {
		case <-ch:
		case <-time.After(signalGrace + time.Duration(extraGrace.Load())):
		}
		fmt.Fprintf(os.Stderr, "weld: %v: stopped\n", sig)
		os.Exit(signalExitCode(sig))
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}

// signalExitCode is the shell's convention: 128 + the signal's number.
func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitInterrupted
}

// interruptedCode is the exit code of a run that a signal (or a cancel)
// stopped: 143 for SIGTERM, else 130.
func interruptedCode(ctx context.Context) int {
	var se signalError
	if errors.As(context.Cause(ctx), &se) {
		return signalExitCode(se.sig)
	}
	return exitInterrupted
}
