package containers

import (
	"context"
	"sort"
	"strings"

	"github.com/weld-build/weld/builder"
	"github.com/weld-build/weld/internal/docker"
)

// Container is a running container whose image weld built on the base.
type Container struct {
	// ID is the container's full ID.
	ID string `json:"id"`
	// Name is its name, without the leading "/".
	Name string `json:"name"`
	// Image is the image as the container was started from it.
	Image string `json:"image"`
	// ImageID is the image's ID.
	ImageID string `json:"image_id"`
	// Step is the weld step that built the image.
	Step string `json:"step"`
	// BaseName and BaseDigest are the image's base labels.
	BaseName   string `json:"base_name"`
	BaseDigest string `json:"base_digest,omitempty"`
}

// List returns the running containers of the engine at host (unix:// or
// tcp://; "" for $DOCKER_HOST, else the default socket) whose image weld
// built on base, by name.
func List(ctx context.Context, host string, base Base) ([]Container, error) {
	host = docker.Host(host)
	running, err := docker.RunningContainers(ctx, host)
	if err != nil {
		return nil, err
	}
	labels := map[string]map[string]string{} // by image ID
	var out []Container
	for _, c := range running {
		l, ok := labels[c.ImageID]
		if !ok {
			if l, err = docker.ImageLabels(ctx, host, c.ImageID); err != nil {
				return nil, err
			}
			labels[c.ImageID] = l
		}
		if !base.Match(l) {
			continue
		}
		name := c.ID
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, Container{ID: c.ID, Name: name, Image: c.Image, ImageID: c.ImageID,
			Step: l[builder.LabelStep], BaseName: l[builder.LabelBaseName], BaseDigest: l[builder.LabelBaseDigest]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
