package leakscan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestContainers(t *testing.T) {
	sec := []byte(token)
	inner := "config:\n  token: " + token + "\n"
	bz2, err := os.ReadFile("testdata/token.yml.bz2") // bzip2 -9 of inner; Go writes no bzip2
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // file|encoding|containers
	}{
		{"gzip", map[string]string{"app/s.gz": gzipOf(t, []byte(inner))}, []string{"app/s.gz|raw|gzip"}},
		{"gzip under a name that says nothing", map[string]string{"app/data.bin": gzipOf(t, []byte(inner))}, []string{"app/data.bin|raw|gzip"}},
		{"a name that says gzip over plain bytes", map[string]string{"app/s.gz": inner}, []string{"app/s.gz|raw|"}},
		{"base64 in gzip", map[string]string{"s.gz": gzipOf(t, []byte(base64.StdEncoding.EncodeToString(sec)))}, []string{"s.gz|base64|gzip"}},
		{"hex in zstd", map[string]string{"s.zst": zstdOf(t, []byte(hex.EncodeToString(sec)))}, []string{"s.zst|hex|zstd"}},
		{"xz", map[string]string{"s.xz": xzOf(t, []byte(inner))}, []string{"s.xz|raw|xz"}},
		{"bzip2", map[string]string{"s.bz2": string(bz2)}, []string{"s.bz2|raw|bzip2"}},
		{"tar", map[string]string{"app/b.tar": tarOf(t, map[string]string{"inner/secret.txt": inner, "inner/other": "x"})}, []string{"app/b.tar!/inner/secret.txt|raw|tar"}},
		{"tar.gz", map[string]string{"app/bundle.tar.gz": gzipOf(t, []byte(tarOf(t, map[string]string{"./inner/secret.txt": inner})))}, []string{"app/bundle.tar.gz!/inner/secret.txt|raw|gzip+tar"}},
		{"secret as a name in tar.gz", map[string]string{"app/b.tgz": gzipOf(t, []byte(tarOf(t, map[string]string{"keys/" + token: "x"})))}, []string{"app/b.tgz!/keys/<secret>|raw|gzip+tar"}},
		{"zip deflated, with data descriptors", map[string]string{"app/a.zip": zipOf(t, false, map[string]string{"a.txt": "nothing", "secret.txt": inner, "z.txt": "after"})}, []string{"app/a.zip!/secret.txt|raw|zip"}},
		{"zip stored", map[string]string{"app/a.jar": zipOf(t, true, map[string]string{"secret.txt": strings.ToUpper(inner)})}, []string{"app/a.jar!/secret.txt|case-folded|zip"}},
		{"zip deflated, sizes in the headers", map[string]string{"app/a.zip": zipSized(t, zip.Deflate, map[string]string{"a": strings.Repeat("a", 10000), "s.txt": "x" + token, "z": "after"})}, []string{"app/a.zip!/s.txt|raw|zip"}},
		{"zip deflated, then one member after it", map[string]string{"app/a.zip": zipSized(t, zip.Deflate, map[string]string{"a": strings.Repeat("pad", 1000), "b.gz": gzipOf(t, []byte(token))})}, []string{"app/a.zip!/b.gz|raw|zip+gzip"}},
		{"zip member in zstd", map[string]string{"z.zip": zipSized(t, 93, map[string]string{"s": strings.Repeat(token+" ", 50)})}, []string{"z.zip!/s|raw|zip"}},
		{"secret as a name in zip", map[string]string{"a.zip": zipOf(t, false, map[string]string{token + ".txt": "x"})}, []string{"a.zip!/<secret>.txt|raw|zip"}},
		{"zip inside tar.gz", map[string]string{"app/bundle.tar.gz": gzipOf(t, []byte(tarOf(t, map[string]string{
			"inner/a.zip": zipOf(t, false, map[string]string{"deep/secret.txt": inner}),
		})))}, []string{"app/bundle.tar.gz!/inner/a.zip!/deep/secret.txt|raw|gzip+tar+zip"}},
		{"gzip inside zip inside tar", map[string]string{"x.tar": tarOf(t, map[string]string{
			"a.zip": zipOf(t, true, map[string]string{"s.gz": gzipOf(t, []byte(hex.EncodeToString(sec)))}),
		})}, []string{"x.tar!/a.zip!/s.gz|hex|tar+zip+gzip"}},
		{"nested as deep as MaxDepth", map[string]string{"d": nest(t, MaxDepth, inner)}, []string{"d|raw|" + strings.Repeat("gzip+", MaxDepth-1) + "gzip"}},
		{"nested deeper than MaxDepth", map[string]string{"d": nest(t, MaxDepth+1, inner)}, []string{"d|incomplete|" + strings.Repeat("gzip+", MaxDepth) + "gzip"}},
		{"gzip header's file name", map[string]string{"n.gz": gzipNamed(t, token+".txt", "x")}, []string{"n.gz|raw|gzip"}},
		{"corrupt gzip is scanned as far as it goes", map[string]string{"c.gz": gzipOf(t, []byte(inner))[:40]}, nil},
		{"tar with bytes after its end", map[string]string{"t.tar": tarOf(t, map[string]string{"a": "b"}) + inner}, []string{"t.tar|raw|"}},
		{"clean containers", map[string]string{"a.tgz": gzipOf(t, []byte(tarOf(t, map[string]string{"x": "y"}))), "b.zip": zipOf(t, false, map[string]string{"c": "d"})}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, places(t, tc.files, tok(), defaultLimits)); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}

