package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// What a staged layout's store (stagedstore.go) serves besides its
// writers: its committed blobs, read-only. Ingests are never kept (an
// uncommitted blob is thrown away), so there is no status to list.

// Info implements content.InfoProvider.
func (s *stagedStore) Info(_ context.Context, d digest.Digest) (content.Info, error) {
	p, err := blobPath(s.dir, d)
	if err != nil {
		return content.Info{}, fmt.Errorf("%s: %w", d, errdefs.ErrInvalidArgument)
	}
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return content.Info{}, fmt.Errorf("content %s: %w", d, errdefs.ErrNotFound)
	}
	return content.Info{Digest: d, Size: fi.Size(), CreatedAt: fi.ModTime(), UpdatedAt: fi.ModTime()}, nil
}

// Update implements content.Manager: a staged blob keeps no labels.
func (s *stagedStore) Update(ctx context.Context, info content.Info, _ ...string) (content.Info, error) {
	return s.Info(ctx, info.Digest)
}

// Walk implements content.Manager, over every committed blob.
func (s *stagedStore) Walk(ctx context.Context, fn content.WalkFunc, _ ...string) error {
	root := filepath.Join(s.dir, ocispecs.ImageBlobsDir, digest.Canonical.String())
	ents, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		d := digest.NewDigestFromEncoded(digest.Canonical, e.Name())
		if d.Validate() != nil || !e.Type().IsRegular() {
			continue
		}
		info, err := s.Info(ctx, d)
		if err != nil {
			continue
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements content.Manager.
func (s *stagedStore) Delete(_ context.Context, d digest.Digest) error {
	p, err := blobPath(s.dir, d)
	if err != nil {
		return fmt.Errorf("%s: %w", d, errdefs.ErrInvalidArgument)
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("content %s: %w", d, errdefs.ErrNotFound)
	}
	return nil
}

// ReaderAt implements content.Provider.
func (s *stagedStore) ReaderAt(ctx context.Context, desc ocispecs.Descriptor) (content.ReaderAt, error) {
	if _, err := s.Info(ctx, desc.Digest); err != nil {
		return nil, err
	}
	p, _ := blobPath(s.dir, desc.Digest)
	f, err := os.OpenFile(p, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, fmt.Errorf("content %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return sizedFile{File: f, size: fi.Size()}, nil // export_registry.go
}

// Status implements content.IngestManager: no ingest is kept.
func (s *stagedStore) Status(_ context.Context, ref string) (content.Status, error) {
	return content.Status{}, fmt.Errorf("ingest %s: %w", ref, errdefs.ErrNotFound)
}

// ListStatuses implements content.IngestManager.
func (s *stagedStore) ListStatuses(context.Context, ...string) ([]content.Status, error) {
	return nil, nil
}

// Abort implements content.IngestManager.
func (s *stagedStore) Abort(_ context.Context, ref string) error {
	return fmt.Errorf("ingest %s: %w", ref, errdefs.ErrNotFound)
}
