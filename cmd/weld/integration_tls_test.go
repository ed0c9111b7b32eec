//go:build integration

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestTCPWithTLS: weld builds on a buildkitd that listens on tcp:// with
// mutual TLS (--tlscacert/--tlscert/--tlskey), and without the client's
// certificate it fails with exit 1 and says where it tried to connect.
func TestTCPWithTLS(t *testing.T) {
	e := testEnv(t)
	dir := t.TempDir()
	certs := writeCerts(t, dir)
	port := freePort(t)
	addr := "tcp://127.0.0.1:" + strconv.Itoa(port)
	startBuildkitd(t, dir, addr, "127.0.0.1:"+strconv.Itoa(port),
		"--tlscacert", certs["ca.pem"], "--tlscert", certs["server.pem"], "--tlskey", certs["server-key.pem"])
	project := writeProject(t, map[string]string{
		"build.yml":  "build:\n  version: 2016-03-14\n  steps:\n    app:\n      name: weld-tls\n",
		"Dockerfile": "FROM busybox\nRUN echo " + nonce(t) + " > /x\nUSER 1000\n",
	})
	w := e.command(project, "", "--addr", addr, "--tlscacert", certs["ca.pem"],
		"--tlscert", certs["client.pem"], "--tlskey", certs["client-key.pem"], "--output", "oci:out")
	w.expect(t, w.run(t, 3*time.Minute), 0)
	if _, err := os.Stat(filepath.Join(project, "out", "app", "index.json")); err != nil {
		t.Errorf("the image was not written: %v", err)
	}
	w = e.command(project, "", "--addr", addr, "--tlscacert", certs["ca.pem"], "--output", "oci:out2")
	w.expect(t, w.run(t, time.Minute), 1, "connecting to BuildKit at "+addr)
}

// writeCerts makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, as PEM files in dir, and returns their paths by name.
func writeCerts(t *testing.T, dir string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	write := func(name, typ string, der []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "weld test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	write("ca.pem", "CERTIFICATE", caDER)
	for i, name := range []string{"server", "client"} {
		k := newKey()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		write(name+".pem", "CERTIFICATE", der)
		write(name+"-key.pem", "EC PRIVATE KEY", kder)
	}
	return paths
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
