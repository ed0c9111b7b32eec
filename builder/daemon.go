package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moby/buildkit/client"
)

// ErrNoBuildkitd says that no buildkitd binary was found.
var ErrNoBuildkitd = errors.New("buildkitd not found")

// Daemon is weld's own local buildkitd: the OCI worker with runc, its state
// under the user's cache dir, its socket under the runtime dir, reused by the
// next run until stopped.
type Daemon struct {
	// Root is the state dir (--root).
	Root string
	// Socket is the unix socket path.
	Socket string
	// Binary is the buildkitd to start; found on demand when empty.
	Binary string
}

// LocalDaemon returns weld's local daemon at its default paths.
func LocalDaemon() (*Daemon, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("finding a cache dir for buildkitd's state: %w", err)
	}
	root := filepath.Join(cache, "weld", "buildkit")
	sock := filepath.Join(root, "buildkitd.sock")
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		sock = filepath.Join(rt, "weld", "buildkitd.sock")
	}
	return &Daemon{Root: root, Socket: sock}, nil
}

// Addr is the daemon's address for client.New.
func (d *Daemon) Addr() string { return "unix://" + d.Socket }

func (d *Daemon) pidFile() string { return filepath.Join(d.Root, "buildkitd.pid") }

// LogFile is where the daemon writes its log.
func (d *Daemon) LogFile() string { return filepath.Join(d.Root, "buildkitd.log") }

// PID returns the process id of the running daemon, or 0.
func (d *Daemon) PID() int {
	dt, err := os.ReadFile(d.pidFile())
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(dt)))
	if err != nil || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// Ping reports whether the daemon answers.
func (d *Daemon) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := client.New(ctx, d.Addr())
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.ListWorkers(ctx)
	return err
}

// Start starts the daemon unless it already answers, and waits until it does.
func (d *Daemon) Start(ctx context.Context) error {
	if d.PID() != 0 && d.Ping(ctx) == nil {
		return nil
	}
	bin, err := d.binary()
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("weld's local buildkitd runs as root with runc; run as root or point BUILDKIT_HOST (or --addr) at a running buildkitd")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return fmt.Errorf("runc not found: install it (apt-get install runc) or run scripts/setup.sh")
	}
	for _, dir := range []string{d.Root, filepath.Dir(d.Socket)} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	if fi, err := os.Lstat(d.Socket); err == nil && fi.Mode()&os.ModeSocket != 0 {
		_ = os.Remove(d.Socket) // a stale socket of an earlier daemon; nothing else
	}
	logf, err := os.OpenFile(d.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--root", d.Root, "--addr", d.Addr(),
		"--oci-worker=true", "--containerd-worker=false")
	if cfg := filepath.Join(d.Root, "buildkitd.toml"); fileExists(cfg) {
		cmd.Args = append(cmd.Args, "--config", cfg)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	if err := os.WriteFile(d.pidFile(), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if d.Ping(ctx) == nil {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("buildkitd exited (%v); its log %s ends with:\n%s", err, d.LogFile(), logTail(d.LogFile()))
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("buildkitd did not answer within 30s; its log %s ends with:\n%s", d.LogFile(), logTail(d.LogFile()))
		}
	}
}

// Stop stops the daemon and waits for it to exit.
func (d *Daemon) Stop(ctx context.Context) error {
	pid := d.PID()
	if pid == 0 {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stopping buildkitd (pid %d): %w", pid, err)
	}
	for i := 0; i < 100; i++ {
		if syscall.Kill(pid, 0) != nil {
			_ = os.Remove(d.pidFile())
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(100 * time.Millisecond):
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	_ = os.Remove(d.pidFile())
	return nil
}

// binary finds buildkitd: Binary, $WELD_BUILDKITD, $PATH, then the folder
// scripts/install-buildkit.sh installs into.
func (d *Daemon) binary() (string, error) {
	for _, p := range []string{d.Binary, os.Getenv("WELD_BUILDKITD")} {
		if p != "" {
			return p, nil
		}
	}
	if p, err := exec.LookPath("buildkitd"); err == nil {
		return p, nil
	}
	tools := os.Getenv("WELD_TOOLS")
	if tools == "" {
		if home, err := os.UserHomeDir(); err == nil {
			tools = filepath.Join(home, ".local", "share", "weld", "tools")
		}
	}
	if p := filepath.Join(tools, "bin", "buildkitd"); fileExists(p) {
		return p, nil
	}
	return "", fmt.Errorf("%w: run scripts/install-buildkit.sh (builds BuildKit v0.34.2 from the Go module proxy), put buildkitd on PATH, or point BUILDKIT_HOST at a running daemon", ErrNoBuildkitd)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func logTail(path string) string {
	dt, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	return strings.Join(lastLines(string(dt), 15), "\n")
}
