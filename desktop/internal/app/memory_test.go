package app

import (
	"math"
	"runtime/debug"
	"testing"
)

// gcSettings reads the collector's percent and soft memory limit without
// changing them.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

// A bulk load lifts the app's settings to the bulk ones, loads at once
// share them, and the app's come back after the last one, once however
// often its restore is called; settings above the bulk ones stay.
func TestRelaxMemory(t *testing.T) {
	p0, l0 := gcSettings()
	t.Cleanup(func() {
		debug.SetGCPercent(p0)
		debug.SetMemoryLimit(l0)
	})

	debug.SetGCPercent(DefaultGCPercent)
	debug.SetMemoryLimit(DefaultMemoryLimit)
	first := RelaxMemory()
	if p, l := gcSettings(); p != BulkGCPercent || l != BulkMemoryLimit {
		t.Fatalf("during a bulk load: GOGC %d, limit %d; want %d, %d", p, l, BulkGCPercent, BulkMemoryLimit)
	}
	second := RelaxMemory()
	first()
	first()
	if p, l := gcSettings(); p != BulkGCPercent || l != BulkMemoryLimit {
		t.Fatalf("with one of two loads over: GOGC %d, limit %d; want %d, %d", p, l, BulkGCPercent, BulkMemoryLimit)
	}
	second()
	if p, l := gcSettings(); p != DefaultGCPercent || l != DefaultMemoryLimit {
		t.Fatalf("after the loads: GOGC %d, limit %d; want the app's %d, %d", p, l, DefaultGCPercent, DefaultMemoryLimit)
	}

	for _, c := range []struct {
		percent int
		limit   int64
	}{{200, math.MaxInt64}, {-1, 2 << 30}} { // keneshctl's GOGC=200 without a limit; GOGC=off
		debug.SetGCPercent(c.percent)
		debug.SetMemoryLimit(c.limit)
		restore := RelaxMemory()
		if p, l := gcSettings(); p != c.percent || l != c.limit {
			t.Fatalf("settings above the bulk load's (GOGC %d, limit %d) became GOGC %d, limit %d", c.percent, c.limit, p, l)
		}
		restore()
		if p, l := gcSettings(); p != c.percent || l != c.limit {
			t.Fatalf("after the load: GOGC %d, limit %d; want %d, %d", p, l, c.percent, c.limit)
		}
	}
}
