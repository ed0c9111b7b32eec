package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/weld-build/weld/internal/atomicfile"
	"github.com/weld-build/weld/internal/safepath"
)

// store keeps builds on disk under its folder:
//
//	builds/ID/record.json   the Record, replaced atomically on every change
//	builds/ID/events.jsonl  the event log, one JSON Event a line, appended
//	builds/ID/report.html   the HTML report, once the build has ended
//	work/ID/                the build's upload, removed when it ends
//
// A torn last line of an event log (a kill -9 mid-write) is dropped on
// reading. Plain files were chosen over bbolt or SQLite: each build has
// one writer, records are small and replaced whole, and an event log is
// append-only, so a file each is crash-safe with atomic rename and needs
// no dependency.
type store struct{ dir string }

func (s store) buildDir(id string) (string, error) {
	return safepath.Join(filepath.Join(s.dir, "builds"), id)
}

func (s store) workDir(id string) (string, error) {
	return safepath.Join(filepath.Join(s.dir, "work"), id)
}

func (s store) init() error {
	for _, d := range []string{"builds", "work"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o700); err != nil {
			return fmt.Errorf("making the state folder: %w", err)
		}
	}
	return nil
}

func (s store) writeRecord(r *Record) error {
	dir, err := s.buildDir(r.ID)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	dt, err := json.Marshal(diskRecord{Record: *r, Tenant: r.Tenant, IdempotencyKey: r.IdempotencyKey})
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "record.json"), dt, 0o600)
}

// appendEvent appends e to the build's event log, synced.
func (s store) appendEvent(id string, e Event) error {
	dir, err := s.buildDir(id)
	if err != nil {
		return err
	}
	dt, err := json.Marshal(e)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, "events.jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(dt, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// events reads the build's event log; a torn last line is dropped.
func (s store) events(id string) ([]Event, error) {
	dir, err := s.buildDir(id)
	if err != nil {
		return nil, err
	}
	dt, err := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Event
	sc := bufio.NewScanner(bytes.NewReader(dt))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var e Event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			break
		}
		out = append(out, e)
	}
	return out, nil
}

// load reads every build record, oldest first. A build that was queued or
// running when the server stopped is marked failed (interrupted), and its
// leftover work folder removed.
func (s store) load() ([]*Record, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "builds"))
	if err != nil {
		return nil, err
	}
	var recs []*Record
	for _, e := range ents {
		dt, err := os.ReadFile(filepath.Join(s.dir, "builds", e.Name(), "record.json"))
		if err != nil {
			continue // a build dir without a record: never accepted
		}
		var dr diskRecord
		if err := json.Unmarshal(dt, &dr); err != nil {
			return nil, fmt.Errorf("reading build %s: %w", e.Name(), err)
		}
		r := dr.Record
		r.Tenant, r.IdempotencyKey = dr.Tenant, dr.IdempotencyKey
		if !r.Status.done() {
			if err := s.interrupt(&r); err != nil {
				return nil, err
			}
		}
		recs = append(recs, &r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Created.Before(recs[j].Created) })
	return recs, os.RemoveAll(filepath.Join(s.dir, "work"))
}

// interrupt marks a build that never ended as failed and closes its log.
func (s store) interrupt(r *Record) error {
	now := time.Now().UTC()
	r.Status, r.Finished = StatusFailed, &now
	r.Error = "interrupted: the server stopped before the build ended"
	if err := s.writeRecord(r); err != nil {
		return err
	}
	evs, err := s.events(r.ID)
	if err != nil {
		return err
	}
	dt, _ := json.Marshal(r)
	evs = append(evs, Event{ID: len(evs) + 1, Type: EventResult, Data: dt})
	// Rewritten whole: a torn last line must not swallow the result.
	var buf bytes.Buffer
	for _, e := range evs {
		line, _ := json.Marshal(e)
		buf.Write(append(line, '\n'))
	}
	dir, _ := s.buildDir(r.ID)
	return atomicfile.WriteFile(filepath.Join(dir, "events.jsonl"), buf.Bytes(), 0o600)
}
