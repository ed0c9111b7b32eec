package builder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/weld-build/weld/internal/atomicfile"
	"github.com/weld-build/weld/internal/layertime"
)

// The rewrite of one image of a staged layout (relayer.go), as BuildKit's
// rewriteRemoteWithEpoch and commitDistributionManifest do it: the layers
// whose diffIDs are the base's, up to the first that is not, stay; every
// other layer is rewritten (unless its source tar is the base's layer at
// that index after all), the config's rootfs follows, then the manifest.

// layerRewrite is what happens to one layer.
type layerRewrite struct {
	i   int
	imm digest.Digest // the base's diffID at i, once diverged; "" past the base
	res layertime.Result
}

// image rewrites the image manifest desc; p is its platform (nil: the
// layout's only image).
func (rl *relayer) image(desc ocispecs.Descriptor, p *ocispecs.Platform) (ocispecs.Descriptor, error) {
	var man ocispecs.Manifest
	if err := rl.readExact(desc, &man, indentJSON); err != nil {
		return desc, err
	}
	var cfg map[string]json.RawMessage
	if err := rl.readExact(man.Config, &cfg, json.Marshal); err != nil {
		return desc, err
	}
	var rootfs ocispecs.RootFS
	if err := json.Unmarshal(cfg["rootfs"], &rootfs); err != nil || len(rootfs.DiffIDs) != len(man.Layers) {
		return desc, fmt.Errorf("the staged config %s has %d diffIDs for %d layers", man.Config.Digest, len(rootfs.DiffIDs), len(man.Layers))
	}
	base, err := rl.baseDiffIDs(p)
	if err != nil {
		return desc, err
	}
	todo := toRewrite(rootfs.DiffIDs, base)
	if err := rl.rewriteLayers(man.Layers, todo); err != nil {
		return desc, err
	}
	changed := false
	for _, t := range todo {
		moved, err := rl.placeLayer(&man, &rootfs, t)
		if err != nil {
			return desc, err
		}
		changed = changed || moved
	}
	for _, t := range todo {
		rl.written[t.res.Digest] = true
	}
	if !changed {
		return desc, nil
	}
	rootfs.Type = "layers"
	if cfg["rootfs"], err = json.Marshal(rootfs); err != nil {
		return desc, err
	}
	if man.Config, err = rl.replace(man.Config, cfg, json.Marshal); err != nil {
		return desc, err
	}
	return rl.replace(desc, man, indentJSON)
}

// placeLayer puts the rewrite t of a layer into the manifest and rootfs,
// as BuildKit's rewrite would; it says whether the layer moved.
func (rl *relayer) placeLayer(man *ocispecs.Manifest, rootfs *ocispecs.RootFS, t *layerRewrite) (bool, error) {
	l := man.Layers[t.i]
	nl := l
	nl.MediaType = ocispecs.MediaTypeImageLayerGzip
	nl.Digest, nl.Size = t.res.Digest, t.res.Size
	nl.Annotations = nil
	if man.MediaType == ocispecs.MediaTypeImageManifest { // RemoveInternalLayerAnnotations
		nl.Annotations = map[string]string{annotationRewritten: fmt.Sprint(rl.sec)}
	}
	if t.imm != "" && t.res.OrigDiffID == t.imm { // BuildKit keeps the source layer
		if !isPlainTar(l.MediaType) {
			return false, nil
		}
		// weld had it uncompressed (compression.go): the blob BuildKit
		// would have kept is its gzip.
		res, err := rl.compressSource(l)
		if err != nil {
			return false, err
		}
		nl.Annotations = l.Annotations
		nl.Digest, nl.Size = res.Digest, res.Size
		t.res.DiffID = res.DiffID
		rl.written[res.Digest] = true
	}
	man.Layers[t.i] = nl
	rootfs.DiffIDs[t.i] = t.res.DiffID
	rl.moved[l.Digest] = nl.Digest
	return true, nil
}

// toRewrite are the layers BuildKit rewrites, given the image's diffIDs
// and the base's.
func toRewrite(diffIDs, base []digest.Digest) []*layerRewrite {
	var out []*layerRewrite
	diverged := false
	for i, d := range diffIDs {
		var imm digest.Digest
		if !diverged && i < len(base) {
			imm = base[i]
			if imm == d {
				continue
			}
			diverged = true
		}
		out = append(out, &layerRewrite{i: i, imm: imm})
	}
	return out
}

