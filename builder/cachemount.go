package builder

import "github.com/weld-build/weld/internal/llbsecret"

// cacheMountNSArg is the Dockerfile frontend's option that prefixes every
// cache mount ID (RUN --mount=type=cache) of a build.
const cacheMountNSArg = "build-arg:BUILDKIT_CACHE_MOUNT_NS"

// cacheMountNS is the cache mount namespace of this Builder's runs, named
// after its secret cache key (see internal/llbsecret/cachemount.go): runs
// under the same key share their cache mounts, runs under different keys
// (one per tenant) never do, so nothing one tenant's RUN leaves in a cache
// mount reaches another tenant's image. A build.yml or --build arg of that
// name is overridden.
func (r *run) cacheMountNS() string {
	return llbsecret.CacheNamespace(r.o.secretKey.get(r.o.log))
}
