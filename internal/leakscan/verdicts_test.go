package leakscan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// memVerdicts is a Verdicts in memory that counts what was asked.
type memVerdicts struct {
	clean  map[digest.Digest]bool
	asked  int
	marked []digest.Digest
}

func (m *memVerdicts) Clean(d digest.Digest) bool { m.asked++; return m.clean[d] }

func (m *memVerdicts) MarkClean(d digest.Digest) {
	m.clean[d] = true
	m.marked = append(m.marked, d)
}

// blobsOf lists the digests of the blobs of layout dir.
func blobsOf(t *testing.T, dir string) []digest.Digest {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	var out []digest.Digest
	for _, e := range ents {
		out = append(out, digest.NewDigestFromEncoded(digest.SHA256, e.Name()))
	}
	return out
}

func TestVerdictsMarkOnlyCleanWholeBlobs(t *testing.T) {
	small := limits{depth: MaxDepth, decoded: 1 << 20, ratio: MaxRatio, floor: RatioFloor}
	dir := layout(t, []map[string]string{
		{"bin/app": "binary"},
		{"etc/token": token},
		{"big.gz": gzipOf(t, randomBytes(2<<20))}, // past the 1 MiB budget: incomplete
	}, `{"history":[]}`)
	v := &memVerdicts{clean: map[digest.Digest]bool{}}
	got, err := scanLayout(dir, tok(), small, v)
	if err != nil {
		t.Fatal(err)
	}
	var leaks, incomplete int
	for _, f := range got {
		if f.Incomplete != "" {
			incomplete++
		} else {
			leaks++
		}
	}
	if leaks != 1 || incomplete != 1 {
		t.Fatalf("findings %v, want one leak and one incomplete scan", got)
	}
	all := blobsOf(t, dir)
	if v.asked != len(all) {
		t.Errorf("asked about %d blobs, want all %d", v.asked, len(all))
	}
	// Two layers of three are not clean (a secret, a budget passed): every
	// other blob is marked, those two are not.
	if len(v.marked) != len(all)-2 {
		t.Errorf("marked %d of %d blobs clean, want all but the leaking and the incomplete layer", len(v.marked), len(all))
	}
	for _, f := range got {
		if v.clean[digest.Digest(f.Blob)] {
			t.Errorf("blob %s of finding %q was marked clean", f.Blob, f)
		}
	}
}

func TestVerdictsSkipABlobFoundCleanBefore(t *testing.T) {
	dir := layout(t, []map[string]string{{"etc/token": token}})
	v := &memVerdicts{clean: map[digest.Digest]bool{}}
	first, err := scanLayout(dir, tok(), defaultLimits, v)
	if err != nil || len(first) != 1 || !strings.Contains(first[0].String(), "/etc/token") {
		t.Fatalf("first scan = %v, %v; want the leak in /etc/token", first, err)
	}
	// A verdict says every blob is clean (as a verdict for other secrets
	// would, were it keyed alike): the scan trusts it and reads nothing.
	for _, d := range blobsOf(t, dir) {
		v.clean[d] = true
	}
	again, err := scanLayout(dir, tok(), defaultLimits, v)
	if err != nil || len(again) != 0 {
		t.Fatalf("scan with every blob clean = %v, %v; want nothing read", again, err)
	}
	// Without verdicts the same layout leaks again.
	if got, _ := scanLayout(dir, tok(), defaultLimits, nil); len(got) != 1 {
		t.Fatalf("scan without verdicts = %v, want the leak", got)
	}
}
