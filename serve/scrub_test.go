package serve

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScrubber(t *testing.T) {
	state := t.TempDir()
	work := filepath.Join(state, "work", "abc")
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(state, link); err != nil {
		t.Fatal(err)
	}
	s := newScrubber(pathName{work, ""}, pathName{link, "[state]"}, pathName{"/srv/out", "[output]"}, pathName{"/", "[root]"}, pathName{"", "[none]"})
	for _, tc := range []struct{ in, want string }{
		{"step a: " + work + "/Dockerfile:3: RUN failed", "step a: Dockerfile:3: RUN failed"},
		{"in " + work, "in ."},
		{"saving " + state + "/builds/x/record.json", "saving [state]/builds/x/record.json"},
		{"oci:/srv/out/alice/1/app", "oci:[output]/alice/1/app"},
		{"exporting " + filepath.Join(os.TempDir(), "weld-staging-123456") + "/app/index.json", "exporting [tmp]/app/index.json"},
		{"RUN ls / && cat /etc/passwd http://x", "RUN ls / && cat /etc/passwd http://x"}, // "/" alone is never scrubbed
	} {
		if got := s.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// JSON escapes a path's & and <: the escaped form is scrubbed too.
	odd := newScrubber(pathName{"/srv/a&b<c", "[output]"})
	if got := string(odd.json(map[string]string{"o": "oci:/srv/a&b<c/x"})); got != `{"o":"oci:[output]/x"}` {
		t.Errorf("json = %s", got)
	}
	var v map[string]string
	if err := json.Unmarshal(s.json(map[string]string{"e": work + "/x\"y"}), &v); err != nil || v["e"] != `x"y` {
		t.Errorf("json round trip = %v %v", v, err)
	}
	base := errors.New("boom at " + work + "/Dockerfile:1")
	err := s.err(base)
	if err.Error() != "boom at Dockerfile:1" || !errors.Is(err, base) {
		t.Errorf("err = %v (Is %v)", err, errors.Is(err, base))
	}
	if strings.Contains(s.String(work), state) {
		t.Error("the work folder shows its state folder")
	}
}
