package app

import (
	"os"
	"runtime/debug"
)

// DefaultMemoryLimit is the Go heap the client programs aim to stay under
// on a 4 GB laptop shared with a browser. It is a soft limit: the garbage
// collector works harder near it (a bulk load of 100,000 records takes
// about 1.5 times as long) but never fails an allocation. With 100,000
// records the index and Badger hold about 130 MB live.
const DefaultMemoryLimit = 192 << 20

// LimitMemory sets DefaultMemoryLimit unless GOMEMLIMIT says otherwise.
// Without it the heap grows to twice what is live between collections,
// and Badger's write bursts leave it there.
func LimitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
}
