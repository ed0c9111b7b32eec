package builder

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPoolNoneAnswers(t *testing.T) {
	dir := t.TempDir()
	a := "unix://" + filepath.Join(dir, "a.sock")
	b := "unix://" + filepath.Join(dir, "b.sock")
	p, err := NewPool(PoolMember{Connect: ConnectOptions{Addr: a}}, PoolMember{Connect: ConnectOptions{Addr: b}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = p.Connect(ctx)
	if !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("Connect = %v, want ErrNoDaemon", err)
	}
	for _, addr := range []string{a, b} {
		if !strings.Contains(err.Error(), addr) {
			t.Errorf("Connect = %v, want it to name %s", err, addr)
		}
	}
	if got := len(p.Left()); got != 2 {
		t.Errorf("Left() has %d daemons, want 2", got)
	}
}

func TestNewPoolRefuses(t *testing.T) {
	if _, err := NewPool(); err == nil {
		t.Error("NewPool() = nil error, want one")
	}
	m := PoolMember{Connect: ConnectOptions{Addr: "unix:///x"}}
	if _, err := NewPool(m, m); err == nil {
		t.Error("NewPool(m, m) = nil error, want one for the repeated address")
	}
}

func TestPoolNames(t *testing.T) {
	p, err := NewPool(PoolMember{Connect: ConnectOptions{Addr: "unix:///a/buildkitd.sock"}},
		PoolMember{Connect: ConnectOptions{Addr: "unix:///b/buildkitd.sock"}},
		PoolMember{Connect: ConnectOptions{Addr: "tcp://u:secret@10.0.0.1:1234"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"unix://buildkitd.sock#1", "unix://buildkitd.sock#2", "tcp://10.0.0.1:1234"}
	if got := p.Names(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Names() = %q, want %q", got, want)
	}
}

func TestWithStaging(t *testing.T) {
	for _, bad := range []string{"127.0.0.1:5000/x:tag", "Upper/Case", "r/x@sha256:" + strings.Repeat("a", 64)} {
		if _, err := makeOptions([]Option{WithStaging(bad)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("WithStaging(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	o, err := makeOptions([]Option{WithStaging("127.0.0.1:5000/weld-staging")})
	if err != nil || o.staging != "127.0.0.1:5000/weld-staging" {
		t.Errorf("WithStaging = %q, %v", o.staging, err)
	}
}
