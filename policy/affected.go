package policy

import (
	"strings"

	"github.com/weld-build/weld/dag"
)

// AffectedByBase are the steps of p built on the base ref (a ref without a
// tag means every tag) and everything downstream, as dag's OnBase and
// WithDependents find them, widened by the policy's replace: a FROM that
// pol replaces with ref is built on ref too. It is what weld affected
// --base and weld build --affected-by-base list. A nil pol replaces
// nothing.
func (pol *Policy) AffectedByBase(p *dag.Plan, ref string) ([]string, error) {
	q, err := dag.ParseBaseQuery(ref)
	if err != nil {
		return nil, err
	}
	roots := p.OnBase(q)
	if pol != nil {
		for _, r := range pol.Replace {
			if r.IsLayout() || !q.Match(strings.TrimPrefix(r.To, "docker-image://")) {
				continue
			}
			if from, err := dag.ParseBaseQuery(Normalize(r.From)); err == nil {
				roots = append(roots, p.OnBase(from)...)
			}
		}
	}
	return p.WithDependents(roots...), nil
}
