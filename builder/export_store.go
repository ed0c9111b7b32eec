package builder

import (
	"context"
	"fmt"
)

// storeExporter publishes into one OCI layout shared by every image
// (OutputStore), each tagged with its name: the staged layout's blobs move
// in, then the store's index names the image, under the store's lock. It
// moves the staged blobs, so it runs last.
type storeExporter struct {
	out Output
	r   *run
}

var _ Exporter = (*storeExporter)(nil)

// Publish implements Exporter.
func (e *storeExporter) Publish(ctx context.Context, img *stagedImage) ([]string, error) {
	s := img.step
	err := img.tr.wrap(ctx, "adding "+s.Name+" to oci:"+e.out.Dest, func(*vertex) error { return e.commit(ctx, img) })
	if err != nil {
		return nil, err
	}
	return []string{"oci:" + e.out.Dest + " (" + s.Name + ")"}, nil
}

func (e *storeExporter) commit(ctx context.Context, img *stagedImage) error {
	defer e.r.stage.serialize(e.out.Dest)()
	unlock, err := lockOutput(ctx, e.out.Dest)
	if err != nil {
		return err
	}
	defer unlock()
	if err := mergeLayout(img.dir, e.out.Dest, img.step.Name); err != nil {
		return fmt.Errorf("adding %s to the OCI layout %s: %w", img.step.Name, e.out.Dest, err)
	}
	return nil
}
