package builder

import (
	"fmt"
	"strconv"
	"strings"
)

// The kinds of output a published image can go to.
const (
	// OutputOCI writes each step's image as its own OCI layout, Dest/<label>/
	// (or the tar Dest/<label>.tar).
	OutputOCI = "oci"
	// OutputRegistry pushes each image to the registry in its name.
	OutputRegistry = "registry"
	// OutputDocker loads each image into the Docker engine at DockerHost.
	OutputDocker = "docker"
	// OutputStore keeps every image in one OCI layout at Dest, each tagged
	// with its name: weld's default when no Docker engine answers.
	OutputStore = "oci-store"
)

// Output is where published images go.
type Output struct {
	// Type is one of OutputOCI, OutputRegistry, OutputDocker, OutputStore.
	Type string
	// Dest is the folder of OutputOCI and OutputStore.
	Dest string
	// Tar writes Dest/<label>.tar instead of a folder (OutputOCI).
	Tar bool
	// DockerHost is the engine's address for OutputDocker; empty means
	// $DOCKER_HOST, else unix:///var/run/docker.sock.
	DockerHost string
}

// String says where the output goes, as the summary shows it.
func (o Output) String() string {
	switch o.Type {
	case OutputRegistry:
		return "registry"
	case OutputDocker:
		return "docker"
	}
	return o.Type + ":" + o.Dest
}

// ParseOutput parses --output: oci:DIR, or buildx's
// type=oci,dest=DIR[,tar=true], type=registry (or type=image,push=true),
// type=docker.
func ParseOutput(s string) (Output, error) {
	if t, dest, ok := strings.Cut(s, ":"); ok && !strings.Contains(t, "=") {
		if t != OutputOCI || dest == "" {
			return Output{}, fmt.Errorf("--output %q: want oci:DIR, or type=oci|registry|docker with its fields", s)
		}
		return Output{Type: t, Dest: dest}, nil
	}
	var o Output
	push := false
	for _, field := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(field, "=")
		switch k {
		case "type":
			o.Type = v
		case "dest":
			o.Dest = v
		case "tar", "push":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return o, fmt.Errorf("--output %q: %s=%q is not a bool", s, k, v)
			}
			if k == "tar" {
				o.Tar = b
			} else {
				push = b
			}
		case "host":
			o.DockerHost = v
		default:
			return o, fmt.Errorf("--output %q: unknown field %q", s, k)
		}
	}
	if o.Type == "image" && push {
		o.Type = OutputRegistry
	}
	switch o.Type {
	case OutputOCI, OutputStore:
		if o.Dest == "" {
			return o, fmt.Errorf("--output %q: type=%s needs dest=DIR", s, o.Type)
		}
	case OutputRegistry, OutputDocker:
	default:
		return o, fmt.Errorf("--output %q: type must be oci, registry (or image,push=true), docker or oci-store", s)
	}
	return o, nil
}
