package dag

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genBuild writes a build.yml of n steps into a temp dir: a random DAG in
// which every step depends on up to 5 earlier ones. Most steps share a few
// Dockerfiles; every 100th has its own, FROM an earlier step's image. It
// returns the build file's path.
func genBuild(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	shared := map[string]string{
		"Dockerfile.a": "FROM alpine:3.20\nCOPY . /src\n",
		"Dockerfile.b": "ARG GO=1.26\nFROM golang:${GO} AS build\nRUN go build\nFROM scratch\nCOPY --from=build /app /app\n",
		"Dockerfile.c": "FROM debian:12 AS base\nFROM base\nRUN true\n",
	}
	for name, text := range shared {
		writeFile(tb, filepath.Join(dir, name), text)
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	var sb strings.Builder
	sb.WriteString("build:\n  version: 2016-03-14\n  steps:\n")
	for i := range n {
		fmt.Fprintf(&sb, "    s%d:\n      name: img-%d\n", i, i)
		df := []string{"Dockerfile.a", "Dockerfile.b", "Dockerfile.c"}[i%3]
		if i > 0 && i%100 == 0 {
			df = fmt.Sprintf("Dockerfile.%d", i)
			writeFile(tb, filepath.Join(dir, df), fmt.Sprintf("FROM img-%d\nRUN true\n", rng.IntN(i)))
		}
		fmt.Fprintf(&sb, "      dockerfile: %s\n", df)
		if i%10 == 0 {
			sb.WriteString("      args:\n        VERSION: _env(VERSION)\n")
		}
		fmt.Fprintf(&sb, "      artifacts:\n        - /out/s%d:dist\n", i)
		if i > 0 {
			sb.WriteString("      depends_on:\n")
			for range rng.IntN(min(i, 5) + 1) {
				fmt.Fprintf(&sb, "        - s%d\n", rng.IntN(i))
			}
		}
	}
	path := filepath.Join(dir, "build.yml")
	writeFile(tb, path, sb.String())
	return path
}

func writeFile(tb testing.TB, path, text string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
}
