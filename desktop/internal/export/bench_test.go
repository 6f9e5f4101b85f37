package export_test

// Benchmarks of reports and exports on a store of 100,000 records (90,000
// demo appeals and 10,000 demo events in 21 councils, made on 30 June 2026,
// then every one of them changed on 10 July): the figures of a year for
// all councils from the index, the same as of 30 June (every record merged
// again from its history), an XLSX export of every appeal, with its peak
// memory measured in a child process limited as the desktop app is, and a
// quarter's PDF report. BENCHMARKS.md has the commands and the figures.
//
// The store is made once per test process, only by benchmarks (plain go
// test never makes it), or kept in $KENESH_REPORT_BENCH_KEEP and reused.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

const (
	benchAppeals = 90_000
	benchEvents  = 10_000
	benchKeepEnv = "KENESH_REPORT_BENCH_KEEP"
	benchChild   = "KENESH_EXPORT_BENCH_CHILD" // the child's store directory
	benchMade    = "made.json"
)

var benchKey = []byte("0123456789abcdef0123456789abcdef")

// The days of the benchmark store: records made on madeOn, all changed on
// changedOn; a report as of madeOn merges every record again.
var (
	madeOn       = caldate.MustParse("2026-06-30")
	changedOn    = caldate.MustParse("2026-07-10")
	benchYear    = reports.Filter{From: caldate.MustParse("2025-07-01"), To: madeOn}
	benchQuarter = reports.Filter{From: caldate.MustParse("2026-04-01"), To: madeOn}
)

// stepClock is a clock that moves a millisecond each time it is read, from
// a day set: the operations of a day each get their own time.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *stepClock) set(d caldate.Date) {
	c.mu.Lock()
	c.t = d.In(records.Bishkek).Add(8 * time.Hour)
	c.mu.Unlock()
}

var benchFixture struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(benchChild); dir != "" {
		os.Exit(childExport(dir))
	}
	code := m.Run()
	if benchFixture.dir != "" && os.Getenv(benchKeepEnv) == "" {
		os.RemoveAll(benchFixture.dir)
	}
	os.Exit(code)
}

// benchStore returns the directory of the 100,000-record store.
func benchStore(b *testing.B) string {
	b.Helper()
	benchFixture.once.Do(func() {
		dir := os.Getenv(benchKeepEnv)
		if dir != "" {
			if _, err := os.Stat(filepath.Join(dir, benchMade)); err == nil {
				benchFixture.dir = dir
				return
			}
		} else if benchFixture.dir, benchFixture.err = os.MkdirTemp("", "kenesh-report-bench-"); benchFixture.err != nil {
			return
		} else {
			dir = benchFixture.dir
		}
		benchFixture.dir = dir
		start := time.Now()
		benchFixture.err = makeBenchStore(dir)
		// Badger goes on compacting the new store's tables in the next
		// seconds, on the other core, in this process: the first
		// benchmarks' cpu-s/op count it (the year figures read 0.22 CPU-s
		// instead of 0.04).
		b.Logf("the 100,000-record store made in %s; Badger compacts it during the first benchmarks, whose CPU times include that: read a second run on the kept store", time.Since(start).Round(time.Second))
	})
	if benchFixture.err != nil {
		b.Fatal(benchFixture.err)
	}
	return benchFixture.dir
}

