package report

import (
	"os"
	"testing"
)

func TestZZWrite(t *testing.T) {
	p, res := chain(t)
	f, _ := os.Create("/tmp/r.html")
	Build(p, res).WriteHTML(f)
	f.Close()
	f, _ = os.Create("/tmp/evil.html")
	evilReport(t).WriteHTML(f)
	f.Close()
}
