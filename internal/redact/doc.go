// Package redact replaces the values of secrets in what weld prints or
// writes. It finds each value as it is, in hex (lower and upper case, plain
// or with a space between bytes as od -An -tx1 prints it) and in base64
// (standard and URL alphabets, at each of the three alignments a value can
// have inside a longer encoded text, without the edge characters that
// depend on its neighbours), and puts [secret:ID] in its place. The encoded
// forms are also found when line breaks interrupt them (base64 -w 76,
// xxd -p). The value without its surrounding white space counts too, and so
// does each line of at least 8 bytes of a multi-line value.
//
// Values shorter than MinLen bytes are not redacted: they would match
// everywhere and mangle the output (the leak scan skips them too).
//
// A Stream does the same for text that arrives in chunks, where a value can
// be split between two chunks: it holds back the end of a chunk only while
// that end could still begin a value, and Flush releases it.
package redact
