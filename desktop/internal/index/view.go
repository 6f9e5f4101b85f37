package index

import "unsafe"

// viewString is b seen as a string without copying it: for reading a
// stored value in place. The string must not outlive b's contents, so
// whatever of it is kept must be cloned (set and textIndex.set clone
// every string they keep).
func viewString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