// rewriteLayers rewrites the layers todo names, a few at once, as
// BuildKit does.
func (rl *relayer) rewriteLayers(layers []ocispecs.Descriptor, todo []*layerRewrite) error {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, t := range todo {
		l := layers[t.i]
		if l.Annotations["containerd.io/snapshot/stargz/toc.digest"] != "" {
			return fmt.Errorf("layer %s is eStargz, whose time rewrite weld does not do", l.Digest)
		}
		g.Go(func() (err error) {
			t.res, err = rl.layer(l, t.imm)
			return err
		})
	}
	return g.Wait()
}

// layerFlight shares one rewrite of a layer between the images of a
// process that rewrite it at once (the leaves of a fan-out); the others
// then copy it from the cache.
var layerFlight singleflight.Group

// layer rewrites one layer into the layout: from the cache when it holds
// it whole, else from the source blob (kept in the cache when it may).
func (rl *relayer) layer(l ocispecs.Descriptor, imm digest.Digest) (layertime.Result, error) {
	if res, ok := rl.skipped.get(l.Digest); ok { // its rewrite is there already
		return res, nil
	}
	k := layertime.Key{Source: l.Digest, Epoch: rl.sec}
	if res, ok := rl.fromCache(k, imm); ok {
		return res, nil
	}
	mine := false
	v, err, _ := layerFlight.Do(fmt.Sprint(k), func() (any, error) { mine = true; return rl.rewrite(k, l) })
	if !mine {
		if res, ok := rl.fromCache(k, imm); ok {
			return res, nil
		}
		v, err = rl.rewrite(k, l)
	}
	if err != nil {
		return layertime.Result{}, err
	}
	return v.(layertime.Result), nil
}

// fromCache puts the cached rewrite of k into the layout, checking its
// digest while it copies; a layer BuildKit would keep is not copied.
func (rl *relayer) fromCache(k layertime.Key, imm digest.Digest) (layertime.Result, bool) {
	if rl.cache == nil {
		return layertime.Result{}, false
	}
	res, ok := rl.cache.Lookup(k)
	if !ok {
		return res, false
	}
	if imm != "" && res.OrigDiffID == imm {
		return res, true
	}
	err := rl.writeBlob(func(w io.Writer) (digest.Digest, error) { return res.Digest, rl.cache.CopyTo(k, res, w) })
	return res, err == nil // else a changed entry: rewrite from the source
}

// rewrite rewrites the source blob of k into the layout, and into the
// cache.
func (rl *relayer) rewrite(k layertime.Key, l ocispecs.Descriptor) (layertime.Result, error) {
	e := rl.cache.NewEntry(k)
	defer e.Abort()
	res, err := rl.fromSource(l, func(src io.Reader, w io.Writer) (layertime.Result, error) {
		return layertime.Rewrite(src, rl.epoch, io.MultiWriter(w, e))
	})
	if err != nil {
		return res, err
	}
	e.Commit(res)
	if rl.keep != nil {
		rl.keep(k, res)
	}
	return res, nil
}

