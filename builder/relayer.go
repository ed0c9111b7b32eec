package builder

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/weld-build/weld/dag"
	"github.com/weld-build/weld/internal/layertime"
)

// A reproducible image's layers have their file times rewritten to the
// step's SOURCE_DATE_EPOCH. BuildKit's exporter can do it
// (rewrite-timestamp), but it decompresses, rewrites and compresses again
// every layer above the base at every export, a rebuild that changed
// nothing included. So weld's staged export goes without it, and weld
// rewrites the staged layout before anything reads it, once per layer:
// internal/layertime keeps the rewritten layers by (source blob, epoch,
// compression). The bytes are BuildKit's (v0.34.2, writer.go
// rewriteRemoteWithEpoch and commitDistributionManifest), down to the
// JSON of each manifest and config (relayimage.go); a staged blob that is
// not as BuildKit writes it fails the step rather than ship other bytes.
//
// A step checked inside its session (prepublish.go: its session serves
// secrets and --cache-to is set, or it is not published) keeps BuildKit's
// rewrite for both of its exports, so that its checks and its image see
// the same bytes. A step whose session serves secrets keeps its rewritten
// layers only once its image passed the leak scan and the gates
// (keepchecked.go), as the SBOM cache.

// layerCacheMax bounds the rewritten layers kept under the user's cache dir.
const layerCacheMax = 2 << 30

// annotationRewritten is the layer annotation BuildKit's rewrite sets.
const annotationRewritten = "buildkit/rewritten-timestamp"

// clientRewrite says whether weld, not BuildKit's exporter, rewrites the
// file times of step s's staged image.
func (r *run) clientRewrite(s *dag.Step) bool {
	if r.o.repro.daemonRewrite || r.checksInSession(s) {
		return false
	}
	_, err := strconv.ParseInt(r.o.repro.stepEpoch(s), 10, 64)
	return err == nil
}

// stagedExportAttrs sets the reproducible exporter attrs of step s's
// staged export: BuildKit's epoch, and its rewrite unless weld does it.
func (r *run) stagedExportAttrs(s *dag.Step, attrs map[string]string) {
	r.o.repro.exporterAttrs(s, attrs) // reproducible.go
	if r.clientRewrite(s) {
		delete(attrs, "rewrite-timestamp")
	}
}

// baseConfigs are the frontend's base image configs of a step's image,
// by platformKey: what BuildKit's rewrite leaves alone.
type baseConfigs map[string][]byte

// noteBaseConfigs records the base configs of the published step's
// results, for its client-side rewrite.
func (ss *stepSession) noteBaseConfigs(svs []*solved) {
	ss.mu.Lock() // the parts of a split step note theirs beside each other's (fleetsplit.go)
	defer ss.mu.Unlock()
	b := baseConfigs{}
	if old, ok := ss.baseCfgs.Load(ss.step.Label); ok {
		maps.Copy(b, old.(baseConfigs))
	}
	for _, sv := range svs {
		b[platformKey(sv.platform)] = sv.baseConfig
	}
	ss.baseCfgs.Store(ss.step.Label, b)
}

// baseDiffIDs are the diffIDs of the base config of the image of platform
// p: nil when the image has no base (FROM scratch).
func (rl *relayer) baseDiffIDs(p *ocispecs.Platform) ([]digest.Digest, error) {
	var dt []byte
	if len(rl.bases) == 1 {
		for _, b := range rl.bases {
			dt = b
		}
	} else if p != nil {
		dt = rl.bases[platforms.FormatAll(platforms.Normalize(*p))]
	}
	return configDiffIDs(dt)
}

// configDiffIDs are the diffIDs of the image config dt; none for an empty
// config (FROM scratch).
func configDiffIDs(dt []byte) ([]digest.Digest, error) {
	if len(dt) == 0 {
		return nil, nil
	}
	var img struct {
		RootFS ocispecs.RootFS `json:"rootfs"`
	}
	if err := json.Unmarshal(dt, &img); err != nil {
		return nil, fmt.Errorf("parsing the base image config: %w", err)
	}
	return img.RootFS.DiffIDs, nil
}

// platformKey is an os/arch[/variant] as BuildKit's exporter keys it; ""
// stays "" (the daemon's own).
func platformKey(p string) string {
	if p == "" {
		return ""
	}
	pp, err := platforms.Parse(p)
	if err != nil {
		return p
	}
	return platforms.FormatAll(platforms.Normalize(pp))
}

