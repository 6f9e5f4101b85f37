package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// defaultMemoryLimit is serve's soft memory limit when neither the flag
// nor GOMEMLIMIT gives one. It catches the bursts of garbage a flood of
// large operations makes (attackmem's large attack: anonymous memory up
// to 537 MiB without a limit, 342 under 384MiB), and stays above what the
// spread push (20,000 records' later steps) keeps live, about 250-300 MiB,
// which GOGC=50 lets grow to about 450: under 384MiB that push took 7.3-7.9
// s of server CPU against 6.8-7.7 without a limit, under 448MiB 7.5 s,
// under 256MiB 40% longer (BENCHMARKS.md, memory2 and mem3 helpers).
const defaultMemoryLimit = 448 << 20

// memoryLimit is --memory-limit: bytes, written as GOMEMLIMIT is
// (256MiB, 1GiB, 1073741824); 0 means no limit.
type memoryLimit int64

func (m *memoryLimit) String() string { return formatBytes(int64(*m)) }

func (m *memoryLimit) Set(s string) error {
	n, err := parseBytes(s)
	if err != nil {
		return err
	}
	*m = memoryLimit(n)
	return nil
}

var byteUnits = []struct {
	suffix string
	shift  uint
}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}

// parseBytes reads a size as GOMEMLIMIT takes it: a whole number of bytes
// with an optional B, KiB, MiB, GiB or TiB.
func parseBytes(s string) (int64, error) {
	num, shift := strings.TrimSpace(s), uint(0)
	for _, u := range byteUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, shift = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q: want a size such as 256MiB or 1GiB (B, KiB, MiB, GiB, TiB), or 0 for no limit", s)
	}
	return n << shift, nil
}

// formatBytes writes n in the largest unit that divides it.
func formatBytes(n int64) string {
	for _, u := range byteUnits {
		if n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// memoryLimitFor says which soft limit serve sets: the flag's when the
// command line or the configuration file gave it, else none of its own
// when the operator set GOMEMLIMIT (the runtime has read it), else the
// flag's default (defaultMemoryLimit). 0 is no limit (math.MaxInt64, the
// runtime's own default).
func memoryLimitFor(fs *flag.FlagSet, flagged memoryLimit) (limit int64, set bool) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "memory-limit" })
	switch {
	case !given && os.Getenv("GOMEMLIMIT") != "":
		return debug.SetMemoryLimit(-1), false // the runtime's, from GOMEMLIMIT
	case flagged == 0:
		return math.MaxInt64, true
	}
	return int64(flagged), true
}

// gcPercentFor says which GOGC serve sets (the least, gcFloor raising it
// while the live heap is small) when the operator set none: on Badger
// (postgres empty) the collector runs at half the live heap, not all of
// it, since most of what a large push allocates is Badger's short-lived
// table buffers (measured taking one laptop's 500,000 operations: a peak
// of 1,081 MiB instead of 1,626, at the same speed). On PostgreSQL the
// process holds no such buffers (a peak RSS of about 60 MiB in the same
// push), and at half of so small a heap the collector ran about once a
// change set: Go's default there (syncbench -postgres -records 20000,
// alternated x2: server CPU 1.47, 1.49 s at 50 against 1.19, 1.23 s at
// 100, peak RSS 57, 59 against 73, 71 MiB).
func gcPercentFor(postgres string) (pct int, set bool) {
	switch {
	case os.Getenv("GOGC") != "":
		return 0, false
	case postgres != "":
		return 100, true
	}
	return 50, true
}

// gcHeadroom is how far serve lets the heap grow past what the last
// collection found live, at least, when it sets the collector's percent
// itself: the percent (gcPercentFor's at the least) is raised while the
// live heap is small, so that the collector runs once per gcHeadroom of
// allocation, not once per half of a small heap. With 500 laptops syncing
// at once the live heap is about 100-110 MiB (Badger's memtable most of
// it) and GOGC=50 ran the collector every 50 MiB, about three times a
// second; GOGC=100 took about 8% of the server's CPU off for 49 MiB more
// (BENCHMARKS.md, load6). A large push keeps about 200 MiB live and more,
// where half the live heap is over gcHeadroom: its peak is what GOGC=50
// made it. Capped at a quarter of the memory limit.
const gcHeadroom = 96 << 20

// gcFloor sets the collector's percent after each collection from the live
// heap: the larger of min and what lets the heap grow by headroom.
type gcFloor struct {
	min     int
	stopped atomic.Bool
	mu      sync.Mutex // tune runs on the finalizer goroutine
	// headroom is the least growth of the heap between collections, last
	// the percent set.
	headroom uint64
	last     int
	sample   []metrics.Sample
}

// maxGCPercent bounds the percent gcFloor sets while the live heap is
// near nothing (at start): the heap still grows by headroom at most.
const maxGCPercent = 1000

// newGCFloor: minPct is the percent for a large heap, limit the soft
// memory limit (math.MaxInt64: none).
func newGCFloor(minPct int, limit int64) *gcFloor {
	headroom := uint64(gcHeadroom)
	if limit > 0 && limit < math.MaxInt64 {
		headroom = min(headroom, uint64(limit)/4)
	}
	return &gcFloor{min: minPct, headroom: headroom, last: minPct,
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

// percent is the collector's percent for a live heap of live bytes
// (g.mu held, or g not started).
func (g *gcFloor) percent(live uint64) int {
	if live == 0 {
		return g.min // no collection yet
	}
	p := g.headroom * 100 / live
	switch {
	case p < uint64(g.min):
		return g.min
	case p > maxGCPercent:
		return maxGCPercent
	}
	return int(p)
}

// tune sets the percent for the live heap the last collection found.
func (g *gcFloor) tune() {
	g.mu.Lock()
	defer g.mu.Unlock()
	metrics.Read(g.sample)
	if g.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	if p := g.percent(g.sample[0].Value.Uint64()); p != g.last {
		debug.SetGCPercent(p)
		g.last = p
	}
}

// gcHook is garbage from its start: its finalizer runs after each
// collection (on the runtime's finalizer goroutine), tunes and arms itself
// again for the next.
type gcHook struct {
	g *gcFloor
	_ [16]byte // not a tiny allocation, whose finalizer may never run
}

// start sets the percent now and after every collection until stop.
func (g *gcFloor) start() {
	debug.SetGCPercent(g.min)
	g.tune()
	runtime.SetFinalizer(&gcHook{g: g}, rearm)
}

func (g *gcFloor) stop() { g.stopped.Store(true) }

func rearm(h *gcHook) {
	if h.g.stopped.Load() {
		return
	}
	h.g.tune()
	runtime.SetFinalizer(h, rearm)
}
