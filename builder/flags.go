package builder

import (
	"github.com/weld-build/weld/internal/dockerfile"

	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// SecretSpec is a secret given on the command line, in buildx syntax:
// id=ID,src=FILE or id=ID,env=VAR.
type SecretSpec struct {
	// ID is the id RUN --mount=type=secret,id=ID asks for.
	ID string
	// Src is the file that holds the value.
	Src string
	// Env is the environment variable that holds the value.
	Env string
}

// ParseSecret parses buildx's --secret syntax.
func ParseSecret(s string) (SecretSpec, error) {
	var sp SecretSpec
	for _, field := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return sp, fmt.Errorf("--secret %q: want id=ID,src=FILE or id=ID,env=VAR", s)
		}
		switch strings.ToLower(k) {
		case "id":
			sp.ID = v
		case "src", "source":
			sp.Src = v
		case "env":
			sp.Env = v
		case "type":
			if v != "file" && v != "env" {
				return sp, fmt.Errorf("--secret %q: type must be file or env", s)
			}
		default:
			return sp, fmt.Errorf("--secret %q: unknown field %q (want id, src or env)", s, k)
		}
	}
	if sp.ID == "" {
		return sp, fmt.Errorf("--secret %q: id= is required", s)
	}
	if sp.Src == "" && sp.Env == "" {
		sp.Env = sp.ID
		if _, ok := os.LookupEnv(sp.Env); !ok {
			sp.Env, sp.Src = "", sp.ID
		}
	}
	return sp, nil
}

// ImageSource replaces a base image: an OCI layout on disk or another image.
type ImageSource struct {
	// Layout is the OCI layout folder, for oci-layout:// sources.
	Layout string
	// Digest is the manifest (or index) digest in the layout.
	Digest digest.Digest
	// Image is the replacement ref, for docker-image:// sources.
	Image string
	// Name is the image the replacement stands for, when it is not Image
	// (a policy replaces node:10.4.8 with node:10.4.9, which --image maps to
	// an OCI layout): the base's name in the image's labels.
	Name string
}

// String formats the source as given on the command line.
func (s ImageSource) String() string {
	if s.Layout != "" {
		return "oci-layout://" + s.Layout + "@" + s.Digest.String()
	}
	return "docker-image://" + s.Image
}

// ParseImage parses --image REF=SOURCE, where SOURCE is
// oci-layout://DIR[@sha256:...] or docker-image://REF. A layout without a
// digest must hold exactly one image, or one whose name matches REF.
func ParseImage(s string) (ref string, src ImageSource, err error) {
	ref, source, ok := strings.Cut(s, "=")
	if !ok || ref == "" || source == "" {
		return "", src, fmt.Errorf("--image %q: want REF=oci-layout://DIR[@sha256:...] or REF=docker-image://REF", s)
	}
	key, err := ContextKey(ref)
	if err != nil {
		return "", src, fmt.Errorf("--image %q: %w", s, err)
	}
	switch {
	case strings.HasPrefix(source, "oci-layout://"):
		dir := strings.TrimPrefix(source, "oci-layout://")
		var dgst digest.Digest
		if i := strings.LastIndex(dir, "@"); i >= 0 {
			dgst, err = digest.Parse(dir[i+1:])
			if err != nil {
				return "", src, fmt.Errorf("--image %q: %w", s, err)
			}
			dir = dir[:i]
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", src, err
		}
		if dgst == "" {
			if dgst, err = layoutDigest(abs, ref); err != nil {
				return "", src, fmt.Errorf("--image %q: %w", s, err)
			}
		}
		return key, ImageSource{Layout: abs, Digest: dgst}, nil
	case strings.HasPrefix(source, "docker-image://"):
		img := strings.TrimPrefix(source, "docker-image://")
		if _, err := reference.ParseNormalizedNamed(img); err != nil {
			return "", src, fmt.Errorf("--image %q: %w", s, err)
		}
		return key, ImageSource{Image: img}, nil
	}
	return "", src, fmt.Errorf("--image %q: the source must start with oci-layout:// or docker-image://", s)
}

// ContextKey normalizes an image ref the way BuildKit's Dockerfile frontend
// keys named contexts: the familiar name, without ":latest". It is the same
// normalization dag uses to match FROM lines to steps.
func ContextKey(ref string) (string, error) {
	if err := dockerfile.ValidName(ref); err != nil {
		return "", fmt.Errorf("parsing image ref %q: %w", ref, err)
	}
	return dockerfile.NormalizeName(ref), nil
}

// layoutDigest picks the image of an OCI layout: the only one, or the one
// whose ref name annotation matches ref.
func layoutDigest(dir, ref string) (digest.Digest, error) {
	dt, err := os.ReadFile(filepath.Join(dir, ocispecs.ImageIndexFile))
	if err != nil {
		return "", fmt.Errorf("reading OCI layout: %w", err)
	}
	var idx ocispecs.Index
	if err := json.Unmarshal(dt, &idx); err != nil {
		return "", fmt.Errorf("parsing %s: %w", filepath.Join(dir, ocispecs.ImageIndexFile), err)
	}
	idx.Manifests = imageEntries(idx.Manifests) // a signature is no image
	if len(idx.Manifests) == 1 {
		return idx.Manifests[0].Digest, nil
	}
	want, _ := ContextKey(ref)
	for _, m := range idx.Manifests {
		name := m.Annotations[ocispecs.AnnotationRefName]
		if name == "" {
			name = m.Annotations["io.containerd.image.name"]
		}
		if k, err := ContextKey(name); err == nil && k == want {
			return m.Digest, nil
		}
	}
	return "", fmt.Errorf("%s holds %d images and none is named %s: add @sha256:DIGEST", dir, len(idx.Manifests), ref)
}