// rewriteLayerTimes rewrites the file times of step s's staged layout at
// dir, when weld does it, and makes resp name the new root.
func (r *run) rewriteLayerTimes(s *dag.Step, dir string, resp *client.SolveResponse) error {
	if !r.clientRewrite(s) {
		return nil
	}
	sec, _ := strconv.ParseInt(r.o.repro.stepEpoch(s), 10, 64)
	b, ok := r.baseCfgs.Load(s.Label)
	if !ok {
		return errors.New("no base image configs were recorded for the layers' time rewrite")
	}
	rl := &relayer{dir: dir, sec: sec, epoch: time.Unix(sec, 0).UTC(), bases: b.(baseConfigs), moved: map[digest.Digest]digest.Digest{}, written: map[digest.Digest]bool{}, sizes: map[digest.Digest]int64{}}
	if k, ok := r.skipped.Load(s.Label); ok {
		rl.skipped = k.(*skippedLayers)
	}
	c, err := r.layerCache(s)
	if err != nil {
		r.o.log.Warn("not keeping the rewritten layers", "err", err)
	}
	if c != nil {
		defer c.Close()
		rl.cache = c
		if a := r.keepAfterChecks(s); a != nil { // keepchecked.go
			rl.cache = c.ReadOnly()
			rl.keep = func(k layertime.Key, res layertime.Result) {
				a.add(func() { r.keepLayer(s, dir, k, res) })
			}
		}
	}
	old, root, err := rl.layout()
	if err != nil {
		return fmt.Errorf("rewriting the layers' file times to SOURCE_DATE_EPOCH: %w", err)
	}
	return patchExportedRoot(resp, old, root, rl.moved)
}

// layerCache opens the cache of rewritten layers, under the user's cache
// dir ($XDG_CACHE_HOME/weld/layers, else ~/.cache/weld/layers).
func (r *run) layerCache(*dag.Step) (*layertime.Cache, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return nil, err
	}
	return layertime.Open(filepath.Join(dir, "weld", "layers"), layerCacheMax)
}

// relayer rewrites one staged layout.
type relayer struct {
	dir   string
	sec   int64
	epoch time.Time
	bases baseConfigs
	cache *layertime.Cache // nil: none
	// keep, when set, keeps a rewrite once the image passed its checks
	// (the cache is then read-only until they did).
	keep func(layertime.Key, layertime.Result)
	// moved maps each blob replaced to its replacement.
	moved map[digest.Digest]digest.Digest
	// sizes are the sizes of the blobs written as replacements.
	sizes map[digest.Digest]int64
	// written are the rewritten layers written into the layout.
	written map[digest.Digest]bool
	// skipped are the layers the daemon did not send: their rewrites
	// are in the layout (stagedskip.go).
	skipped *skippedLayers
}

// layout rewrites the layout's root and returns the old and new root.
func (rl *relayer) layout() (ocispecs.Descriptor, ocispecs.Descriptor, error) {
	path := filepath.Join(rl.dir, ocispecs.ImageIndexFile)
	var layout ocispecs.Index
	err := readJSON(path, &layout)
	if errors.Is(err, os.ErrNotExist) { // nothing staged: the checks say so
		return ocispecs.Descriptor{}, ocispecs.Descriptor{}, nil
	}
	if err != nil {
		return ocispecs.Descriptor{}, ocispecs.Descriptor{}, err
	}
	if len(layout.Manifests) != 1 {
		return ocispecs.Descriptor{}, ocispecs.Descriptor{}, fmt.Errorf("the staged layout has %d manifests in its index, want 1", len(layout.Manifests))
	}
	old := layout.Manifests[0]
	var root ocispecs.Descriptor
	if isIndex(old.MediaType) {
		root, err = rl.index(old)
	} else {
		root, err = rl.image(old, nil)
	}
	if err != nil {
		return old, root, err
	}
	if root.Digest != old.Digest {
		layout.Manifests[0] = root
		if err := writeStagedJSON(path, layout); err != nil {
			return old, root, err
		}
	}
	return old, root, rl.dropMoved(root)
}

