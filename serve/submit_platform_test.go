package serve

import (
	"net/http/httptest"
	"slices"
	"testing"
)

func TestParseQueryPlatform(t *testing.T) {
	job, err := parseQuery(httptest.NewRequest("POST", "/v1/builds?platform=linux/aarch64,%20linux/amd64", nil))
	if err != nil || !slices.Equal(job.Platforms, []string{"linux/arm64", "linux/amd64"}) {
		t.Errorf("parseQuery(platform=linux/aarch64, linux/amd64) = %+v, %v; want Platforms [linux/arm64 linux/amd64]", job, err)
	}
	if job, err := parseQuery(httptest.NewRequest("POST", "/v1/builds", nil)); err != nil || job.Platforms != nil {
		t.Errorf("parseQuery() = %+v, %v; want no platforms", job, err)
	}
}