// nest gzips content n times.
func nest(t *testing.T, n int, content string) string {
	for range n {
		content = gzipOf(t, []byte(content))
	}
	return content
}

func gzipNamed(t *testing.T, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Name = name
	w.Write([]byte(content))
	w.Close()
	return buf.String()
}

// zeros gzips n MiB of zeros as concatenated members of 64 MiB (a gzip
// reader reads them as one stream), so that making a bomb is quick.
func zeros(t *testing.T, mib int) string {
	t.Helper()
	var one bytes.Buffer
	w, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
	w.Write(make([]byte, 64<<20))
	w.Close()
	return strings.Repeat(one.String(), mib/64)
}

// TestBombs: a small file that decompresses to far more is bounded in time
// and memory, and reported as not fully scanned, which refuses the image.
func TestBombs(t *testing.T) {
	bomb := zeros(t, 8<<10) // 8 GiB of zeros in about 8 MiB
	small := limits{depth: MaxDepth, decoded: 8 << 20, ratio: MaxRatio, floor: RatioFloor}
	for _, tc := range []struct {
		name  string
		files map[string]string
		lim   limits
		want  []string
		why   string
	}{
		{"gzip of 8 GiB of zeros", map[string]string{"app/bomb.gz": bomb}, defaultLimits,
			[]string{"app/bomb.gz|incomplete|gzip"}, "more than 1000 times its size"},
		{"zip of zeros in a tar.gz", map[string]string{"b.tgz": gzipOf(t, []byte(tarOf(t, map[string]string{"z.zip": zipOf(t, false, map[string]string{"zero": string(make([]byte, 64<<20))})})))}, defaultLimits,
			[]string{"b.tgz!/z.zip!/zero|incomplete|gzip+tar+zip"}, "more than 1000 times its size"},
		{"past the budget of a file", map[string]string{"big.gz": gzipOf(t, randomBytes(10<<20))}, small,
			[]string{"big.gz|incomplete|gzip"}, "budget of 8 MiB for one layer file"},
		{"a secret before the bound is still found", map[string]string{"big.gz": gzipOf(t, append([]byte(token), randomBytes(10<<20)...))}, small,
			[]string{"big.gz|incomplete|gzip", "big.gz|raw|gzip"}, "budget of 8 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := layout(t, []map[string]string{tc.files})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			got, err := scanLayout(dir, tok(), tc.lim, nil)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatalf("ScanLayout: %v", err)
			}
			var places []string
			for _, f := range got {
				enc := f.Encoding
				if f.Incomplete != "" {
					enc = "incomplete"
					if !strings.Contains(f.String(), "not fully scanned: ") || !strings.Contains(f.String(), tc.why) {
						t.Errorf("finding %q, want it to say not fully scanned: …%s", f, tc.why)
					}
				}
				places = append(places, f.File+"|"+enc+"|"+f.Container)
			}
			if d := cmp.Diff(tc.want, places); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
			if grew := after.HeapInuse - min(after.HeapInuse, before.HeapInuse); grew > 64<<20 {
				t.Errorf("the scan grew the heap by %d MiB, want at most 64", grew>>20)
			}
			if took > 30*time.Second {
				t.Errorf("the scan took %v, want it bounded (under 30s)", took)
			}
			err = &Error{Image: "app", Findings: got}
			if !errors.Is(err, ErrLeak) || !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "could not be fully scanned") {
				t.Errorf("Error() = %q, want it to match ErrLeak and ErrIncomplete and say the image could not be fully scanned", err)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	hdr := func(typ byte, magic string) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		h := &tar.Header{Name: "f", Size: 0, Typeflag: typ}
		if magic == "gnu" {
			h.Format = tar.FormatGNU
		}
		tw.WriteHeader(h)
		return buf.Bytes()
	}
	v7 := hdr(tar.TypeReg, "")
	copy(v7[257:265], make([]byte, 8)) // no ustar magic: an old V7 header
	fixChecksum(v7)
	for _, tc := range []struct {
		name string
		head []byte
		want string
	}{
		{"gzip", []byte(gzipOf(t, []byte("x"))), "gzip"},
		{"zstd", []byte(zstdOf(t, []byte("x"))), "zstd"},
		{"xz", []byte(xzOf(t, []byte("x"))), "xz"},
		{"bzip2", []byte("BZh91AY&SY...."), "bzip2"},
		{"BZh alone", []byte("BZh9 is not enough"), ""},
		{"zip", []byte(zipOf(t, false, map[string]string{"a": "b"})), "zip"},
		{"ustar", hdr(tar.TypeReg, ""), "tar"},
		{"gnu tar", hdr(tar.TypeReg, "gnu"), "tar"},
		{"v7 tar", v7, "tar"},
		{"a tar header with a wrong checksum", append([]byte("x"), hdr(tar.TypeReg, "")[1:]...), ""},
		{"text", []byte(strings.Repeat("hello ", 100)), ""},
		{"zeros", make([]byte, 512), ""},
	} {
		if got := sniff(tc.head); got != tc.want {
			t.Errorf("sniff(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func fixChecksum(h []byte) {
	copy(h[148:156], "        ")
	var sum int64
	for _, b := range h[:512] {
		sum += int64(b)
	}
	copy(h[148:156], []byte(strings.Repeat("0", 6-len(octal(sum)))+octal(sum)+"\x00 "))
}

func octal(n int64) string {
	s := ""
	for ; n > 0; n /= 8 {
		s = string(rune('0'+n%8)) + s
	}
	return s
}

// TestWindowBounds: a zstd frame or an xz stream that asks for a window
// larger than MaxWindow is not decompressed, and is reported.
func TestWindowBounds(t *testing.T) {
	// A single-segment zstd frame (its window is its size) of 32 GiB.
	z := "\x28\xb5\x2f\xfd\xe0" + "\x00\x00\x00\x00\x08\x00\x00\x00" + "\x01\x00\x00" + "x"
	if d := cmp.Diff([]string{"big.zst|incomplete|zstd"}, places(t, map[string]string{"big.zst": z}, tok(), defaultLimits)); d != "" {
		t.Errorf("zstd: findings (-want +got):\n%s", d)
	}

	x := []byte(xzOf(t, []byte(token)))
	if d := xzDict(x); d != 8<<20 {
		t.Fatalf("xzDict(xz -6 stream) = %d, want %d", d, 8<<20)
	}
	// The LZMA2 dictionary byte: 40 is 4 GiB. (Its CRC no longer holds, but
	// the bound is checked before anything is decoded.)
	i := bytes.Index(x[12:40], []byte{0x21, 0x01}) + 12 + 2
	x[i] = 40
	got := places(t, map[string]string{"big.xz": string(x)}, tok(), defaultLimits)
	// xz keeps so short a text as it is: the scan of the file's own bytes
	// finds it.
	if d := cmp.Diff([]string{"big.xz|incomplete|xz", "big.xz|raw|"}, got); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
}
