// Package poolfile reads a builders file (weld build --builders FILE): the
// list of BuildKit daemons one build spreads over, each with its address,
// optional TLS files, capacity (steps at once) and platforms. Parsing is
// pure; every error is FILE:LINE:COL: what is wrong and how to fix it.
package poolfile

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"gopkg.in/yaml.v3"

	"github.com/weld-build/weld/internal/yamlx"
)

// ErrInvalid marks a builders file that cannot be used.
var ErrInvalid = errors.New("invalid builders file")

// Error is a problem at a position of the builders file.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg) }

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// TLS are the files of a tcp:// daemon's mutual TLS, resolved against the
// builders file's folder.
type TLS struct {
	// CA is the CA certificate the daemon's certificate must chain to.
	CA string `yaml:"ca"`
	// Cert and Key are the client's certificate and key.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// ServerName is the name the daemon's certificate must carry.
	ServerName string `yaml:"server_name"`
}

// Builder is one daemon of the pool.
type Builder struct {
	// Addr is any address BuildKit's client accepts: unix://, tcp://,
	// docker-container://, kube-pod://, podman-container://, ssh://.
	Addr string `yaml:"addr"`
	// TLS is for tcp:// daemons; nil without.
	TLS *TLS `yaml:"tls"`
	// Capacity is how many steps it runs at once (1 when not given).
	Capacity int `yaml:"capacity"`
	// Platforms are the platforms it builds for (any when empty).
	Platforms []string `yaml:"platforms"`
	// Line and Col place the entry in the file.
	Line, Col int `yaml:"-"`
}

// Parse reads a builders file: a YAML list of builders. name is the file's
// path, for messages and to resolve the TLS files' relative paths.
func Parse(name string, data []byte) ([]Builder, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, col, msg := yamlx.SyntaxPos(data, err)
		return nil, &Error{File: name, Line: line, Col: col, Msg: "YAML syntax: " + msg}
	}
	p := parser{file: name, dir: filepath.Dir(name)}
	if len(doc.Content) == 0 {
		return nil, p.errf(&doc, "the file is empty: list the daemons, e.g. - addr: unix:///run/buildkit/buildkitd.sock")
	}
	root := doc.Content[0]
	if root.Kind != yaml.SequenceNode {
		return nil, p.errf(root, "want a list of daemons (- addr: ...), not %s", yamlx.KindName(root))
	}
	if len(root.Content) == 0 {
		return nil, p.errf(root, "the list is empty: name at least one daemon (- addr: ...)")
	}
	seen := map[string]*yaml.Node{}
	var out []Builder
	for _, n := range root.Content {
		b, err := p.builder(n)
		if err != nil {
			return nil, err
		}
		if first, dup := seen[b.Addr]; dup {
			return nil, p.errf(n, "daemon %s is listed twice (first at line %d); list each once and give it a capacity", b.Addr, first.Line)
		}
		seen[b.Addr] = n
		out = append(out, b)
	}
	return out, nil
}

type parser struct{ file, dir string }

func (p parser) errf(n *yaml.Node, format string, args ...any) error {
	return &Error{File: p.file, Line: max(n.Line, 1), Col: max(n.Column, 1), Msg: fmt.Sprintf(format, args...)}
}

var builderKeys = []string{"addr", "tls", "capacity", "platforms"}