// index rewrites the images of an image index, then its attestation
// manifests, whose subjects they are.
func (rl *relayer) index(desc ocispecs.Descriptor) (ocispecs.Descriptor, error) {
	var idx ocispecs.Index
	if err := rl.readExact(desc, &idx, indentJSON); err != nil {
		return desc, err
	}
	for i, m := range idx.Manifests {
		if m.Annotations[annotationRefType] == attestationRefType {
			continue
		}
		nm, err := rl.image(m, m.Platform)
		if err != nil {
			return desc, err
		}
		idx.Manifests[i] = nm
	}
	if len(rl.moved) == 0 {
		return desc, nil
	}
	for i, m := range idx.Manifests {
		if m.Annotations[annotationRefType] != attestationRefType {
			continue
		}
		nm, err := rl.attestation(m)
		if err != nil {
			return desc, err
		}
		idx.Manifests[i] = nm
	}
	return rl.replace(desc, idx, indentJSON)
}

// attestation rewrites an attestation manifest for the images it is
// about: every digest of a moved blob in its statements (as long as the
// one it replaces, so nothing else in them moves), its config, its
// layers and its subject becomes the new one, as BuildKit would have
// written them.
func (rl *relayer) attestation(desc ocispecs.Descriptor) (ocispecs.Descriptor, error) {
	var man ocispecs.Manifest
	if err := rl.readExact(desc, &man, indentJSON); err != nil {
		return desc, err
	}
	for i, l := range man.Layers { // the statements first: the config names their digests
		if err := rl.replaceText(l); err != nil {
			return desc, err
		}
		man.Layers[i].Digest = rl.movedTo(l.Digest)
	}
	if err := rl.replaceText(man.Config); err != nil {
		return desc, err
	}
	man.Config.Digest = rl.movedTo(man.Config.Digest)
	if s := man.Subject; s != nil && rl.moved[s.Digest] != "" {
		s.Digest = rl.moved[s.Digest]
		s.Size = rl.sizes[s.Digest]
	}
	nd, err := rl.replace(desc, man, indentJSON)
	if err != nil {
		return desc, err
	}
	nd.Annotations = map[string]string{}
	for k, v := range desc.Annotations {
		nd.Annotations[k] = string(rl.replaceDigests([]byte(v)))
	}
	return nd, nil
}

// replaceText rewrites the blob of desc with every moved digest replaced.
func (rl *relayer) replaceText(desc ocispecs.Descriptor) error {
	if _, ok := rl.moved[desc.Digest]; ok {
		return nil
	}
	raw, err := rl.readBlob(desc)
	if err != nil {
		return err
	}
	dt := rl.replaceDigests(raw)
	if bytes.Equal(dt, raw) {
		return nil
	}
	nd, err := rl.putBlob(dt)
	if err != nil {
		return err
	}
	rl.moved[desc.Digest] = nd.Digest
	return nil
}

// replaceDigests replaces the hex of every moved digest in dt.
func (rl *relayer) replaceDigests(dt []byte) []byte {
	for from, to := range rl.moved {
		dt = bytes.ReplaceAll(dt, []byte(from.Encoded()), []byte(to.Encoded()))
	}
	return dt
}

func (rl *relayer) movedTo(d digest.Digest) digest.Digest {
	if n, ok := rl.moved[d]; ok {
		return n
	}
	return d
}

// patchExportedRoot makes the exporter response in resp name the new
// root (and the new config of a root that is one image), as BuildKit's
// response would have: only the digests and the size change.
func patchExportedRoot(resp *client.SolveResponse, old, root ocispecs.Descriptor, moved map[digest.Digest]digest.Digest) error {
	if resp == nil || resp.ExporterResponse == nil || old.Digest == root.Digest {
		return nil
	}
	er := resp.ExporterResponse
	if v := er[exptypes.ExporterImageConfigDigestKey]; v != "" {
		if n, ok := moved[digest.Digest(v)]; ok {
			er[exptypes.ExporterImageConfigDigestKey] = n.String()
		}
	}
	er[exptypes.ExporterImageDigestKey] = root.Digest.String()
	var desc ocispecs.Descriptor
	dt, err := base64.StdEncoding.DecodeString(er[exptypes.ExporterImageDescriptorKey])
	if err != nil || json.Unmarshal(dt, &desc) != nil || desc.Digest != old.Digest {
		return setExportedRoot(resp, root) // reproducible.go
	}
	desc.Digest, desc.Size = root.Digest, root.Size
	if dt, err = json.Marshal(desc); err != nil {
		return err
	}
	er[exptypes.ExporterImageDescriptorKey] = base64.StdEncoding.EncodeToString(dt)
	return nil
}
