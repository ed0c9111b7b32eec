package builder

import "testing"

func TestRedactAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"unix:///run/buildkit/buildkitd.sock", "unix://buildkitd.sock"},
		{"unix:///srv/weld/state/secret-tenant/bk.sock", "unix://bk.sock"},
		{"unix://relative/dir/bk.sock", "unix://bk.sock"},
		{"tcp://127.0.0.1:1234", "tcp://127.0.0.1:1234"},
		{"tcp://user:hunter2hunter2@10.0.0.1:1234/path/x?token=abc#frag", "tcp://10.0.0.1:1234"},
		{"docker-container://buildx_buildkit_default", "docker-container://buildx_buildkit_default"},
		{"kube-pod://buildkitd-0?namespace=ci&context=admin", "kube-pod://buildkitd-0"},
		{"npipe:////./pipe/buildkitd", "npipe://buildkitd"},
		{"tcp://u:p%zz@host:1", "tcp://"},
		{"/no/scheme/bk.sock", ""},
		{"a/b://x", ""},
	} {
		if got := RedactAddr(tc.in); got != tc.want {
			t.Errorf("RedactAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
