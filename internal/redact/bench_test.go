package redact

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkStream: 64 MiB of build-log-like text through a Stream with 5
// secrets, in 32 KiB chunks (a busy RUN's output) and in 128-byte ones (a
// line at a time).
func BenchmarkStream(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	r := New(map[string][]byte{
		"gh": []byte(tok), "aws": []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
		"npm": []byte("npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"), "pw": []byte("correct horse battery staple\n"),
		"key": []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAAAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIA\n-----END OPENSSH PRIVATE KEY-----\n"),
	})
	text := logText(rng, 64<<20)
	for _, chunk := range []int{32 << 10, 128} {
		b.Run(fmt.Sprintf("chunk=%d", chunk), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for range b.N {
				s := r.Stream()
				for i := 0; i < len(text); i += chunk {
					_ = s.Write(text[i:min(i+chunk, len(text))])
				}
				_ = s.Flush()
			}
		})
	}
}
