package policy

import "testing"

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, ref string
		want         bool
	}{
		{"docker.io/library/alpine:*", "alpine:3.20", true},
		{"docker.io/library/alpine:*", "alpine", true}, // alpine:latest
		{"docker.io/library/alpine:*", "docker.io/library/alpine:3.20@sha256:" + sha, true},
		{"docker.io/library/alpine:*", "alpine/git:1", false},
		{"docker.io/library/alpine:*", "ghcr.io/library/alpine:1", false},
		{"alpine:*", "alpine:3.20", true}, // the pattern's name is normalized too
		{"alpine:3.20", "alpine:3.20", true},
		{"alpine:3.20", "alpine:3.20@sha256:" + sha, true}, // a digest pins the allowed tag
		{"alpine:3.20", "alpine:3.21", false},
		{"alpine", "alpine:latest", true}, // an exact ref: alpine means alpine:latest
		{"alpine", "alpine:3.20", false},
		{"alpine@sha256:" + sha, "alpine@sha256:" + sha, true},
		{"alpine@sha256:" + sha, "alpine:3.20@sha256:" + sha, false},
		{"docker.io/library/*", "alpine:3.20", true},
		{"docker.io/library/*", "docker.io/myorg/app:1", false},
		{"registry.local/**", "registry.local/team/app/base:1", true},
		{"registry.local/**", "registry.local:5000/app:1", false},
		{"registry.local/*", "registry.local/team/app:1", false}, // * does not cross /
		{"myorg/*", "myorg/app:1", true},                         // docker.io/myorg/*
		{"localhost:5000/*", "localhost:5000/app:1", true},
		{"**", "anything.example/x/y:z", true},
	}
	for _, tc := range tests {
		norm, err := normalizePattern(tc.pattern)
		if err != nil {
			t.Fatalf("normalizePattern(%q) = %v", tc.pattern, err)
		}
		p := Pattern{Text: tc.pattern, Norm: norm}
		if got := p.Match(Normalize(tc.ref)); got != tc.want {
			t.Errorf("Pattern(%q → %q).Match(%q → %q) = %v, want %v", tc.pattern, norm, tc.ref, Normalize(tc.ref), got, tc.want)
		}
	}
}

var sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"[:64]
