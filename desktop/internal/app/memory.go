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

// DefaultGCPercent lets the heap grow by half of what is live before a
// collection instead of Go's default of all of it: opening 100,000 records
// peaked at 175 MB of memory with the default and 140 MB with this, for a
// collection about twice as often.
const DefaultGCPercent = 50

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
