package redact

// Stream redacts one stream of chunks (a vertex's stdout, say): a value
// split between chunks is found in their concatenation. It holds back the
// end of what it was given only while that end could still begin a value,
// so most text passes at once; Flush releases the rest. A Stream is not
// safe for concurrent use.
type Stream struct {
	r       *Redactor
	pending []byte
}

// Stream returns a new Stream.
func (r *Redactor) Stream() *Stream { return &Stream{r: r} }

// Write takes the next chunk and returns what can be released of the
// stream so far, redacted; it may be empty, and it may share p's memory
// (never the Stream's).
func (s *Stream) Write(p []byte) []byte {
	r := s.r
	if r.Empty() {
		return p
	}
	buf, own := p, false
	if len(s.pending) > 0 {
		buf, own = append(s.pending, p...), true
	}
	spans, cut := r.scan(buf, true)
	// A match across the cut stays whole in the carry, unless it began so
	// long ago that the carry would grow without end (a value repeated
	// over and over, overlapping itself).
	for _, sp := range spans {
		if sp.start < cut && sp.end > cut {
			if cut-sp.start <= r.maxSpan {
				cut = sp.start
			} else {
				cut = sp.end
			}
			break
		}
	}
	var out []byte
	released := spans[:0:0]
	for _, sp := range spans {
		if sp.end <= cut {
			released = append(released, sp)
		}
	}
	switch {
	case len(released) > 0:
		out = r.replace(nil, buf[:cut], released)
	case own:
		out = append([]byte(nil), buf[:cut]...)
	default:
		out = buf[:cut:cut]
	}
	s.pending = append(s.pending[:0], buf[cut:]...)
	return out
}

// Flush returns what the Stream holds back, redacted, and empties it: at
// the end of the stream, or when nothing more is due for a while.
func (s *Stream) Flush() []byte {
	if len(s.pending) == 0 {
		return nil
	}
	out := s.r.Bytes(s.pending)
	if len(out) > 0 && &out[0] == &s.pending[0] {
		out = append([]byte(nil), out...)
	}
	s.pending = s.pending[:0]
	return out
}

// Pending reports how many bytes the Stream holds back.
func (s *Stream) Pending() int { return len(s.pending) }
