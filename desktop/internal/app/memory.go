package app

import (
	"os"
	"runtime/debug"
)

// DefaultMemoryLimit is the Go heap the client programs aim to stay under
// on a 4 GB laptop shared with a browser. It is a soft limit: the garbage
// collector works harder near it but never fails an allocation. With
// 100,000 records the index and Badger hold about 100 MB live, the desktop
// app with its windows about 130 MB.
const DefaultMemoryLimit = 192 << 20

// DefaultGCPercent lets the heap grow by a quarter of what is live before
// a collection instead of Go's default of all of it. Measured opening
// 100,000 records (BENCHMARKS.md): peak memory 251 MB with Go's default,
// 213 MB at 50, 195 MB at 25; start-up to a usable home screen 1.46 s at
// 50 and 1.76 s at 25.
const DefaultGCPercent = 25

// LimitMemory sets DefaultMemoryLimit and DefaultGCPercent unless
// GOMEMLIMIT and GOGC say otherwise.
func LimitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
}
