//go:build !unix

package builder

// noFollow is not available here: ownEntry's check stands alone.
const noFollow = 0