// builder reads one entry of the list.
func (p parser) builder(n *yaml.Node) (Builder, error) {
	b := Builder{Capacity: 1, Line: n.Line, Col: n.Column}
	if n.Kind != yaml.MappingNode {
		return b, p.errf(n, "want a daemon (addr: ..., capacity: ...), not %s", yamlx.KindName(n))
	}
	var addrNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "addr":
			addrNode = v
			b.Addr, err = p.addr(v)
		case "tls":
			b.TLS, err = p.tls(v)
		case "capacity":
			b.Capacity, err = p.capacity(v)
		case "platforms":
			b.Platforms, err = p.platforms(v)
		default:
			err = p.errf(k, "unknown key %q (known: %s)%s", k.Value, strings.Join(builderKeys, ", "), yamlx.DidYouMean(k.Value, builderKeys))
		}
		if err != nil {
			return b, err
		}
	}
	if addrNode == nil {
		return b, p.errf(n, "this daemon has no addr: give its address, e.g. addr: tcp://buildkitd-0.buildkitd:1234")
	}
	if b.TLS != nil && !strings.HasPrefix(b.Addr, "tcp://") {
		return b, p.errf(addrNode, "tls: is for tcp:// daemons, and %s is not one; drop tls: or use tcp://", b.Addr)
	}
	return b, nil
}

func (p parser) scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || yamlx.IsNull(n) {
		return "", p.errf(n, "%s must be a string, not %s", what, yamlx.KindName(n))
	}
	return n.Value, nil
}

func (p parser) addr(n *yaml.Node) (string, error) {
	a, err := p.scalar(n, "addr")
	if err != nil {
		return "", err
	}
	if !ValidAddr(a) {
		return "", p.errf(n, "addr %q: use unix://PATH, tcp://HOST:PORT, docker-container://NAME, kube-pod://POD, podman-container://NAME or ssh://USER@HOST", a)
	}
	return a, nil
}

// ValidAddr reports whether a is a BuildKit address with a scheme its
// client knows and something after it (a socket path, a host:port, a name).
func ValidAddr(a string) bool {
	scheme, rest, ok := strings.Cut(a, "://")
	if !ok || rest == "" {
		return false
	}
	switch scheme {
	case "unix", "docker-container", "kube-pod", "podman-container", "ssh", "npipe":
		return true
	case "tcp":
		_, port, err := net.SplitHostPort(rest)
		return err == nil && port != ""
	}
	return false
}

var tlsKeys = []string{"ca", "cert", "key", "server_name"}

func (p parser) tls(n *yaml.Node) (*TLS, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, "tls must be a map (ca:, cert:, key:, server_name:), not %s", yamlx.KindName(n))
	}
	t := &TLS{}
	var certNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		s, err := p.scalar(v, "tls."+k.Value)
		if err != nil {
			return nil, err
		}
		switch k.Value {
		case "ca":
			t.CA = p.path(s)
		case "cert":
			t.Cert, certNode = p.path(s), k
		case "key":
			t.Key = p.path(s)
		case "server_name":
			t.ServerName = s
		default:
			return nil, p.errf(k, "unknown key %q under tls (known: %s)%s", k.Value, strings.Join(tlsKeys, ", "), yamlx.DidYouMean(k.Value, tlsKeys))
		}
	}
	if (t.Cert == "") != (t.Key == "") {
		at := n
		if certNode != nil {
			at = certNode
		}
		return nil, p.errf(at, "tls needs both cert: and key: (the client's certificate and its key), or neither")
	}
	return t, nil
}

// path resolves a TLS file against the builders file's folder.
func (p parser) path(s string) string {
	if s == "" || filepath.IsAbs(s) {
		return s
	}
	return filepath.Join(p.dir, s)
}

func (p parser) capacity(n *yaml.Node) (int, error) {
	c, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || c < 1 || c > 1024 {
		return 0, p.errf(n, "capacity must be a whole number of steps at once, 1 to 1024, not %s", yamlx.KindName(n))
	}
	return c, nil
}

func (p parser) platforms(n *yaml.Node) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, "platforms must be a list (e.g. [linux/amd64, linux/arm64]), not %s", yamlx.KindName(n))
	}
	var out []string
	for _, v := range n.Content {
		s, err := p.scalar(v, "a platform")
		if err != nil {
			return nil, err
		}
		pl, err := platforms.Parse(s)
		if err != nil {
			return nil, p.errf(v, "platform %q: %v (write os/arch[/variant], e.g. linux/arm64)", s, err)
		}
		out = append(out, platforms.Format(pl))
	}
	return out, nil
}
