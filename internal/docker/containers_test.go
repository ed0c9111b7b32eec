package docker

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func frame(stream byte, s string) []byte {
	h := make([]byte, 8)
	h[0] = stream
	binary.BigEndian.PutUint32(h[4:], uint32(len(s)))
	return append(h, s...)
}

func TestDemux(t *testing.T) {
	in := append(append(frame(1, "out\n"), frame(2, "err\n")...), frame(1, "")...)
	var out bytes.Buffer
	if err := demux(bytes.NewReader(in), &out); err != nil || out.String() != "out\nerr\n" {
		t.Errorf("demux = %q, %v; want the frames' payloads", out.String(), err)
	}
	if err := demux(bytes.NewReader(frame(1, "cut")[:9]), &out); err == nil {
		t.Errorf("demux of a cut frame = nil, want an error")
	}
}
