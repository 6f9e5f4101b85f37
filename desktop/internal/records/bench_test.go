package records_test

// Benchmarks with 100,000 records (90,000 demo appeals, 10,000 demo events):
// durable saves per second, open to ready, filtered lists and peak memory.
// BENCHMARKS.md has the commands and the figures.
//
// The 100,000-record store is generated once per test process, by a child
// process (so that its peak memory is measured apart from the benchmarks'),
// and only by benchmarks: plain "go test" never builds it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

const (
	benchAppeals = 90_000
	benchEvents  = 10_000

	// benchChildEnv makes the test binary a measuring child (see TestMain):
	// "generate" fills the store in benchDirEnv, "open" opens it and lists.
	benchChildEnv = "KENESH_BENCH_CHILD"
	benchDirEnv   = "KENESH_BENCH_DIR"
	// benchProfileEnv, if set, is a path prefix: the children write heap
	// profiles to PREFIX.generate.heap and PREFIX.open.heap (what the
	// memory is made of).
	benchProfileEnv = "KENESH_BENCH_PROFILE"
	// benchKeepEnv, if set, is a directory where the 100,000-record store
	// is generated once and kept, and reused by later runs (profiling one
	// benchmark without waiting for the generation again).
	benchKeepEnv  = "KENESH_BENCH_KEEP"
	benchGenStats = "generate.json" // beside a kept store: what generating it cost
)

// fixture is the 100,000-record store, generated at most once per process.
var fixture struct {
	once sync.Once
	dir  string
	gen  childStats // what generating it cost
	err  error
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(benchChildEnv); mode != "" {
		os.Exit(benchChild(mode, os.Getenv(benchDirEnv)))
	}
	code := m.Run()
	if fixture.dir != "" && os.Getenv(benchKeepEnv) == "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// benchStore returns the directory of the 100,000-record store. Benchmarks
// that write must work on a copy (openCopy), so that what one benchmark
// saves does not change what the next one measures.
func benchStore(b *testing.B) string {
	b.Helper()
	fixture.once.Do(func() {
		fixture.dir, fixture.gen, fixture.err = makeFixture()
		if fixture.err == nil {
			b.Logf("%d records in %s, generated in %.1f s (peak RSS %.0f MB)",
				fixture.gen.Rows, fixture.dir, fixture.gen.Seconds, fixture.gen.PeakRSSMB)
		}
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.dir
}

// makeFixture generates the 100,000-record store in a temporary directory,
// or reuses the one kept in $KENESH_BENCH_KEEP.
func makeFixture() (string, childStats, error) {
	keep := os.Getenv(benchKeepEnv)
	if keep != "" {
		if b, err := os.ReadFile(filepath.Join(keep, benchGenStats)); err == nil {
			var s childStats
			if err := json.Unmarshal(b, &s); err != nil {
				return "", s, fmt.Errorf("fixture: %s: %w", benchGenStats, err)
			}
			return keep, s, nil
		}
		if err := os.MkdirAll(keep, 0o700); err != nil {
			return "", childStats{}, fmt.Errorf("fixture: %w", err)
		}
	}
	dir := keep
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "kenesh-bench-"); err != nil {
			return "", childStats{}, fmt.Errorf("fixture: %w", err)
		}
	}
	s, err := runBenchChild("generate", dir)
	if err != nil {
		return dir, s, fmt.Errorf("fixture: %w", err)
	}
	if keep != "" {
		b, _ := json.Marshal(s)
		if err := os.WriteFile(filepath.Join(keep, benchGenStats), b, 0o600); err != nil {
			return dir, s, fmt.Errorf("fixture: %w", err)
		}
	}
	return dir, s, nil
}

// openStore opens the store in dir and its records service; the store is
// closed when the benchmark ends.
func openStore(b *testing.B, dir string) *records.Service {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, testKey, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := st.Close(); err != nil {
			b.Error(err)
		}
	})
	svc, err := records.Open(ctx, st, records.Options{Format: syncer.WireFormat{}}) // as the app opens it
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

