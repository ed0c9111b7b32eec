package poolfile

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	data := `
- addr: unix:///run/buildkit/a.sock
- addr: tcp://10.0.0.2:1234
  tls: {ca: certs/ca.pem, cert: certs/c.pem, key: /abs/k.pem, server_name: bk-1}
  capacity: 4
  platforms: [linux/amd64, linux/arm64]
- addr: kube-pod://buildkitd-0?namespace=ci
`
	got, err := Parse("pool/builders.yml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Builder{
		{Addr: "unix:///run/buildkit/a.sock", Capacity: 1, Line: 2, Col: 3},
		{Addr: "tcp://10.0.0.2:1234", Capacity: 4, Line: 3, Col: 3,
			TLS:       &TLS{CA: "pool/certs/ca.pem", Cert: "pool/certs/c.pem", Key: "/abs/k.pem", ServerName: "bk-1"},
			Platforms: []string{"linux/amd64", "linux/arm64"}},
		{Addr: "kube-pod://buildkitd-0?namespace=ci", Capacity: 1, Line: 7, Col: 3},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Parse: -want +got:\n%s", d)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "b.yml:1:1: the file is empty"},
		{"syntax", "- addr: [", "b.yml:1:"},
		{"not a list", "addr: unix:///x", "b.yml:1:1: want a list of daemons"},
		{"empty list", "[]", "b.yml:1:1: the list is empty"},
		{"scalar entry", "- unix:///x", "b.yml:1:3: want a daemon"},
		{"no addr", "- capacity: 2", "b.yml:1:3: this daemon has no addr"},
		{"bad scheme", "- addr: http://x", "b.yml:1:9: addr \"http://x\": use unix://PATH"},
		{"tcp no port", "- addr: tcp://host", "b.yml:1:9: addr \"tcp://host\""},
		{"unknown key", "- addr: unix:///x\n  capacty: 2", "b.yml:2:3: unknown key \"capacty\" (known: addr, tls, capacity, platforms); did you mean \"capacity\"?"},
		{"zero capacity", "- addr: unix:///x\n  capacity: 0", "b.yml:2:13: capacity must be a whole number"},
		{"text capacity", "- addr: unix:///x\n  capacity: many", "b.yml:2:13: capacity must be a whole number"},
		{"bad platform", "- addr: unix:///x\n  platforms: [linux/amd64, 'os/'] ", "b.yml:2:28: platform \"os/\""},
		{"platforms scalar", "- addr: unix:///x\n  platforms: linux/amd64", "b.yml:2:14: platforms must be a list"},
		{"tls on unix", "- addr: unix:///x\n  tls: {ca: a}", "b.yml:1:9: tls: is for tcp:// daemons"},
		{"cert without key", "- addr: tcp://h:1\n  tls: {cert: c}", "b.yml:2:9: tls needs both cert: and key:"},
		{"tls unknown", "- addr: tcp://h:1\n  tls: {cacert: c}", "b.yml:2:9: unknown key \"cacert\" under tls"},
		{"duplicate", "- addr: unix:///x\n- addr: unix:///x", "b.yml:2:3: daemon unix:///x is listed twice (first at line 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("b.yml", []byte(tc.data))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Parse(%q) = %v, want an error starting %q", tc.data, err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) = %v, want it to wrap ErrInvalid", tc.data, err)
			}
		})
	}
}

// TestDeployExample: the builders file deploy/kubernetes/ shows parses.
func TestDeployExample(t *testing.T) {
	name := "../../deploy/kubernetes/builders.yml"
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].TLS == nil || got[0].Capacity != 4 {
		t.Errorf("Parse(%s) = %+v, want three daemons of capacity 4 with TLS", name, got)
	}
}