func makeBenchStore(dir string) error {
	ctx := context.Background()
	st, err := store.Open(ctx, dir, benchKey, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := records.Init(ctx, st, "benchmark laptop"); err != nil {
		return err
	}
	clock := &stepClock{}
	clock.set(madeOn)
	svc, err := records.Open(ctx, st, records.Options{Now: clock.Now})
	if err != nil {
		return err
	}
	defer svc.Close()
	if _, err := demo.Generate(ctx, svc, demo.Options{Appeals: benchAppeals, Events: benchEvents, Seed: 1}); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	// Ten days later every record changes: a report as of the first day
	// merges each one again from the operations of its history.
	clock.set(changedOn)
	for _, kind := range []string{domain.KindAppeal, domain.KindEvent} {
		var ids []string
		if err := svc.ScanFacts(records.Filter{Kind: kind}, func(r *records.FactRow) { ids = append(ids, r.ID) }); err != nil {
			return err
		}
		patch := json.RawMessage(`{"notes":"Текшерилди"}`)
		if kind == domain.KindAppeal {
			patch = json.RawMessage(`{"status_note":"Текшерилди"}`)
		}
		for start := 0; start < len(ids); start += 200 {
			err := svc.Update(ctx, func(tx *records.Tx) error {
				for _, id := range ids[start:min(start+200, len(ids))] {
					var err error
					if kind == domain.KindAppeal {
						_, err = tx.EditAppeal(id, patch)
					} else {
						_, err = tx.EditEvent(id, patch)
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(dir, benchMade), []byte(`{"appeals":90000,"events":10000}`), 0o600)
}

// openBench opens the store as the app does, its clock on changedOn.
func openBench(b *testing.B) *records.Service {
	b.Helper()
	dir := benchStore(b)
	ctx := context.Background()
	st, err := store.Open(ctx, dir, benchKey, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	clock := &stepClock{}
	clock.set(changedOn)
	svc, err := records.Open(ctx, st, records.Options{Now: clock.Now, Format: syncer.WireFormat{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(svc.Close)
	return svc
}

// BenchmarkReport100k: every figure of the summary (and side by side by
// council, by month) for all councils and one year, from the index
// (target: under 100 ms); and the same as of a past day, from the log
// (target: under 5 s): as of 30 June, when every record has changed since
// and is merged again from its history (the worst case), and as of 10
// July, when none has and the index's rows are the records as they stood.
func BenchmarkReport100k(b *testing.B) {
	app.LimitMemory()
	svc := openBench(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		f    reports.Filter
	}{
		{"year", benchYear},
		{"year-by-council", withBy(benchYear, reports.ByCouncil)},
		{"year-by-month", withBy(benchYear, reports.ByMonth)},
		{"year-as-of", withAsOf(benchYear, madeOn)},
		{"year-as-of-unchanged-since", withAsOf(benchYear, changedOn)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var r *reports.Report
			cpu := cpuSeconds()
			for b.Loop() {
				var err error
				if r, err = reports.Make(ctx, svc, bc.f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(r.Summary.Appeals.Total+r.Summary.Events.Total), "records")
			if r.Replay != nil {
				b.ReportMetric(float64(r.Replay.Ops), "ops-merged")
			}
		})
	}
}

func withBy(f reports.Filter, by string) reports.Filter { f.By = by; return f }
func withAsOf(f reports.Filter, d caldate.Date) reports.Filter {
	f.AsOf = d
	return f
}

// BenchmarkPDFQuarter: a quarter's PDF report, its charts and tables
// (target: under 3 s).
func BenchmarkPDFQuarter(b *testing.B) {
	app.LimitMemory()
	svc := openBench(b)
	ctx := context.Background()
	size := 0
	cpu := cpuSeconds()
	for b.Loop() {
		cw := &countWriter{}
		if _, err := export.Write(ctx, svc, cw, export.Options{Format: domain.FormatPDF, Filter: benchQuarter, Language: "ky"}); err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(size)/1024, "KiB")
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// BenchmarkExportXLSX100k: every appeal of the store to an XLSX file, in a
// child process limited as the desktop app is (GOMEMLIMIT 192 MiB, GOGC
// 25), its peak memory read from the kernel (targets: under 15 s, under
// 192 MiB).
func BenchmarkExportXLSX100k(b *testing.B) {
	dir := benchStore(b)
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var last childResult
	for b.Loop() {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), benchChild+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("child: %v", err)
		}
		if err := json.Unmarshal(out, &last); err != nil {
			b.Fatalf("child said %q: %v", out, err)
		}
	}
	b.ReportMetric(last.Seconds, "export-s")
	b.ReportMetric(last.CPUSeconds, "export-cpu-s")
	b.ReportMetric(last.PeakRSSMB, "peak-RSS-MB")
	b.ReportMetric(last.PeakAnonMB, "peak-anon-MB")
	b.ReportMetric(last.PeakFileMB, "peak-file-MB")
	b.ReportMetric(last.PeakGoMB, "peak-Go-MB")
	b.ReportMetric(float64(last.Records), "records")
	b.ReportMetric(last.FileMB, "file-MB")
}

type childResult struct {
	Seconds float64 `json:"seconds"`
	// CPUSeconds is the process's CPU time (user and system, every
	// thread: the garbage collector's too) during the export: on a
	// shared, loaded machine it says more than the wall time.
	CPUSeconds float64 `json:"cpu_seconds"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	// The peaks of the anonymous memory (Go's heap and runtime) and of
	// the file-backed pages (Badger's memory-mapped tables, the binary),
	// which the kernel can drop; and of what the Go runtime holds, which
	// the 192 MiB soft limit bounds.
	PeakAnonMB float64 `json:"peak_anon_mb"`
	PeakFileMB float64 `json:"peak_file_mb"`
	PeakGoMB   float64 `json:"peak_go_mb"`
	Records    int     `json:"records"`
	FileMB     float64 `json:"file_mb"`
}

// peaks samples the process's memory every 20 ms until stop is called.
func peaks() (stop func() (anon, file, goMB float64)) {
	done := make(chan struct{})
	var anon, file, gomem float64
	var wg sync.WaitGroup
	wg.Add(1)
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			anon, file = max(anon, statusMB("RssAnon")), max(file, statusMB("RssFile"))
			metrics.Read(sample)
			gomem = max(gomem, float64(sample[0].Value.Uint64()-sample[1].Value.Uint64())/(1<<20))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (float64, float64, float64) {
		close(done)
		wg.Wait()
		return anon, file, gomem
	}
}

// childExport opens the store in dir as the app does and exports every
// appeal to an XLSX file, then prints what it took.
func childExport(dir string) int {
	app.LimitMemory()
	stopPeaks := peaks()
	ctx := context.Background()
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "export child:", err); return 1 }
	st, err := store.Open(ctx, dir, benchKey, store.Options{})
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	clock := &stepClock{}
	clock.set(changedOn)
	svc, err := records.Open(ctx, st, records.Options{Now: clock.Now, Format: syncer.WireFormat{}, TextInBackground: true})
	if err != nil {
		return fail(err)
	}
	defer svc.Close()
	out, err := os.MkdirTemp("", "kenesh-export-bench-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(out)
	path := filepath.Join(out, "appeals.xlsx")
	f, err := os.Create(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	start, startCPU := time.Now(), cpuSeconds()
	// Write, not ToFile: the kept store gets no record of the export.
	w := bufio.NewWriterSize(f, 256<<10)
	res, err := export.Write(ctx, svc, w, export.Options{Format: domain.FormatXLSX, Kinds: []string{domain.KindAppeal}, Language: "ky"})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fail(err)
	}
	r := childResult{Seconds: time.Since(start).Seconds(), CPUSeconds: cpuSeconds() - startCPU, PeakRSSMB: statusMB("VmHWM"), Records: res.Records}
	r.PeakAnonMB, r.PeakFileMB, r.PeakGoMB = stopPeaks()
	if fi, err := os.Stat(path); err == nil {
		r.FileMB = float64(fi.Size()) / (1 << 20)
	}
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	return 0
}

// statusMB reads a "kB" line of /proc/self/status.
func statusMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if ok && name == field {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
