package main

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/cli"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"256MiB": 256 << 20, "1GiB": 1 << 30, "1073741824": 1 << 30, "512 KiB": 512 << 10,
		"100B": 100, "0": 0, "2TiB": 2 << 40,
	} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "256MB", "256m", "-1MiB", "1.5GiB", "MiB", "9999999TiB"} {
		if got, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) = %d, want an error", in, got)
		}
	}
	for _, n := range []int64{0, 100, 256 << 20, 1 << 30, 3 << 29, 1025} {
		if got, err := parseBytes(formatBytes(n)); err != nil || got != n {
			t.Errorf("formatBytes(%d) = %q, read back as %d, %v", n, formatBytes(n), got, err)
		}
	}
}

// TestMemoryLimitFor: serve's soft memory limit is the flag's (from the
// command line or the configuration file), else GOMEMLIMIT's (which the
// runtime has read), else defaultMemoryLimit; 0 removes it.
func TestMemoryLimitFor(t *testing.T) {
	runtimeLimit := debug.SetMemoryLimit(-1)
	conf := filepath.Join(t.TempDir(), "syncserver.conf")
	if err := os.WriteFile(conf, []byte("memory-limit = \"1GiB\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		args       []string
		config     bool
		gomemlimit string
		want       int64
		set        bool
	}{
		{"none", nil, false, "", defaultMemoryLimit, true},
		{"GOMEMLIMIT", nil, false, "300MiB", runtimeLimit, false},
		{"flag over GOMEMLIMIT", []string{"--memory-limit", "128MiB"}, false, "300MiB", 128 << 20, true},
		{"no limit", []string{"--memory-limit=0"}, false, "", math.MaxInt64, true},
		{"configuration file", nil, true, "300MiB", 1 << 30, true},
		{"command line over the file", []string{"--memory-limit", "64MiB"}, true, "", 64 << 20, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", c.gomemlimit) // read here; the runtime read the process's at start
			fs := serveFlags(t)
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			if c.config {
				cf, err := cli.LoadConfig(conf)
				if err != nil {
					t.Fatal(err)
				}
				if err := cf.Apply(fs, true); err != nil {
					t.Fatal(err)
				}
			}
			m := fs.Lookup("memory-limit").Value.(*memoryLimit)
			got, set := memoryLimitFor(fs, *m)
			if got != c.want || set != c.set {
				t.Errorf("memoryLimitFor = %d, %v; want %d, %v", got, set, c.want, c.set)
			}
		})
	}
	if err := serveFlags(t).Set("memory-limit", "256MB"); err == nil {
		t.Error("--memory-limit 256MB taken; want an error (MB is not a unit GOMEMLIMIT knows)")
	}
}

// serve collects at half the live heap on Badger, at Go's default on
// PostgreSQL, and sets nothing when the operator set GOGC.
func TestGCPercentFor(t *testing.T) {
	t.Setenv("GOGC", "")
	if pct, set := gcPercentFor(""); pct != 50 || !set {
		t.Errorf("Badger: %d, %v; want 50, set", pct, set)
	}
	if pct, set := gcPercentFor("postgres://db/kenesh"); pct != 100 || !set {
		t.Errorf("PostgreSQL: %d, %v; want Go's default 100, set (for the floor)", pct, set)
	}
	t.Setenv("GOGC", "200")
	if _, set := gcPercentFor(""); set {
		t.Error("Badger with GOGC=200 given: serve set its own")
	}
}

// The floor raises the percent while the live heap is small, so that the
// heap grows by the headroom between collections, and leaves the least
// percent once that share of the live heap is over the headroom.
func TestGCFloorPercent(t *testing.T) {
	g := newGCFloor(50, math.MaxInt64)
	if g.headroom != gcHeadroom {
		t.Fatalf("headroom %d without a limit; want %d", g.headroom, gcHeadroom)
	}
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 50}, // no collection yet
		{1 << 20, maxGCPercent},
		{48 << 20, 200},
		{96 << 20, 100},
		{128 << 20, 75},
		{192 << 20, 50},
		{400 << 20, 50},
	} {
		if got := g.percent(c.live); got != c.want {
			t.Errorf("live %d MiB: percent %d, want %d", c.live>>20, got, c.want)
		}
	}
	if g := newGCFloor(50, 256<<20); g.headroom != 64<<20 {
		t.Errorf("headroom %d under a 256 MiB limit; want a quarter of it", g.headroom)
	}
	if g := newGCFloor(100, 0); g.headroom != gcHeadroom || g.percent(400<<20) != 100 {
		t.Errorf("no limit given as 0, least percent 100: headroom %d, percent %d", g.headroom, g.percent(400<<20))
	}
}

// Started, the floor sets the percent for the live heap after each
// collection, and stops when told.
func TestGCFloorTunes(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	gogc := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	g := newGCFloor(50, math.MaxInt64)
	g.headroom = 1 // any live heap is over it: the least percent
	g.start()
	defer g.stop()
	if got := gogc(); got != 50 {
		t.Fatalf("percent %d after start; want 50", got)
	}
	// Then a headroom of three live heaps, taken at the next collections.
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	g.mu.Lock()
	g.headroom = 3 * max(live[0].Value.Uint64(), 1<<20)
	g.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for gogc() < 150 {
		if time.Now().After(deadline) {
			t.Fatalf("percent %d after collections with the live heap a third of the headroom; want about 300", gogc())
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	// Stopped, it sets nothing more.
	g.stop()
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	debug.SetGCPercent(70)
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := gogc(); got != 70 {
		t.Errorf("percent %d after stop and collections; want 70, as set", got)
	}
}
