//go:build !linux

package badgerstore

import "time"

// pageOut does nothing but on Linux, whose MADV_PAGEOUT it uses.
func pageOut(dir string, interval time.Duration, stop <-chan struct{}) {}