// fromSource writes into the layout the blob that produce makes of the
// source blob of layer l.
func (rl *relayer) fromSource(l ocispecs.Descriptor, produce func(src io.Reader, w io.Writer) (layertime.Result, error)) (layertime.Result, error) {
	src, err := rl.openBlob(l.Digest)
	if err != nil {
		return layertime.Result{}, err
	}
	defer src.Close()
	var res layertime.Result
	err = rl.writeBlob(func(w io.Writer) (digest.Digest, error) {
		res, err = produce(src, w)
		return res.Digest, err
	})
	if err != nil {
		return res, fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	return res, nil
}

// writeBlob writes a blob of the layout through write, which returns its
// digest, to a temporary file renamed to the digest's path once write
// succeeded. Like BuildKit's export of the layout, it does not sync: the
// layout is checked by digest where it matters.
func (rl *relayer) writeBlob(write func(io.Writer) (digest.Digest, error)) error {
	tmp, err := os.CreateTemp(filepath.Join(rl.dir, ocispecs.ImageBlobsDir, digest.Canonical.String()), ".layertime-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	d, err := write(tmp)
	if err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	path, err := blobPath(rl.dir, d)
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (rl *relayer) openBlob(d digest.Digest) (*os.File, error) {
	path, err := blobPath(rl.dir, d)
	if err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_RDONLY|noFollow, 0)
}

func (rl *relayer) readBlob(desc ocispecs.Descriptor) ([]byte, error) {
	f, err := rl.openBlob(desc.Digest)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dt, err := io.ReadAll(io.LimitReader(f, maxJSONBlob+1))
	if err == nil && len(dt) > maxJSONBlob {
		err = fmt.Errorf("the staged blob %s is over %d bytes", desc.Digest, maxJSONBlob)
	}
	return dt, err
}

// maxJSONBlob bounds a manifest, config or statement read whole.
const maxJSONBlob = 64 << 20

// readExact decodes the JSON blob of desc into v, and fails unless
// marshal gives its bytes back: the rewrite writes it with marshal, and
// must change nothing but what it rewrites.
func (rl *relayer) readExact(desc ocispecs.Descriptor, v any, marshal func(any) ([]byte, error)) error {
	raw, err := rl.readBlob(desc)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("parsing the staged blob %s: %w", desc.Digest, err)
	}
	if again, err := marshal(v); err != nil || !bytes.Equal(again, raw) {
		return fmt.Errorf("the staged blob %s is not written as BuildKit v0.34.2 writes it", desc.Digest)
	}
	return nil
}

// indentJSON is the JSON of BuildKit's manifests and indexes.
func indentJSON(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// replace writes v (with marshal) as the blob that replaces desc's.
func (rl *relayer) replace(desc ocispecs.Descriptor, v any, marshal func(any) ([]byte, error)) (ocispecs.Descriptor, error) {
	dt, err := marshal(v)
	if err != nil {
		return desc, err
	}
	nd, err := rl.putBlob(dt)
	if err != nil {
		return desc, err
	}
	out := desc
	out.Digest, out.Size = nd.Digest, nd.Size
	if out.Digest != desc.Digest {
		rl.moved[desc.Digest] = out.Digest
	}
	return out, nil
}

// putBlob writes dt as a blob of the layout.
func (rl *relayer) putBlob(dt []byte) (ocispecs.Descriptor, error) {
	d := digest.FromBytes(dt)
	rl.sizes[d] = int64(len(dt))
	path, err := blobPath(rl.dir, d)
	if err != nil {
		return ocispecs.Descriptor{}, err
	}
	return ocispecs.Descriptor{Digest: d, Size: int64(len(dt))}, atomicfile.WriteFileUnsynced(path, dt, 0o644)
}

// dropMoved removes the blobs that were replaced, or written and not used,
// that the new root does not reach: the layout holds what BuildKit's
// export would.
func (rl *relayer) dropMoved(root ocispecs.Descriptor) error {
	keep := map[digest.Digest]bool{}
	if err := rl.reach(root, keep); err != nil {
		return err
	}
	drop := rl.written
	for old := range rl.moved {
		drop[old] = true
	}
	for old := range drop {
		if keep[old] {
			continue
		}
		path, err := blobPath(rl.dir, old)
		if err != nil {
			return err
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// reach adds desc and every blob it names (manifests, configs, layers) to keep.
func (rl *relayer) reach(desc ocispecs.Descriptor, keep map[digest.Digest]bool) error {
	keep[desc.Digest] = true
	switch {
	case isIndex(desc.MediaType):
		var idx ocispecs.Index
		if err := readBlob(rl.dir, desc, &idx); err != nil {
			return err
		}
		for _, m := range idx.Manifests {
			if err := rl.reach(m, keep); err != nil {
				return err
			}
		}
	case isManifest(desc.MediaType):
		var man ocispecs.Manifest
		if err := readBlob(rl.dir, desc, &man); err != nil {
			return err
		}
		keep[man.Config.Digest] = true
		for _, l := range man.Layers {
			keep[l.Digest] = true
		}
	}
	return nil
}

func isManifest(mediaType string) bool {
	return mediaType == ocispecs.MediaTypeImageManifest || mediaType == "application/vnd.docker.distribution.manifest.v2+json"
}
