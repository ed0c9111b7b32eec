package dag

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary build files to Parse. It must never panic, and
// every error must be an ErrorList of positioned errors inside the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(head + "    a:\n      depends_on: [b]\n    b:\n      artifacts: [/app:dist]\n"))
	f.Add([]byte(head + "    a:\n      args: {A: _env(X), B: _env(Y)}\n      secrets:\n        t: {type: env, value: T}\n"))
	f.Add([]byte("build: &b\n  version: 2016-03-14\n  steps:\n    a: *b\n"))
	f.Add([]byte(head + "    a:\n      name: app\n      dockerfile: Dockerfile.app\n      cleanup:\n        commands: [rm -rf /tmp]\n"))
	dir := f.TempDir()
	writeFile(f, filepath.Join(dir, "Dockerfile"), "FROM alpine\n")
	writeFile(f, filepath.Join(dir, "Dockerfile.app"), "ARG V=1\nFROM app-$V AS x\nFROM x\n")
	env := WithEnv(map[string]string{"X": "1\n  bad: [", "Y": "é"})
	file := filepath.Join(dir, "build.yml")
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse(file, data, env, WithLookupEnv(func(string) (string, bool) { return "", false }))
		if err == nil {
			if _, perr := NewPlan(b); perr != nil {
				t.Fatalf("NewPlan after a clean Parse = %v", perr)
			}
			return
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("Parse error %v is not a non-empty ErrorList", err)
		}
		lines := strings.Count(string(normalizeBreaks(data)), "\n") + 1
		for _, e := range list {
			if e.Pos.File != file || e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Col < 1 {
				t.Fatalf("error %q has position %v outside the file (%d lines)", e.Msg, e.Pos, lines)
			}
		}
	})
}
