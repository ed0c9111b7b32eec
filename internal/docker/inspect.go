package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ImageInfo is what the engine says of one image (GET /images/{name}/json).
type ImageInfo struct {
	// ID is the image's config digest.
	ID string `json:"Id"`
	// RepoDigests are name@digest of the registries it was pulled from or
	// pushed to.
	RepoDigests []string `json:"RepoDigests"`
	// Config holds the image's labels.
	Config struct {
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

// InspectImage asks the engine at host about the image ref.
func InspectImage(ctx context.Context, host, ref string) (*ImageInfo, error) {
	c, base, err := client(host)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/images/"+url.PathEscape(ref)+"/json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s in docker at %s: %w", ref, host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("inspecting %s in docker at %s: %s: %s", ref, host, resp.Status, strings.TrimSpace(string(body)))
	}
	var info ImageInfo
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("inspecting %s in docker at %s: %w", ref, host, err)
	}
	return &info, nil
}
