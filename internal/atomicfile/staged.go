package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileUnsynced writes data to path through a temporary file renamed
// into place, as WriteFile, but syncs nothing: for a private staging
// folder, read whole or thrown away, that SyncTree makes durable at once
// when it is kept. A staged image's layout is written several times over
// (its layers' times, the provenance, the SBOM, the signatures); a sync
// at each write cost dozens of fsyncs per image.
func WriteFileUnsynced(path string, data []byte, perm fs.FileMode) error {
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, Cause(err))
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, Cause(err))
	}
	return nil
}

// SyncTree syncs every regular file and folder under dir (dir too) to
// disk, following no symlink: what WriteFileUnsynced left unsynced
// becomes durable before the folder is renamed where it stays.
func SyncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() && !d.IsDir() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("syncing %s: %w", p, Cause(err))
		}
		err = f.Sync()
		f.Close()
		if err != nil && d.Type().IsRegular() { // some filesystems cannot sync a folder
			return fmt.Errorf("syncing %s: %w", p, Cause(err))
		}
		return nil
	})
}
