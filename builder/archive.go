package builder

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// This file writes tars the way BuildKit's exporters do (containerd's
// archive writer): entries sorted by name, blobs read-only, no times.

// tarRecord is one entry of a tar: a folder, or a file with its bytes
// from src (a path) or data.
type tarRecord struct {
	name string
	dir  bool
	mode int64
	src  string
	data []byte
	size int64
}

// writeTar writes the records to w, sorted by name, each name once.
func writeTar(w io.Writer, records []tarRecord) error {
	sort.Slice(records, func(i, j int) bool { return records[i].name < records[j].name })
	tw := tar.NewWriter(w)
	last := ""
	for _, rec := range records {
		if rec.name == last {
			continue
		}
		last = rec.name
		if err := writeRecord(tw, rec); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeRecord(tw *tar.Writer, rec tarRecord) error {
	h := &tar.Header{Name: rec.name, Mode: rec.mode, Typeflag: tar.TypeReg, Size: rec.size}
	if rec.dir {
		h.Typeflag, h.Size = tar.TypeDir, 0
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	switch {
	case rec.dir:
		return nil
	case rec.src == "":
		_, err := tw.Write(rec.data)
		return err
	}
	f, err := os.Open(rec.src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(tw, f)
	if err == nil && n != rec.size {
		err = fmt.Errorf("%s changed while it was written to the tar", rec.src)
	}
	return err
}

// blobRecord is the tar entry of a blob of the layout at dir.
func blobRecord(dir string, d ocispecs.Descriptor) (tarRecord, error) {
	if err := d.Digest.Validate(); err != nil {
		return tarRecord{}, fmt.Errorf("blob %q: %w", d.Digest, err)
	}
	name := path.Join(ocispecs.ImageBlobsDir, d.Digest.Algorithm().String(), d.Digest.Encoded())
	src := filepath.Join(dir, filepath.FromSlash(name))
	fi, err := os.Lstat(src)
	if err != nil {
		return tarRecord{}, err
	}
	if !fi.Mode().IsRegular() {
		return tarRecord{}, fmt.Errorf("%s is not a regular file", src)
	}
	return tarRecord{name: name, mode: 0o444, src: src, size: fi.Size()}, nil
}

// layoutRecords are the entries of the whole OCI layout at dir as a tar:
// oci-layout, index.json and every blob (not what BuildKit's client
// leaves beside them, such as ingest/).
func layoutRecords(dir string) ([]tarRecord, error) {
	var out []tarRecord
	for name, mode := range map[string]int64{ocispecs.ImageLayoutFile: 0o444, ocispecs.ImageIndexFile: 0o644} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", filepath.Join(dir, name))
		}
		out = append(out, tarRecord{name: name, mode: mode, src: filepath.Join(dir, name), size: fi.Size()})
	}
	blobs := filepath.Join(dir, ocispecs.ImageBlobsDir)
	err := filepath.WalkDir(blobs, func(p string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) && p == blobs {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			out = append(out, tarRecord{name: rel + "/", dir: true, mode: 0o755})
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, tarRecord{name: rel, mode: 0o444, src: p, size: fi.Size()})
		default:
			return fmt.Errorf("%s is not a regular file", p)
		}
		return nil
	})
	return out, err
}
