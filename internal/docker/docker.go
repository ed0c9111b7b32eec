// Package docker is the little of the Docker Engine API weld needs: ping an
// engine and load an image tarball into it. It speaks HTTP over the engine's
// socket itself rather than pull in the Docker client module.
package docker

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// DefaultHost is the engine's address when DOCKER_HOST is unset.
const DefaultHost = "unix:///var/run/docker.sock"

// Host returns host, else $DOCKER_HOST, else DefaultHost.
func Host(host string) string {
	if host != "" {
		return host
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return DefaultHost
}

func client(host string) (*http.Client, string, error) {
	switch {
	case strings.HasPrefix(host, "unix://"):
		path := strings.TrimPrefix(host, "unix://")
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}}
		return &http.Client{Transport: tr}, "http://docker", nil
	case strings.HasPrefix(host, "tcp://"):
		return &http.Client{}, "http://" + strings.TrimPrefix(host, "tcp://"), nil
	}
	return nil, "", fmt.Errorf("docker host %q: want unix://PATH or tcp://HOST:PORT", host)
}

// Ping reports whether an engine answers at host.
func Ping(ctx context.Context, host string) error {
	c, base, err := client(host)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("pinging docker at %s: %w", host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pinging docker at %s: %s", host, resp.Status)
	}
	return nil
}

// Load loads a docker-format image tarball (docker save's) into the engine.
// It never closes tarball: a caller streaming into a pipe closes the pipe
// with Load's error, which a close by the HTTP client would hide.
func Load(ctx context.Context, host string, tarball io.Reader) error {
	c, base, err := client(host)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/images/load?quiet=1", io.NopCloser(tarball))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-tar")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("loading into docker at %s: %w", host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		dt, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("loading into docker at %s: %s: %s", host, resp.Status, strings.TrimSpace(string(dt)))
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var msg struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) == nil && msg.Error != "" {
			return fmt.Errorf("loading into docker at %s: %s", host, msg.Error)
		}
	}
	return sc.Err()
}
