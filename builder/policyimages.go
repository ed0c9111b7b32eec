package builder

import (
	"fmt"
	"maps"
	"slices"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/policy"
)

// policyImages composes the policy's replacements with the caller's
// (WithImages, weld build's --image): a base the policy replaces by REF is
// built from the caller's source for REF when there is one, and the policy
// wins over the caller's own mapping of the same ref. It returns the merged
// map, and the events that say what replaces what.
func policyImages(p *policy.Policy, uses []policy.BaseUse, images map[string]ImageSource) (map[string]ImageSource, []Event, error) {
	out := map[string]ImageSource{}
	maps.Copy(out, images)
	used := map[string][]policy.BaseUse{}
	for _, u := range uses {
		if u.Replacement != nil {
			used[u.Replacement.Key] = append(used[u.Replacement.Key], u)
		}
	}
	var events []Event
	for _, r := range p.Replace {
		ref, src, err := ParseImage(r.Source())
		if err != nil {
			return nil, nil, dag.ErrorList{{Pos: r.Pos, Msg: fmt.Sprintf("replace: %v", err)}}
		}
		if !r.IsLayout() {
			if key, err := ContextKey(src.Image); err == nil {
				if via, ok := images[key]; ok {
					via.Name = src.Image // the labels name the replacement, not the layout's stand-in
					src = via
				}
			}
		}
		if _, ok := images[ref]; ok {
			events = append(events, Event{Type: EventWarning, Message: fmt.Sprintf("%s replaces %s; the policy wins over --image %s", r.Pos, r.From, ref)})
		}
		out[ref] = src
		for _, u := range used[r.Key] {
			events = append(events, Event{Step: u.Step, Type: EventInfo, Message: fmt.Sprintf("%s: step %s: policy %s replaces base %s with %s", u.Pos, u.Step, r.Pos, u.Ref, r.To)})
		}
	}
	return out, events, nil
}

// imageCycle finds image replacements that lead back to themselves.
func imageCycle(images map[string]ImageSource) error {
	for _, start := range slices.Sorted(maps.Keys(images)) {
		seen := map[string]bool{start: true}
		for ref := start; ; {
			key, err := ContextKey(images[ref].Image)
			if images[ref].Image == "" || err != nil {
				break
			}
			if _, ok := images[key]; !ok {
				break
			}
			if seen[key] {
				return fmt.Errorf("%w: --image: %s leads back to itself through %s; end the chain at an OCI layout or an image that is not replaced", ErrInvalid, start, key)
			}
			seen[key] = true
			ref = key
		}
	}
	return nil
}

// unusedImages warns about replacements no FROM of the build uses: most
// often a typo in the ref.
func unusedImages(p *dag.Plan, images map[string]ImageSource) []Event {
	used := map[string]bool{}
	for _, s := range p.Order() {
		for _, b := range s.Bases {
			if key, err := ContextKey(b.Ref); err == nil {
				used[key] = true
			}
		}
	}
	for _, src := range images { // a mapping another one leads to is used too
		for _, ref := range []string{src.Image, src.Name} {
			if key, err := ContextKey(ref); ref != "" && err == nil {
				used[key] = true
			}
		}
	}
	var events []Event
	for _, ref := range slices.Sorted(maps.Keys(images)) {
		if !used[ref] {
			events = append(events, Event{Type: EventWarning, Message: fmt.Sprintf("--image %s: no FROM in the build names %s", ref, ref)})
		}
	}
	return events
}
