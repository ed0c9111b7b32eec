package leakscan

import (
	"bytes"
	"strconv"
	"strings"
)

// sniff tells the container a file is by its first bytes ("" for none):
// never by its name.
func sniff(h []byte) string {
	switch {
	case bytes.HasPrefix(h, []byte{0x1f, 0x8b, 8}):
		return "gzip"
	case bytes.HasPrefix(h, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return "zstd"
	case bytes.HasPrefix(h, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return "xz"
	case len(h) >= 10 && bytes.HasPrefix(h, []byte("BZh")) && '1' <= h[3] && h[3] <= '9' &&
		(string(h[4:10]) == "1AY&SY" || string(h[4:10]) == "\x17rE8P\x90"):
		return "bzip2"
	case bytes.HasPrefix(h, []byte("PK\x03\x04")):
		return "zip"
	case isTar(h):
		return "tar"
	}
	return ""
}

// isTar reports whether h starts with a tar header: its checksum holds
// (ustar, GNU and old V7 headers alike).
func isTar(h []byte) bool {
	if len(h) < 512 || h[0] == 0 {
		return false
	}
	field := strings.Trim(string(h[148:156]), " \x00")
	want, err := strconv.ParseInt(field, 8, 64)
	if err != nil {
		return false
	}
	var unsigned, signed int64
	for i, b := range h[:512] {
		if 148 <= i && i < 156 {
			b = ' '
		}
		unsigned += int64(b)
		signed += int64(int8(b))
	}
	return want == unsigned || want == signed
}

// xzDict returns the dictionary size the first block of an xz stream asks
// for (its LZMA2 filter's), or 0 when h does not say.
func xzDict(h []byte) int64 {
	// Stream header (12 bytes), then the block header: its size, its flags
	// (filters-1 in bits 0-1; compressed and uncompressed sizes present in
	// bits 6 and 7), the sizes as varints, then each filter: id, size of
	// its properties, properties.
	if len(h) < 14 || h[12] == 0 {
		return 0
	}
	flags := h[13]
	i := 14
	skip := func() uint64 {
		var v uint64
		for s := 0; i < len(h) && s < 63; s += 7 {
			b := h[i]
			i++
			v |= uint64(b&0x7f) << s
			if b < 0x80 {
				break
			}
		}
		return v
	}
	for _, bit := range []byte{0x40, 0x80} {
		if flags&bit != 0 {
			skip()
		}
	}
	for range int(flags&3) + 1 {
		id, size := skip(), skip()
		if id == 0x21 && size == 1 && i < len(h) {
			bits := h[i]
			if bits > 40 {
				return 1 << 32
			}
			if bits == 40 {
				return 1<<32 - 1
			}
			return int64(2|bits&1) << (bits/2 + 11)
		}
		i += int(size)
	}
	return 0
}
