package builder

import (
	"github.com/distribution/reference"

	"github.com/weld-build/weld/dag"
)

// Labels weld puts on every image it builds, beside the caller's.
const (
	LabelBaseName   = "org.opencontainers.image.base.name"
	LabelBaseDigest = "org.opencontainers.image.base.digest"
	LabelStep       = "dev.weld.step"
	LabelRevision   = "org.opencontainers.image.revision"
)

// imageLabels are the labels of a step's image: its step, its base (name,
// and digest when weld knows it: a base replaced by an OCI layout), and the
// caller's labels (the source revision).
func (r *run) imageLabels(s *dag.Step) map[string]string {
	// Every label weld owns is set on every image, empty when unknown, so
	// none is inherited from the base image (a base's revision or digest
	// would be a false claim about this image).
	l := map[string]string{LabelStep: s.Label, LabelBaseName: "", LabelBaseDigest: "", LabelRevision: ""}
	fb := s.FinalBase
	switch {
	case fb.Ref != "":
		l[LabelBaseName] = fb.Ref
		if key, err := ContextKey(fb.Ref); err == nil {
			if _, ok := r.o.images[key]; ok {
				src := chase(r.o.images, key)
				if src.Name != "" {
					l[LabelBaseName] = src.Name
				}
				switch named, err := reference.ParseNormalizedNamed(src.Image); {
				case src.Layout != "":
					l[LabelBaseDigest] = src.Digest.String()
				case err == nil:
					// A base pinned to a digest (policy pin_digests) or
					// replaced by another image.
					l[LabelBaseName] = reference.FamiliarString(reference.TrimNamed(named))
					if t, ok := named.(reference.Tagged); ok {
						l[LabelBaseName] += ":" + t.Tag()
					}
					if d, ok := named.(reference.Digested); ok {
						l[LabelBaseDigest] = d.Digest().String()
					}
				}
			}
		}
	case fb.Step != "":
		if base := r.stepByLabel(fb.Step); base.Name != "" {
			l[LabelBaseName] = base.Name
		}
	case fb.Scratch:
		l[LabelBaseName] = "scratch"
	}
	for k, v := range r.o.labels {
		l[k] = v
	}
	return l
}

// provenanceMode is the provenance attestation to attach: the same
// whatever the outputs, so that the same inputs give the same index digest
// in every mix of outputs. A docker engine gets the image's config and
// layers alone (export_docker.go), never the attestation.
func (r *run) provenanceMode() string { return r.o.provenance }
