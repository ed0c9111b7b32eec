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

func TestRedactAddr(t *testing.T) {
	for in, want := range map[string]string{
		"unix:///run/buildkit/buildkitd.sock":  "unix:///run/buildkit/buildkitd.sock",
		"tcp://10.0.0.1:1234":                  "tcp://10.0.0.1:1234",
		"ssh://ci:hunter2@builder.example":     "ssh://ci@builder.example",
		"kube-pod://buildkitd-0?namespace=ci":  "kube-pod://buildkitd-0?namespace=ci",
		"docker-container://buildx_buildkit_0": "docker-container://buildx_buildkit_0",
	} {
		if got := RedactAddr(in); got != want {
			t.Errorf("RedactAddr(%q) = %q, want %q", in, got, want)
		}
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
