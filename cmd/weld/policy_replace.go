package main

import "github.com/weld-build/weld/policy"

// usedRefs are the image refs the Dockerfiles name (FROM, COPY --from, RUN
// --mount from=), whose replacements CheckBases and CheckReferences judge;
// policy.CheckReplacements judges the other entries.
func usedRefs(uses []policy.BaseUse, refs []policy.Reference) []string {
	var out []string
	for _, u := range uses {
		out = append(out, u.Ref)
	}
	for _, r := range refs {
		if r.Kind == policy.KindImage {
			out = append(out, r.Ref)
		}
	}
	return out
}
