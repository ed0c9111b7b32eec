package policy

import "testing"

// TestSecretArgShapes: names and values a build arg that holds a secret
// commonly has, beyond NAME_TOKEN and vendor prefixes, and ordinary args
// that look close to them.
func TestSecretArgShapes(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		secret      bool
	}{
		{"npmToken", "hunter2-horse", true},
		{"githubToken", "x", true},
		{"GITHUBTOKEN", "x", true},
		{"DBPASSWORD", "x", true},
		{"MySecret", "x", true},
		{"apiKey", "x", true},
		{"NPMAUTHTOKEN", "x", true},
		{"PIP_INDEX_URL", "https://user:s3cr3t-Pw@pypi.example.com/simple", true},
		{"REPO", "https://oauth2:glpat-abcdefghij@gitlab.example.com/org/repo.git", true},
		{"CREDS", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		// ordinary args
		{"KEYBOARD", "us", false},
		{"MONKEY", "x", false},
		{"COMPASS_VERSION", "1.2", false},
		{"BYPASS_CACHE", "1", false},
		{"PASSTHROUGH", "1", false},
		{"TOKENIZER", "bpe", false},
		{"GOPROXY", "https://proxy.golang.org,direct", false},
		{"REPO", "https://github.com/org/repo.git", false},
		{"MIRROR", "https://user@mirror.example.com/x", false},
		{"SRC", "src/main/java/com/example/app/Main.java", false},
		{"SRCDIR", "src/main/java/com/example/app/Main1234", false},
		{"IMAGE", "registry.example.com:5000/org/app:1.2.3", false},
	} {
		if got := secretArgWhy(tc.name, tc.value) != ""; got != tc.secret {
			t.Errorf("secretArgWhy(%q, %q) = %q: secret %v, want %v", tc.name, tc.value, secretArgWhy(tc.name, tc.value), got, tc.secret)
		}
	}
}