// openCopy opens a private copy of the 100,000-record store.
func openCopy(b *testing.B) *records.Service {
	b.Helper()
	dir := b.TempDir()
	if err := copyDir(benchStore(b), dir); err != nil {
		b.Fatal(err)
	}
	return openStore(b, dir)
}

// benchAppeal is a valid new appeal of one of the store's demo councils,
// received today.
func benchAppeal(b *testing.B, svc *records.Service) domain.Appeal {
	b.Helper()
	councils, err := svc.Councils(context.Background())
	if err != nil || len(councils) == 0 {
		b.Fatalf("councils of the benchmark store: %v (%d)", err, len(councils))
	}
	c := councils[0]
	a := appeal()
	a.Council, a.Oblast, a.District = c.Code, c.Oblast, c.District
	a.ReceivedOn, a.RegisteredOn = svc.Today(), svc.Today()
	return a
}

// BenchmarkSaveDurable saves one appeal per transaction, each fsynced before
// CreateAppeal returns, into a store that holds 100,000 records: how fast a
// secretary's saves (or a script adding appeals one by one) can go.
func BenchmarkSaveDurable(b *testing.B) {
	svc := openCopy(b)
	a := benchAppeal(b, svc)
	ctx := b.Context()
	for b.Loop() {
		if _, err := svc.CreateAppeal(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
}

// BenchmarkSaveBatch100 saves 100 appeals per transaction, as an import
// or the demo generator does: one fsync for many records.
func BenchmarkSaveBatch100(b *testing.B) {
	const batch = 100
	svc := openCopy(b)
	a := benchAppeal(b, svc)
	ctx := b.Context()
	for b.Loop() {
		err := svc.Update(ctx, func(tx *records.Tx) error {
			for range batch {
				if _, err := tx.CreateAppeal(a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkOpenToReady opens the 100,000-record store and builds the
// in-memory index, until lists can be answered: what the secretary waits
// for after typing the passphrase (the Argon2id key unwrap, about half a
// second by design, comes on top). The files are in the page cache after
// the first iteration; a cold start after boot reads them from disk.
//
//   - lists: as the desktop app opens (search words read in the
//     background): until lists and filters answer.
//   - search: as keneshctl opens: until search answers too.
func BenchmarkOpenToReady(b *testing.B) {
	app.LimitMemory() // as the desktop app runs
	dir := benchStore(b)
	ctx := b.Context()
	for _, mode := range []struct {
		name       string
		background bool
	}{{"lists", true}, {"search", false}} {
		b.Run(mode.name, func(b *testing.B) {
			rows := 0
			for b.Loop() {
				st, err := store.Open(ctx, dir, testKey, store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				svc, err := records.Open(ctx, st, records.Options{TextInBackground: mode.background})
				if err != nil {
					st.Close()
					b.Fatal(err)
				}
				b.StopTimer()
				rows = countRows(b, svc)
				svc.Close()
				if err := st.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

func countRows(b *testing.B, svc *records.Service) int {
	b.Helper()
	n := 0
	for _, kind := range []string{domain.KindAppeal, domain.KindEvent, domain.KindCouncil} {
		c, err := svc.Count(records.Filter{Kind: kind, Deleted: true})
		if err != nil {
			b.Fatal(err)
		}
		n += c
	}
	return n
}

// benchFilter is a list a council's secretary asks for.
type benchFilter struct {
	name string
	f    records.Filter
	page int // rows the screen shows; 0: all
}

// benchFilters are realistic lists over the store svc holds.
func benchFilters(ctx context.Context, svc *records.Service) ([]benchFilter, error) {
	councils, err := svc.Councils(ctx)
	if err != nil {
		return nil, err
	}
	if len(councils) == 0 {
		return nil, errors.New("benchmark store has no councils")
	}
	today := svc.Today()
	council := councils[0].Code
	return []benchFilter{
		// The secretary's inbox: new appeals of the council.
		{name: "council+status", f: records.Filter{Kind: domain.KindAppeal, Council: council, Status: string(domain.StatusReceived)}},
		// Every appeal past its answer deadline, all councils.
		{name: "overdue", f: records.Filter{Kind: domain.KindAppeal, Overdue: true}},
		// A quarterly report's land appeals.
		{name: "category+period", f: records.Filter{Kind: domain.KindAppeal, Category: "land_property",
			From: today.AddDays(-90), To: today}},
		// Search as typed in the search box ("land").
		{name: "text", f: records.Filter{Kind: domain.KindAppeal, Text: "жер"}},
		// The list as it opens: newest appeals, the first screen and the
		// total for the scroll bar.
		{name: "first-page", f: records.Filter{Kind: domain.KindAppeal}, page: 50},
		// The secretary's inbox, as the list screen asks for it.
		{name: "council+status-page", f: records.Filter{Kind: domain.KindAppeal, Council: council, Status: string(domain.StatusReceived)}, page: 50},
		// Search as typed, first screen.
		{name: "text-page", f: records.Filter{Kind: domain.KindAppeal, Text: "жер"}, page: 50},
	}, nil
}

// BenchmarkListFiltered answers lists from the in-memory index of the
// 100,000-record store (target: under 5 ms each).
func BenchmarkListFiltered(b *testing.B) {
	app.LimitMemory() // as the desktop app runs
	svc := openStore(b, benchStore(b))
	filters, err := benchFilters(b.Context(), svc)
	if err != nil {
		b.Fatal(err)
	}
	for _, bf := range filters {
		b.Run(bf.name, func(b *testing.B) {
			var rows []records.Summary
			for b.Loop() {
				var list []records.Summary
				var err error
				if bf.page > 0 {
					list, _, err = svc.ListPage(bf.f, 0, bf.page)
				} else {
					list, err = svc.List(bf.f)
				}
				if err != nil {
					b.Fatal(err)
				}
				rows = list
			}
			b.ReportMetric(float64(len(rows)), "rows")
		})
	}
}

// BenchmarkPeakMemory measures memory in child processes, which hold
// nothing but what they measure (this process holds the benchmarks').
//
//   - generate: generating the 100,000 records, Badger's worst case
//     (memtables filling, flushes and compactions). It reports the one
//     generation of the fixture rather than generating again.
//   - open+list: what the app holds after the secretary unlocks the store
//     and asks for the lists of BenchmarkListFiltered; open-ms is the
//     time to ready of a fresh process.
//
// peak-RSS-MB is the kernel's high-water mark of resident memory (VmHWM),
// Linux only; heap-MB is the Go heap in use after a GC.
func BenchmarkPeakMemory(b *testing.B) {
	dir := benchStore(b)
	if fixture.gen.PeakRSSMB == 0 {
		b.Skip("peak RSS needs /proc/self/status (Linux)")
	}
	b.Run("generate", func(b *testing.B) {
		g := fixture.gen
		b.ReportMetric(0, "ns/op") // nothing is timed here
		g.report(b)
		b.ReportMetric(g.Seconds, "s-to-generate")
		b.ReportMetric(float64(g.Rows)/g.Seconds, "records/s")
	})
	b.Run("open+list", func(b *testing.B) {
		var worst childStats
		var openMS float64
		for b.Loop() {
			s, err := runBenchChild("open", dir)
			if err != nil {
				b.Fatal(err)
			}
			worst = worst.max(s)
			openMS += s.Seconds * 1000
		}
		worst.report(b)
		b.ReportMetric(openMS/float64(b.N), "open-ms")
	})
}

// childStats is what a measuring child reports, as one JSON line. Peaks
// are in MB; the kernel keeps VmHWM, the anonymous and file-backed peaks
// are sampled every 50 ms, so they may miss a short spike.
type childStats struct {
	Seconds   float64 `json:"seconds"` // generate: generating; open: to ready
	Rows      int     `json:"rows"`
	HeapMB    float64 `json:"heap_mb"`      // Go heap in use after a GC, store and index live
	PeakRSSMB float64 `json:"peak_rss_mb"`  // VmHWM; 0 where unknown
	PeakAnon  float64 `json:"peak_anon_mb"` // RssAnon: Go heap and runtime, Badger's Go-allocated memtables
	PeakFile  float64 `json:"peak_file_mb"` // RssFile: pages of Badger's mmapped files, the binary
}

func (s childStats) max(o childStats) childStats {
	return childStats{Seconds: max(s.Seconds, o.Seconds), Rows: max(s.Rows, o.Rows), HeapMB: max(s.HeapMB, o.HeapMB),
		PeakRSSMB: max(s.PeakRSSMB, o.PeakRSSMB), PeakAnon: max(s.PeakAnon, o.PeakAnon), PeakFile: max(s.PeakFile, o.PeakFile)}
}

func (s childStats) report(b *testing.B) {
	b.Helper()
	b.ReportMetric(s.PeakRSSMB, "peak-RSS-MB")
	b.ReportMetric(s.PeakAnon, "peak-anon-MB")
	b.ReportMetric(s.PeakFile, "peak-file-MB")
	b.ReportMetric(s.HeapMB, "heap-MB")
}

// rssSampler follows the anonymous and file-backed resident memory of
// this process until stopped.
type rssSampler struct {
	stop chan struct{}
	done chan struct{}
	anon float64
	file float64
}

func sampleRSS() *rssSampler {
	r := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			r.anon, r.file = max(r.anon, procStatusMB("RssAnon")), max(r.file, procStatusMB("RssFile"))
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// end stops sampling and returns the peaks.
func (r *rssSampler) end() (anon, file float64) {
	close(r.stop)
	<-r.done
	return r.anon, r.file
}

// runBenchChild runs the test binary as a measuring child on dir.
func runBenchChild(mode, dir string) (childStats, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+mode, benchDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return childStats{}, fmt.Errorf("%s child: %w\n%s", mode, err, stderr.String())
	}
	var s childStats
	if err := json.Unmarshal(bytes.TrimSpace(out), &s); err != nil {
		return childStats{}, fmt.Errorf("%s child said %q: %w", mode, out, err)
	}
	return s, nil
}

// benchChild is the measuring child's main; it returns the exit code.
func benchChild(mode, dir string) int {
	if mode == "open" {
		app.LimitMemory() // as the desktop app runs; keneshctl, which generates, sets no limit
	}
	var s childStats
	var err error
	rss := sampleRSS()
	switch mode {
	case "generate":
		s, err = childGenerate(dir)
	case "open":
		s, err = childOpen(dir)
	default:
		err = fmt.Errorf("unknown %s %q", benchChildEnv, mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", mode, err)
		return 1
	}
	s.PeakAnon, s.PeakFile = rss.end()
	s.PeakRSSMB = procStatusMB("VmHWM")
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
	return 0
}

func childGenerate(dir string) (childStats, error) {
	ctx := context.Background()
	st, err := store.Open(ctx, dir, testKey, store.Options{})
	if err != nil {
		return childStats{}, err
	}
	defer st.Close()
	if _, err := records.Init(ctx, st, "benchmark laptop"); err != nil {
		return childStats{}, err
	}
	svc, err := records.Open(ctx, st, records.Options{})
	if err != nil {
		return childStats{}, err
	}
	start := time.Now()
	res, err := demo.Generate(ctx, svc, demo.Options{Appeals: benchAppeals, Events: benchEvents, Seed: 1})
	if err != nil {
		return childStats{}, fmt.Errorf("generate: %w", err)
	}
	s := childStats{Seconds: time.Since(start).Seconds(), Rows: res.Appeals + res.Events + res.Councils, HeapMB: heapMB()}
	if err := writeHeapProfile("generate"); err != nil {
		return childStats{}, err
	}
	// Without this, the GC in heapMB may free the index, which the app
	// keeps for as long as it runs.
	runtime.KeepAlive(svc)
	// Closing flushes the memtables: part of writing, so part of the peak.
	if err := st.Close(); err != nil {
		return childStats{}, err
	}
	return s, nil
}

func childOpen(dir string) (childStats, error) {
	ctx := context.Background()
	start := time.Now()
	st, err := store.Open(ctx, dir, testKey, store.Options{})
	if err != nil {
		return childStats{}, err
	}
	defer st.Close()
	svc, err := records.Open(ctx, st, records.Options{})
	if err != nil {
		return childStats{}, err
	}
	s := childStats{Seconds: time.Since(start).Seconds()}
	filters, err := benchFilters(ctx, svc)
	if err != nil {
		return childStats{}, err
	}
	for range 10 {
		for _, bf := range filters {
			var err error
			if bf.page > 0 { // as the app's list screens ask
				_, _, err = svc.ListPage(bf.f, 0, bf.page)
			} else {
				_, err = svc.List(bf.f)
			}
			if err != nil {
				return childStats{}, err
			}
		}
	}
	s.Rows, _ = svc.Count(records.Filter{Kind: domain.KindAppeal})
	s.HeapMB = heapMB()
	if err := writeHeapProfile("open"); err != nil {
		return childStats{}, err
	}
	runtime.KeepAlive(svc) // the index is live in the app: measure it
	return s, nil
}

// writeHeapProfile writes the heap profile of a child if $KENESH_BENCH_PROFILE
// asks for one.
func writeHeapProfile(mode string) error {
	prefix := os.Getenv(benchProfileEnv)
	if prefix == "" {
		return nil
	}
	f, err := os.Create(prefix + "." + mode + ".heap")
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

// heapMB is the Go heap in use after a collection: live data, not garbage
// waiting for the next GC.
func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// procStatusMB reads a "kB" line of /proc/self/status; 0 where there is none.
func procStatusMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
		if err != nil {
			return 0
		}
		return kb / 1024
	}
	return 0
}

// copyDir copies the regular files under src into dst.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

// BenchmarkApplyRemote applies the first 100,000 operations of the
// 100,000-record store (about 20,000 records with their history) to a new
// store, in pages of 2,000 as a quick link pulls them: what a new central
// laptop's first sync writes. One iteration is the whole pull.
func BenchmarkApplyRemote(b *testing.B) {
	const pageOps, total = 2000, 100_000
	ctx := b.Context()
	src := openStore(b, benchStore(b))
	var pages [][]*changeset.Op
	recs := map[string]bool{}
	for after, n := uint64(0), 0; n < total; {
		ops, _, err := src.PendingOps(ctx, after, pageOps, 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		if len(ops) == 0 {
			break
		}
		for _, op := range ops {
			recs[op.Kind+":"+op.Record] = true
		}
		pages = append(pages, ops)
		after = ops[len(ops)-1].Seq
		n += len(ops)
	}
	ops := 0
	for _, p := range pages {
		ops += len(p)
	}
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		st, err := store.Open(ctx, dir, testKey, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := records.Init(ctx, st, "central laptop"); err != nil {
			b.Fatal(err)
		}
		dst, err := records.Open(ctx, st, records.Options{Format: syncer.WireFormat{}}) // as the app opens it
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for i, p := range pages {
			if _, err := dst.ApplyRemote(ctx, p, uint64(i+1)); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(ops*b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkApplyBulk applies every operation of the 100,000-record store
// (about 500,000) to a new store as a new laptop's first pull does: in
// windows of 32,768 operations (BeginBulkLoad, then ApplyBulk with the
// syncer's window), the last one ending the bulk load. No server, no
// network, no page decoding: the laptop's merging, index rows and Badger.
// It reports the process's CPU
// seconds for the load (compactions in the background included) beside
// the wall, and open-s: the store and records opened again afterwards,
// every row and search text read. One iteration is the whole pull.
func BenchmarkApplyBulk(b *testing.B) {
	benchApplyBulk(b, false, false)
}

// BenchmarkApplyBulkApp is BenchmarkApplyBulk as the desktop app runs it:
// under the app's collector settings (app.LimitMemory). open-s is the
// app's first start after its first pull, in a process of its own as
// BenchmarkPeakMemory's open+list opens (every row and search text read),
// and open-generated-s the same for the generated store, whose tables
// Badger has compacted. relaxed: the settings lifted
// for the load as the app's syncer does (app.RelaxMemory,
// syncer.Syncer.BulkMemory); limited: the app's settings throughout. The
// benchmark holds every operation in memory besides the load (a syncer
// holds one window's), so its collector works more than the app's.
func BenchmarkApplyBulkApp(b *testing.B) {
	b.Run("relaxed", func(b *testing.B) { benchApplyBulk(b, true, true) })
	b.Run("limited", func(b *testing.B) { benchApplyBulk(b, true, false) })
}

func benchApplyBulk(b *testing.B, asApp, relax bool) {
	const window = 32 << 10
	if asApp {
		percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
		b.Cleanup(func() {
			debug.SetGCPercent(percent)
			debug.SetMemoryLimit(limit)
		})
		app.LimitMemory()
	}
	ctx := b.Context()
	// The operations are kept encoded and a window decoded as it is
	// applied, as the syncer decodes its pages, and the source store is
	// closed: decoded, all of them held about 600 MB live beside the load,
	// three times the app's memory limit.
	all := encodedOps(b)
	var cpu, open, openGen time.Duration
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		st, err := store.Open(ctx, dir, testKey, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := records.Init(ctx, st, "central laptop"); err != nil {
			b.Fatal(err)
		}
		dst, err := records.Open(ctx, st, records.Options{Format: syncer.WireFormat{}})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		cpu0 := processCPU()
		b.StartTimer()
		restore := func() {}
		if relax {
			restore = app.RelaxMemory() // as the app's syncer does
		}
		if err := dst.BeginBulkLoad(ctx); err != nil { // as the syncer does
			b.Fatal(err)
		}
		for start := 0; start < len(all); start += window {
			end := min(start+window, len(all))
			ops := make([]*changeset.Op, 0, end-start)
			for _, enc := range all[start:end] {
				op, err := changeset.DecodeOp(enc)
				if err != nil {
					b.Fatal(err)
				}
				ops = append(ops, op)
			}
			if _, err := dst.ApplyBulk(ctx, ops, nil, uint64(end), end == len(all)); err != nil {
				b.Fatal(err)
			}
		}
		restore()
		b.StopTimer()
		cpu += processCPU() - cpu0
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		if asApp {
			// The app's first start after its first pull, in a process of
			// its own (the app's settings, nothing of this one's heap),
			// beside the generated store's (its tables compacted).
			pulled, err := runBenchChild("open", dir)
			if err != nil {
				b.Fatal(err)
			}
			generated, err := runBenchChild("open", benchStore(b))
			if err != nil {
				b.Fatal(err)
			}
			open += time.Duration(pulled.Seconds * float64(time.Second))
			openGen += time.Duration(generated.Seconds * float64(time.Second))
			b.StartTimer()
			continue
		}
		// What the load leaves for the laptop's next start (how its
		// tables are laid out: reading every row and search text).
		t0 := time.Now()
		st, err = store.Open(ctx, dir, testKey, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := records.Open(ctx, st, records.Options{}); err != nil {
			b.Fatal(err)
		}
		open += time.Since(t0)
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(len(all)*b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(open.Seconds()/float64(b.N), "open-s/op")
	if asApp {
		b.ReportMetric(openGen.Seconds()/float64(b.N), "open-generated-s/op")
	}
}

// encodedOps reads every operation of the 100,000-record store, each
// in its binary encoding, and closes the store.
func encodedOps(b *testing.B) [][]byte {
	b.Helper()
	ctx := b.Context()
	st, err := store.Open(ctx, benchStore(b), testKey, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	src, err := records.Open(ctx, st, records.Options{Format: syncer.WireFormat{}})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var all [][]byte
	for after := uint64(0); ; {
		ops, _, err := src.PendingOps(ctx, after, 10_000, 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		if len(ops) == 0 {
			break
		}
		for _, op := range ops {
			enc, err := op.AppendBinary(nil)
			if err != nil {
				b.Fatal(err)
			}
			all = append(all, enc)
		}
		after = ops[len(ops)-1].Seq
	}
	return all
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
