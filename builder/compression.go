package builder

import (
	"maps"
	"slices"

	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/layertime"
)

// The layers' compression in the daemon's exports.
//
// A step whose staged image weld rewrites (relayer.go) gets its new layers
// from the daemon uncompressed: BuildKit would gzip them, and weld would
// gunzip them to rewrite their file times and gzip them again. Asking for
// them uncompressed saves a gzip of every new layer (9.8 s of a 512 MiB
// layer here); weld's rewrite gzips them once, to the bytes BuildKit's own
// rewrite would write.
//
// But BuildKit keeps the blob it made for a layer and, unless an export
// forces its compression, ships that blob in every later export of the
// layer (cache/remote.go: "compressionopt is applied only to newly
// created layers"): a FROM <step> child's base, a --reproducible=false
// build, a cache export, an export by another weld on the same daemon. So
// every other export weld makes forces gzip (cheap where the blob is gzip
// already), and a step is exported uncompressed only when no export of
// this run takes its layers unrewritten: it is no one's FROM parent, is
// not handed over to another daemon, and no --cache-to exports its cache
// (which would gzip the layers in the daemon after all).

// Exporter attribute names and values, as BuildKit's exporters read them.
const (
	attrCompression      = "compression"
	attrForceCompression = "force-compression"
	compressionNone      = "uncompressed"
	compressionGzip      = "gzip"
)

// exportsUncompressed says whether step s's staged export asks for its
// new layers uncompressed: weld rewrites them, and no other export of
// this run ships them as they are.
func (r *run) exportsUncompressed(s *dag.Step) bool {
	if !r.clientRewrite(s) || r.fleet.handsOver(s.Label) || len(r.o.cacheTo) > 0 {
		return false
	}
	for _, o := range r.steps {
		if slices.Contains(o.FromSteps, s.Label) {
			return false
		}
	}
	return true
}

// stagedCompression sets the compression of step s's staged export.
func (r *run) stagedCompression(s *dag.Step, attrs map[string]string) {
	if r.exportsUncompressed(s) {
		attrs[attrCompression] = compressionNone
		return
	}
	forceGzip(attrs)
}

// forceGzip makes an image exporter ship every layer gzipped, whatever
// blob the daemon holds for it.
func forceGzip(attrs map[string]string) {
	attrs[attrCompression] = compressionGzip
	attrs[attrForceCompression] = "true"
}

// forceGzipCache makes a cache export ship gzipped layers, unless the
// user chose its compression.
func forceGzipCache(e client.CacheOptionsEntry) client.CacheOptionsEntry {
	if _, ok := e.Attrs[attrCompression]; ok {
		return e
	}
	if _, ok := e.Attrs[attrForceCompression]; ok {
		return e
	}
	e.Attrs = maps.Clone(e.Attrs)
	if e.Attrs == nil {
		e.Attrs = map[string]string{}
	}
	forceGzip(e.Attrs)
	return e
}

// isPlainTar says whether a layer's media type is an uncompressed tar.
func isPlainTar(mediaType string) bool {
	return mediaType == ocispecs.MediaTypeImageLayer || mediaType == "application/vnd.docker.image.rootfs.diff.tar"
}

// compressSource writes the gzip of the uncompressed layer l into the
// layout.
func (rl *relayer) compressSource(l ocispecs.Descriptor) (layertime.Result, error) {
	return rl.fromSource(l, layertime.Compress)
}
