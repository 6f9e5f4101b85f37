package app

import (
	"os"
	"runtime/debug"
	"sync"
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

// BulkMemoryLimit and BulkGCPercent are the collector's settings while a
// new laptop's first pull is stored (a bulk load, syncer.Syncer.BulkMemory):
// the load holds 450-650 MB live (a window of operations, their records'
// states and keys, Badger's memtables and table builders), far above
// DefaultMemoryLimit, and under the app's settings the collector ran
// nearly all the time: records.BenchmarkApplyBulkApp took 2.6 times the
// CPU. Under 1 GiB the heap goal of a 100,000-record pull, up to ~800 MB
// live with the rest of the process, met the limit: syncbench's pull took
// a quarter more CPU than with Go's defaults; under 1.5 GiB the same
// (BENCHMARKS.md, pull4). The limit still bounds the heap of a 4 GB
// laptop, for the pull alone.
const (
	BulkMemoryLimit = 3 << 29 // 1.5 GiB
	BulkGCPercent   = 100
)

// relaxed counts the bulk loads under way (RelaxMemory) and keeps the
// settings to restore after the last.
var relaxed struct {
	sync.Mutex
	n       int
	percent int
	limit   int64
}

// RelaxMemory lets the heap grow to BulkMemoryLimit, collected at
// BulkGCPercent, until the function it returns is called; settings that
// allow more already (GOGC=off, a higher GOMEMLIMIT, keneshctl's Go
// defaults) are left as they are. Loads under way at once share the
// relaxed settings; the ones before the first come back after the last.
func RelaxMemory() (restore func()) {
	relaxed.Lock()
	defer relaxed.Unlock()
	if relaxed.n == 0 {
		relaxed.limit = debug.SetMemoryLimit(-1) // -1: read, not set
		relaxed.percent = debug.SetGCPercent(BulkGCPercent)
		if relaxed.percent < 0 || relaxed.percent > BulkGCPercent {
			debug.SetGCPercent(relaxed.percent) // off, or higher: kept
		}
		if relaxed.limit < BulkMemoryLimit {
			debug.SetMemoryLimit(BulkMemoryLimit)
		}
	}
	relaxed.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			relaxed.Lock()
			defer relaxed.Unlock()
			relaxed.n--
			if relaxed.n == 0 {
				debug.SetGCPercent(relaxed.percent)
				debug.SetMemoryLimit(relaxed.limit)
			}
		})
	}
}
