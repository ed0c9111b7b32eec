package dag

import (
	"errors"
	"strings"
)

// ErrInvalid is wrapped by every error that a bad build file causes, so
// callers can tell bad input (exit 2) from everything else.
var ErrInvalid = errors.New("invalid build file")

// Error is one problem found in a build file, at a position.
type Error struct {
	// Pos is where the problem is; it may be empty.
	Pos Pos
	// Msg says what is wrong and how to fix it.
	Msg string
	// Err is an underlying cause callers may test for with errors.Is, such
	// as graph.ErrEdgeCreatesCycle for a cycle; nil for most problems.
	Err error
}

// Error implements error: "FILE:LINE:COL: message".
func (e *Error) Error() string {
	if e.Pos.File == "" && e.Pos.Line == 0 {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// Unwrap makes every Error match ErrInvalid, and its cause when it has one.
func (e *Error) Unwrap() error {
	if e.Err == nil {
		return ErrInvalid
	}
	return errors.Join(ErrInvalid, e.Err)
}

// ErrorList is every problem found in a build file, in file order.
type ErrorList []*Error

// Error implements error, one problem per line.
func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the problems, so errors.Is(err, ErrInvalid) holds.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}
