package leakscan

import (
	"bufio"
	"encoding/binary"
	"io"
	"strings"
)

// zip scans a zip archive as a stream, by its local headers, so that no
// archive is held in memory or on disk: each member's name and contents
// (stored, deflated, or bzip2, zstd, xz), and every byte of the archive as
// it is (comments, the central directory, what no local header describes).
// Encrypted members, and members of other methods, are not read.
func (sc *scan) zip(src io.Reader, at place, depth int) {
	whole := sc.stream()
	br := bufio.NewReaderSize(io.TeeReader(src, whole), 32<<10)
	in := at.in("zip")
	before := len(sc.out)
	for !sc.stopped && sc.zipMember(br, in, depth) {
	}
	if sc.stopped {
		sc.release(whole)
		return
	}
	_, _ = io.CopyBuffer(io.Discard, struct{ io.Reader }{br}, sc.buf)
	// What a member holds is reported once, at the member.
	for _, h := range whole.hits() {
		if !sc.foundSince(before, h) {
			sc.add(at, []hit{h})
		}
	}
	sc.release(whole)
}

func (sc *scan) foundSince(i int, h hit) bool {
	for _, f := range sc.out[i:] {
		if f.Secret == h.id && f.Encoding == h.enc {
			return true
		}
	}
	return false
}

// zipMethods are the compression methods read, by their number.
var zipMethods = map[uint16]string{8: "deflate", 12: "bzip2", 93: "zstd", 95: "xz"}

// local is a member's local header.
type local struct {
	flags, method uint16
	size          int64 // compressed; 0 when a descriptor after the data says
	name, extra   []byte
	zip64         bool
}

// readLocal reads a local header; false at anything else.
func readLocal(br *bufio.Reader) (local, bool) {
	var h [30]byte
	if _, err := io.ReadFull(br, h[:]); err != nil || string(h[:4]) != "PK\x03\x04" {
		return local{}, false
	}
	le := binary.LittleEndian
	l := local{flags: le.Uint16(h[6:]), method: le.Uint16(h[8:]), size: int64(le.Uint32(h[18:])),
		name: make([]byte, le.Uint16(h[26:])), extra: make([]byte, le.Uint16(h[28:]))}
	if _, err := io.ReadFull(br, l.name); err != nil {
		return local{}, false
	}
	if _, err := io.ReadFull(br, l.extra); err != nil {
		return local{}, false
	}
	l.size, l.zip64 = zip64Size(l.extra, l.size, le.Uint32(h[22:]) == 0xffffffff)
	return l, true
}

// zipMember scans one member; false when there is no further member to
// find.
func (sc *scan) zipMember(br *bufio.Reader, in place, depth int) bool {
	l, ok := readLocal(br)
	if !ok {
		return false
	}
	st := sc.stream()
	hits, shown := sc.m.name(st, string(l.name))
	sc.release(st)
	at := in.member(shown)
	sc.add(at, hits)
	sc.names(at, string(l.extra))

	descriptor := l.flags&8 != 0
	known := !descriptor || l.size > 0
	var body io.Reader = br
	if known {
		body = io.LimitReader(br, l.size)
	}
	if !sc.zipBody(l, body, known, at, depth) || sc.stopped {
		return false
	}
	if known {
		_, _ = io.CopyBuffer(io.Discard, struct{ io.Reader }{body}, sc.buf)
	}
	if descriptor {
		skipDescriptor(br, l.zip64)
	}
	return true
}

// zipBody scans a member's data; false when where it ends is not known.
func (sc *scan) zipBody(l local, body io.Reader, known bool, at place, depth int) bool {
	kind := zipMethods[l.method]
	switch {
	case l.flags&1 != 0 || l.method != 0 && kind == "":
		// Encrypted, or a method not read: skipped when its end is known.
		return known
	case l.method == 0:
		if known { // stored, of unknown size: the scan of the archive's bytes covers it
			sc.file(body, at, depth+1)
		}
		return known
	}
	in := &counter{r: bufio.NewReader(body)}
	if br, ok := body.(*bufio.Reader); ok {
		in.r = br // then flate reads no further than its stream
	}
	dec, _, done, err := decoder(kind, in)
	if err != nil {
		return known
	}
	sc.file(&guard{r: dec, in: in, sc: sc, at: at}, at, depth+1)
	done()
	return known || kind == "deflate" // only deflate is known to end where its data does
}

// zip64Size returns the compressed size a zip64 extra field gives, and
// whether there is one.
func zip64Size(extra []byte, size int64, usizeInExtra bool) (int64, bool) {
	le := binary.LittleEndian
	for len(extra) >= 4 {
		id, n := le.Uint16(extra), int(le.Uint16(extra[2:]))
		if len(extra) < 4+n {
			break
		}
		if id == 1 {
			f := extra[4 : 4+n]
			if usizeInExtra && len(f) >= 8 {
				f = f[8:]
			}
			if size == 0xffffffff && len(f) >= 8 {
				size = int64(le.Uint64(f))
			}
			return size, true
		}
		extra = extra[4+n:]
	}
	return size, false
}

// skipDescriptor skips the data descriptor after a member's data: an
// optional signature, the CRC, and both sizes (8 bytes each in zip64).
func skipDescriptor(br *bufio.Reader, zip64 bool) {
	if sig, _ := br.Peek(4); string(sig) == "PK\x07\x08" {
		_, _ = br.Discard(4)
	}
	n := 12
	if zip64 {
		n = 20
	} else if p, _ := br.Peek(24); len(p) == 24 && !isZipSig(p[12:16]) && isZipSig(p[20:24]) {
		n = 20 // zip64 sizes without a zip64 extra field
	}
	_, _ = br.Discard(n)
}

func isZipSig(b []byte) bool {
	s := string(b)
	return strings.HasPrefix(s, "PK") && (s == "PK\x03\x04" || s == "PK\x01\x02" || s == "PK\x05\x06" || s == "PK\x06\x06")
}
