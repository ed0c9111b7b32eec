package containers

import (
	"errors"
	"testing"

	"github.com/weld-build/weld/builder"
)

func TestBaseMatch(t *testing.T) {
	const dgst = "sha256:1c9242f817fc5ae08b380370a8fca238e3a99dc45785015c6ffc50effa0a5548"
	weld := func(name, d string) map[string]string {
		return map[string]string{builder.LabelStep: "app", builder.LabelBaseName: name, builder.LabelBaseDigest: d}
	}
	for _, tc := range []struct {
		base   string
		labels map[string]string
		want   bool
	}{
		{"alpine", weld("alpine:3.20", ""), true},
		{"alpine", weld("docker.io/library/alpine:3.19", ""), true},
		{"docker.io/library/alpine", weld("alpine", ""), true},
		{"alpine:3.20", weld("alpine:3.20", ""), true},
		{"alpine:3.20", weld("alpine:3.19", ""), false},
		{"alpine:latest", weld("alpine", ""), true},
		{"alpine", weld("alpinex:3.20", ""), false},
		{"alpine", weld("example.com/alpine:3.20", ""), false},
		{"busybox", weld("busybox", dgst), true},
		{dgst, weld("busybox", dgst), true},
		{dgst, weld("busybox", ""), false},
		{"busybox@" + dgst, weld("other", dgst), true},
		{"busybox@" + dgst, weld("busybox", "sha256:"+dgst[len(dgst)-64:len(dgst)-1]+"0"), false},
		// Not built by weld: the base labels alone do not make a match.
		{"alpine", map[string]string{builder.LabelBaseName: "alpine"}, false},
		{dgst, map[string]string{builder.LabelBaseDigest: dgst}, false},
		{"alpine", nil, false},
		{"alpine", weld("", ""), false},
	} {
		b, err := ParseBase(tc.base)
		if err != nil {
			t.Fatalf("ParseBase(%q): %v", tc.base, err)
		}
		if got := b.Match(tc.labels); got != tc.want {
			t.Errorf("ParseBase(%q).Match(%v) = %v, want %v", tc.base, tc.labels, got, tc.want)
		}
	}
}

func TestParseBaseRefusesJunk(t *testing.T) {
	for _, ref := range []string{"", "a b", "sha256:" + "ZZ", "sha256:short", "alpine:"} {
		if _, err := ParseBase(ref); !errors.Is(err, ErrBadBase) {
			t.Errorf("ParseBase(%q) = %v, want ErrBadBase", ref, err)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	var tb tailBuffer
	big := make([]byte, MaxOutput+10)
	for i := range big {
		big[i] = 'a'
	}
	big[len(big)-1] = 'z'
	tb.Write(big)
	tb.Write([]byte("end"))
	if len(tb.b) != MaxOutput || string(tb.b[len(tb.b)-4:]) != "zend" {
		t.Errorf("tail of %d bytes ending %q, want %d ending zend", len(tb.b), tb.b[len(tb.b)-4:], MaxOutput)
	}
}
