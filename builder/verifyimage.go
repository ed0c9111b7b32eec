package builder

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/session"

	"github.com/weld-build/weld/policy"
	"github.com/weld-build/weld/sign"
)

// Image sources of VerifyImage, besides a registry ref.
const (
	// LayoutPrefix names an OCI layout folder: oci-layout://DIR[:TAG].
	LayoutPrefix = "oci-layout://"
	// DockerDaemonPrefix names an image in a docker engine, as skopeo
	// names it: docker-daemon:REF.
	DockerDaemonPrefix = "docker-daemon:"
)

// VerifyOptions says what VerifyImage checks an image against.
type VerifyOptions struct {
	// Keys are the public keys one of which must verify a signature of the
	// image; with none the signature is not checked.
	Keys []*sign.Verifier
	// Policy gives banned_bases (and nothing else is read of it); nil
	// bans nothing.
	Policy *policy.Policy
	// DockerHost is the engine of docker-daemon: images (default
	// $DOCKER_HOST).
	DockerHost string
	// Auth serves registry credentials (DockerAuth); nil: none.
	Auth session.Attachable
}

// Verdict is what VerifyImage says of one image: safe when every check
// passed.
type Verdict struct {
	// Image is the image as given.
	Image string `json:"image"`
	// Digest is its root digest, when it could be read.
	Digest string `json:"digest,omitempty"`
	// Safe is true when every check passed.
	Safe bool `json:"safe"`
	// Checks are the checks, in order: read, signature, labels, base.
	Checks []VerdictCheck `json:"checks"`
}

// VerdictCheck is one check of a Verdict.
type VerdictCheck struct {
	// Name is read, signature, labels or base.
	Name string `json:"name"`
	// OK is true when the check passed (or had nothing to check).
	OK bool `json:"ok"`
	// Detail says what was found.
	Detail string `json:"detail"`
}

// Reason is the first failed check's detail, "" for a safe image.
func (v Verdict) Reason() string {
	for _, c := range v.Checks {
		if !c.OK {
			return c.Name + ": " + c.Detail
		}
	}
	return ""
}

// VerifyImage answers "is this image still safe?" before it runs: its
// signature against o.Keys, weld's labels on it (LabelStep, LabelBaseName),
// and its base (LabelBaseName/LabelBaseDigest) against the policy's
// banned_bases. image is a registry ref, oci-layout://DIR[:TAG] or
// docker-daemon:REF.
func VerifyImage(ctx context.Context, image string, o VerifyOptions) Verdict {
	v := Verdict{Image: image}
	f, err := readFacts(ctx, image, o)
	if err != nil {
		v.Checks = []VerdictCheck{{Name: "read", Detail: err.Error()}}
		return v
	}
	v.Digest = f.digest.String()
	v.Checks = []VerdictCheck{{Name: "read", OK: true, Detail: f.where}, signatureCheck(f, o.Keys), labelsCheck(f), baseCheck(f, o.Policy)}
	v.Safe = v.Reason() == ""
	return v
}

func readFacts(ctx context.Context, image string, o VerifyOptions) (*imageFacts, error) {
	resolver := (&registryExporter{auth: o.Auth}).resolver(ctx)
	switch {
	case strings.HasPrefix(image, LayoutPrefix):
		dir, tag := splitLayout(strings.TrimPrefix(image, LayoutPrefix))
		f, err := layoutFacts(dir, tag)
		if err != nil {
			return nil, err
		}
		if err := checkLayoutBlobs(dir, f.root); err != nil {
			return nil, fmt.Errorf("reading the OCI layout %s: %w", dir, err)
		}
		return f, nil
	case strings.HasPrefix(image, DockerDaemonPrefix):
		return dockerFacts(ctx, o.DockerHost, resolver, strings.TrimPrefix(image, DockerDaemonPrefix))
	case strings.Contains(image, "://"):
		return nil, fmt.Errorf("%w: %q: name a registry ref, oci-layout://DIR[:TAG] or docker-daemon:REF", ErrInvalid, image)
	}
	return registryFacts(ctx, resolver, image, true)
}

// splitLayout splits DIR[:TAG]; a colon inside the folder's path (before
// its last slash) is part of the folder.
func splitLayout(s string) (dir, tag string) {
	i := strings.LastIndex(s, ":")
	if i < 0 || strings.Contains(s[i:], "/") {
		return s, ""
	}
	return s[:i], s[i+1:]
}

func signatureCheck(f *imageFacts, keys []*sign.Verifier) VerdictCheck {
	c := VerdictCheck{Name: "signature"}
	if len(keys) == 0 {
		c.OK, c.Detail = true, "not checked (no --key)"
		return c
	}
	if f.digest == "" {
		c.Detail = "the image has no registry digest to find a signature by (an image loaded into the engine): verify it in its registry or OCI layout"
		return c
	}
	k, err := sign.VerifyAny(f.sigs, keys, f.digest)
	if err != nil {
		c.Detail = strings.TrimPrefix(err.Error(), sign.ErrNotSigned.Error()+": ")
		if errors.Is(err, sign.ErrNotSigned) && len(f.sigs) == 0 {
			c.Detail = "not signed: no signature in " + f.where
		}
		return c
	}
	c.OK, c.Detail = true, fmt.Sprintf("signed with %s (%s)", k.Name, k.ID())
	return c
}

func labelsCheck(f *imageFacts) VerdictCheck {
	c := VerdictCheck{Name: "labels"}
	var missing []string
	for _, l := range []string{LabelStep, LabelBaseName} {
		if _, ok := f.labels[l]; !ok {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		c.Detail = "not built by weld: no label " + strings.Join(missing, ", ")
		return c
	}
	c.OK, c.Detail = true, fmt.Sprintf("built by weld, step %q", f.labels[LabelStep])
	return c
}

func baseCheck(f *imageFacts, p *policy.Policy) VerdictCheck {
	name, dgst := f.labels[LabelBaseName], f.labels[LabelBaseDigest]
	c := VerdictCheck{Name: "base", OK: true, Detail: "base " + describeBase(name, dgst)}
	if p == nil {
		return c
	}
	for _, b := range p.BannedBases {
		if b.Matches(name, dgst) {
			c.OK = false
			c.Detail = fmt.Sprintf("base %s is banned by %s (banned_bases: %s)", describeBase(name, dgst), b.Pos, b.Text)
			return c
		}
	}
	return c
}

func describeBase(name, dgst string) string {
	switch {
	case name == "":
		return "unknown"
	case dgst != "":
		return name + "@" + dgst
	}
	return name
}
