package builder

import (
	"github.com/weld-build/weld/policy"
)

// checkBannedBases refuses, once every base's source and digest are known
// (pinBases) and before anything is built, each FROM that the policy's
// banned_bases lists: by the ref as written, by what the build gets
// instead (a replacement, --image, a pinned REF@DIGEST, an OCI layout) or
// by its digest. It returns policy.Refusals, or nil.
func checkBannedBases(o *options, uses []policy.BaseUse, pins map[string][]BasePin) error {
	if o.policy == nil || len(o.policy.BannedBases) == 0 {
		return nil
	}
	seen := map[string]int{}
	var refusals policy.Refusals
	for _, u := range uses {
		var pin BasePin
		if ps := pins[u.Step]; seen[u.Step] < len(ps) {
			pin = ps[seen[u.Step]] // pinBases keeps the order of uses
		}
		seen[u.Step]++
		source := u.Ref
		if key, err := ContextKey(u.Ref); err == nil {
			if src, ok := o.images[key]; ok && src.Image != "" {
				source = src.Image
			} else if ok {
				source = src.String()
			}
		}
		if err := o.policy.BannedUse(u, source, pin.Digest); err != nil {
			refusals = append(refusals, err)
		}
	}
	if len(refusals) > 0 {
		return refusals
	}
	return nil
}
