package redact

// Error returns err with its message redacted, or err itself when the
// message holds no secret. The result unwraps to err, so errors.Is and
// errors.As still find what err wraps.
func (r *Redactor) Error(err error) error {
	if err == nil || r.Empty() {
		return err
	}
	if m := r.String(err.Error()); m != err.Error() {
		return &redactedError{err: err, msg: m}
	}
	return err
}

// Redacted reports whether err is already an error that Error made.
func Redacted(err error) bool {
	_, ok := err.(*redactedError)
	return ok
}

// redactedError is an error whose message is redacted.
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
