package leakscan

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchLayout writes an OCI-layout-like folder with one gzip layer of about
// size bytes: half incompressible binaries, half text, in files of 8 KiB to
// 1 MiB, as a normal image holds.
func benchLayout(b *testing.B, size int) string {
	return benchFiles(b, size, 8<<10, 1<<20)
}

// benchFiles is benchLayout with files of lo to hi bytes.
func benchFiles(b *testing.B, size, lo, hi int) string {
	b.Helper()
	rng := rand.New(rand.NewSource(1))
	words := strings.Fields("the quick brown fox jumps over lazy dog import func return error nil string package main config value server client http json yaml")
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	for i, n := 0, 0; n < size; i++ {
		l := lo + rng.Intn(hi-lo)
		data := make([]byte, l)
		if i%2 == 0 {
			rng.Read(data)
		} else {
			var t bytes.Buffer
			for t.Len() < l {
				t.WriteString(words[rng.Intn(len(words))])
				t.WriteByte(" \n"[rng.Intn(2)])
			}
			data = t.Bytes()[:l]
		}
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/lib/f%05d", i), Mode: 0o644, Size: int64(l), Typeflag: tar.TypeReg}); err != nil {
			b.Fatal(err)
		}
		tw.Write(data)
		n += l
	}
	tw.Close()
	gz.Close()
	dir := b.TempDir()
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(blobs, strings.Repeat("a", 64)), buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkScan scans a 64 MiB layer for 3 secrets that it does not hold.
func BenchmarkScan(b *testing.B) {
	const size = 64 << 20
	benchScan(b, benchLayout(b, size), size)
}

// BenchmarkScanSmallFiles scans a layer of 20,000 files of 100 B to 2 KiB
// (a node_modules), where what each file costs counts.
func BenchmarkScanSmallFiles(b *testing.B) {
	const size = 20 << 20
	benchScan(b, benchFiles(b, size, 100, 2<<10), size)
}

func benchScan(b *testing.B, dir string, size int64) {
	secrets := map[string][]byte{
		"npm":    []byte("npm_Xk29dLq81ZpQvR7sTbW3yHn5Jc0Me4Fa"),
		"aws":    []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
		"github": []byte("ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		f, err := ScanLayout(dir, secrets, nil)
		if err != nil || len(f) != 0 {
			b.Fatalf("ScanLayout = %v, %v; want nothing", f, err)
		}
	}
	// CPU time too: on a shared machine it varies less than the wall clock.
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
