package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/weld-build/weld/internal/atomicfile"
)

// ociExporter publishes to an OCI output: the layout folder Dest/<label>,
// or the tar Dest/<label>.tar. Either is committed under the output's lock
// by one rename from this run's staging folder on the same filesystem: a
// folder is the staged layout itself (it moves, so this exporter runs
// last), a tar is first written whole into staging from the layout.
type ociExporter struct {
	out Output
	r   *run
}

var _ Exporter = (*ociExporter)(nil)

// Publish implements Exporter.
func (e *ociExporter) Publish(ctx context.Context, img *stagedImage) ([]string, error) {
	s := img.step
	final, err := childPath(e.out.Dest, outputFile(e.out, s))
	if err != nil {
		return nil, err
	}
	err = img.tr.wrap(ctx, "writing oci:"+final, func(*vertex) error {
		staged := img.dir
		if e.out.Tar {
			var err error
			if staged, err = e.stageTar(img); err != nil {
				return err
			}
		}
		return e.commit(ctx, img, staged, final)
	})
	if err != nil {
		return nil, err
	}
	return []string{"oci:" + final}, nil
}

// stageTar writes the staged layout as a tar into this run's staging
// folder of the output; a failure leaves nothing there.
func (e *ociExporter) stageTar(img *stagedImage) (string, error) {
	path, err := e.r.stagedPath(e.out, img.step)
	if err != nil {
		return "", err
	}
	records, err := layoutRecords(img.dir)
	if err != nil {
		return "", fmt.Errorf("reading the staged image of step %q: %w", img.step.Label, err)
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return "", err
	}
	if err := writeTar(f, records); err != nil {
		f.Abort()
		return "", err // the file's errors name the path
	}
	return path, f.Close()
}

// commit puts the staged folder or tar at final, under the output's lock;
// a folder keeps the earlier signatures of the same image (sigkeep.go).
func (e *ociExporter) commit(ctx context.Context, img *stagedImage, staged, final string) error {
	defer e.r.stage.serialize(e.out.Dest)()
	unlock, err := lockOutput(ctx, e.out.Dest)
	if err != nil {
		return err
	}
	defer unlock()
	if e.out.Tar {
		if err := os.Rename(staged, final); err != nil {
			return fmt.Errorf("placing %s: %w", final, err)
		}
		return nil
	}
	if err := keepLayoutSignatures(img, final); err != nil {
		return err
	}
	// What BuildKit's client leaves beside the layout is not part of it.
	_ = os.RemoveAll(filepath.Join(staged, "ingest"))
	// The staged layout was written unsynced (atomicfile.WriteFileUnsynced):
	// synced once here, as it stays.
	if err := atomicfile.SyncTree(staged); err != nil {
		return err
	}
	return swapInto(staged, final)
}
