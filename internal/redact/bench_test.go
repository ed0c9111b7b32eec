package redact

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkStream: 64 MiB of build-log-like text, in 32 KiB chunks (as
// BuildKit sends a busy RUN's output), through a Stream with 5 secrets.
func BenchmarkStream(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	r := New(map[string][]byte{
		"gh": []byte(tok), "aws": []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
		"npm": []byte("npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"), "pw": []byte("correct horse battery staple\n"),
		"key": []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAAAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIA\n-----END OPENSSH PRIVATE KEY-----\n"),
	})
	text := logText(rng, 64<<20)
	const chunk = 32 << 10
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for range b.N {
		s := r.Stream()
		for i := 0; i < len(text); i += chunk {
			_ = s.Write(text[i:min(i+chunk, len(text))])
		}
		_ = s.Flush()
	}
}
