// Command syncbench measures Kenesh's sync against CouchDB-style
// replication (PouchDB 9 replicating to pouchdb-server 4.2.0), on the same
// generated records, in one run, through the same byte-counting,
// link-emulating TCP proxy (internal/testnet.Link), and prints the figures
// with their ratios to the targets of issue #3:
//
//	make bench-sync                      # full size: 100,000 records, 21 and 500 clients
//	make bench-sync SYNCBENCH_FLAGS=-quick
//	go run ./desktop/internal/cmd/syncbench -parts day,load -server bin/kenesh-syncserver
//
// It runs kenesh-syncserver as a child process (built from this module
// unless -server names a binary) and never imports the server's packages:
// laptops meet the server as they do in the field. Any failed sync, any
// refused operation, and any difference between what a client holds and
// what the server holds at the end fails the run.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
)

// config is what the flags say.
type config struct {
	records  int
	seed     uint64
	spread   bool
	parts    map[string]bool
	pouch    bool
	server   string
	work     string
	keep     bool
	changed  float64
	dayBase  int
	dayWork  int
	edgeBPS  int64
	edgeRTT  time.Duration
	clients  []int
	rounds   int
	opsPer   int
	template int
	jsonOut  string
	root     string
	pouchDir string
	// serverProfile: the main server writes a CPU profile here.
	serverProfile string
	// serverTrace: the main server writes an execution trace here.
	serverTrace string
	// loadServerProfile: the load part's server writes a CPU profile here.
	loadServerProfile string
	// pullProfile: this process writes a CPU profile of the first pull
	// (the laptop's side of it) here.
	pullProfile string
	// pushProfile: this process writes a CPU profile of the push part's
	// Kenesh push (the pushing laptop's side) to this file.
	pushProfile string
	// pullMemory: the collector's settings of the first pull (pullMemory*).
	pullMemory string
	// loadTrace: the load part writes each timed sync here (loadTraceHeader).
	loadTrace string
	// loadProfile: this process writes a CPU profile of the load part's
	// timed syncs (the clients' side of them) here.
	loadProfile string
	postgres    bool
	processes   int
	// serverProcs: GOMAXPROCS of each server process (0: Go's own, the
	// machine's cores).
	serverProcs int
	// pgStatements: the cluster loads pg_stat_statements and the load part
	// logs what PostgreSQL ran during its timed syncs (pgstatements.go).
	pgStatements bool
}

var allParts = []string{"push", "incr", "day", "load"}

func main() {
	var c config
	quick := flag.Bool("quick", false, "smoke test: 2,000 records, 21 and 100 clients, 3 rounds")
	flag.IntVar(&c.records, "records", 100_000, "appeals to push (demo data of one council)")
	flag.Uint64Var(&c.seed, "seed", 20261125, "seed of the generated records and edits")
	flag.BoolVar(&c.spread, "spread", false, "push a spread backlog: the same records and operations, all appeals created first, their later steps in later passes in shuffled order (a record's operations far apart, change sets of many records)")
	parts := flag.String("parts", strings.Join(allParts, ","), "what to run, comma separated: push, incr (needs push), day, load")
	flag.BoolVar(&c.pouch, "pouchdb", true, "run the PouchDB peer too (needs node and npm)")
	flag.StringVar(&c.server, "server", "", "kenesh-syncserver binary (default: build it from this module)")
	flag.StringVar(&c.work, "work", "", "working directory (default: a new temporary directory)")
	flag.BoolVar(&c.keep, "keep", false, "keep the working directory")
	flag.Float64Var(&c.changed, "changed", 0.01, "share of records changed for the incremental sync")
	flag.IntVar(&c.dayBase, "day-base", 300, "appeals a council holds before the day's work")
	flag.IntVar(&c.dayWork, "day-records", 50, "records created or edited in a day's work")
	flag.Int64Var(&c.edgeBPS, "edge-bps", 100_000, "EDGE link bandwidth, bits per second each way")
	flag.DurationVar(&c.edgeRTT, "edge-rtt", 600*time.Millisecond, "EDGE link round-trip time")
	clients := flag.String("clients", "21,500", "concurrent client counts, comma separated")
	flag.IntVar(&c.rounds, "rounds", 10, "syncs per client in the concurrency test")
	flag.IntVar(&c.opsPer, "ops-per-sync", 5, "operations each client pushes per sync in the concurrency test")
	flag.IntVar(&c.template, "template", 2100, "demo appeals (21 councils) the concurrency test takes its change sets from")
	flag.StringVar(&c.jsonOut, "json", "", "also write the results as JSON to this file")
	flag.BoolVar(&c.postgres, "postgres", false, "run the servers on PostgreSQL: a cluster of this run's own from Debian's binaries (initdb, pg_ctl), fsync and synchronous commit on")
	flag.IntVar(&c.processes, "processes", 1, "server processes on the one database (with -postgres), behind a balancer that gives each connection to the next")
	flag.IntVar(&c.serverProcs, "server-gomaxprocs", 0, "GOMAXPROCS of each server process (0: Go's default, every core): with -processes 2 on 2 cores, 1 gives each process a core, as an operator running several processes on one machine may")
	flag.BoolVar(&c.pgStatements, "pg-statements", false, "with -postgres: load pg_stat_statements and log the statements PostgreSQL ran during the load part's timed syncs, each with its calls and execution time a sync")
	flag.StringVar(&c.loadTrace, "load-trace", "", "write each timed sync of the load part to this file, a line each (CSV: "+loadTraceHeader+"); with several -clients, one file for each, the count appended to the name")
	verbose := flag.Bool("v", false, "debug logging")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this process (the clients) to this file")
	flag.StringVar(&c.pullProfile, "pull-cpuprofile", "", "write a CPU profile of this process during the push part's first pull (the new laptop's side) to this file; not with -cpuprofile")
	flag.StringVar(&c.pushProfile, "push-cpuprofile", "", "write a CPU profile of this process during the push part's Kenesh push (the pushing laptop's side, with what else runs in this process then) to this file; not with -cpuprofile or -pull-cpuprofile")
	flag.StringVar(&c.pullMemory, "pull-memory", pullMemoryGo, "the collector's settings during the push part's first pull: "+pullMemoryGo+" (this process's: Go's defaults unless GOGC or GOMEMLIMIT say otherwise), "+pullMemoryApp+" (the desktop app's, app.LimitMemory, lifted for the bulk load as the app's syncer does, app.RelaxMemory) or "+pullMemoryLimited+" (the app's throughout, as before the app lifted them)")
	flag.StringVar(&c.serverProfile, "server-cpuprofile", "", "write a CPU profile of the server of the push, incremental and day parts to this file")
	flag.StringVar(&c.serverTrace, "server-trace", "", "write an execution trace of the server of the push, incremental and day parts to this file (for go tool trace; its whole run: with -parts push, the first pull after the push too)")
	flag.StringVar(&c.loadServerProfile, "load-server-cpuprofile", "", "write a CPU profile of the load part's server to this file (from its start to its end: the clients' enrollment is in it too, and their catch-up after the timed syncs, one laptop at a time, whose replies the server compresses at the better level; with -processes, the second process's to this name with .1 appended, and so on)")
	flag.StringVar(&c.loadProfile, "load-cpuprofile", "", "write a CPU profile of this process (the clients) during the load part's timed syncs alone to this file (not the template's making, the enrollments or the catch-up after them); with several -clients, one file for each, the count appended to the name; not with -cpuprofile, -pull-cpuprofile or -push-cpuprofile")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))

	if *quick {
		c.records, c.rounds, c.template = 2000, 3, 1000
		*clients = "21,100"
	}
	c.parts = map[string]bool{}
	for _, p := range strings.Split(*parts, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !contains(allParts, p) {
			fail(fmt.Errorf("-parts: unknown part %q (want some of %s)", p, strings.Join(allParts, ", ")))
		}
		c.parts[p] = true
	}
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-clients: %q is not a positive number", s))
		}
		c.clients = append(c.clients, n)
	}
	if c.records < 100 || c.changed <= 0 || c.changed > 1 || c.dayWork < 2 || c.dayBase < c.dayWork*2 || c.rounds < 1 || c.opsPer < 1 {
		fail(errors.New("flags out of range: -records >= 100, 0 < -changed <= 1, -day-records >= 2, -day-base >= 2 x -day-records, -rounds and -ops-per-sync >= 1"))
	}

	if !contains([]string{pullMemoryGo, pullMemoryApp, pullMemoryLimited}, c.pullMemory) {
		fail(fmt.Errorf("-pull-memory: %q is not %s, %s or %s", c.pullMemory, pullMemoryGo, pullMemoryApp, pullMemoryLimited))
	}
	if n := countSet(*cpuProfile, c.pullProfile, c.pushProfile, c.loadProfile); n > 1 {
		fail(errors.New("-cpuprofile, -pull-cpuprofile, -push-cpuprofile and -load-cpuprofile: one profile at a time"))
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, &c)
	if res != nil {
		res.print(os.Stdout)
		if c.jsonOut != "" {
			b, _ := json.MarshalIndent(res, "", "  ")
			if werr := os.WriteFile(c.jsonOut, append(b, '\n'), 0o644); werr != nil && err == nil {
				err = werr
			}
		}
	}
	if err != nil {
		pprof.StopCPUProfile()
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "syncbench:", err)
	os.Exit(1)
}

// countSet counts the strings that are not empty.
func countSet(ss ...string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// env is what the parts share: the working directory, the server, the
// PouchDB peer and the results.
type env struct {
	cfg *config
	res *results
	srv *server // for push, incr and day
	// loadSrv is the load part's server while it runs: its CPU is the
	// run's too (settle, outside).
	loadSrv *server
	pouch   *pouchServer
	drv     *pouchDriver
	big     *laptop // the laptop of the push, reused by incr
	// closers run at the end, before the server stops.
	closers []func()
}

func run(ctx context.Context, c *config) (*results, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	c.root, c.pouchDir = root, filepath.Join(root, "bench", "pouchdb")
	if c.work == "" {
		if c.work, err = os.MkdirTemp("", "kenesh-syncbench-"); err != nil {
			return nil, err
		}
	}
	if !c.keep {
		defer os.RemoveAll(c.work)
	} else {
		slog.Info("keeping the working directory", "dir", c.work)
	}
	if c.server == "" {
		slog.Info("building kenesh-syncserver")
		if c.server, err = buildServer(ctx, root, c.work); err != nil {
			return nil, err
		}
	}
	if c.serverProcs < 0 {
		return nil, errors.New("-server-gomaxprocs: 0 (Go's default) or more")
	}
	deployment.gomaxprocs = c.serverProcs
	if c.postgres {
		slog.Info("starting PostgreSQL")
		o := pgtest.Options{Durable: true}
		if c.pgStatements {
			o.Settings = map[string]string{"shared_preload_libraries": "'pg_stat_statements'"}
		}
		pg, err := pgtest.Start(o)
		if err != nil {
			return nil, err
		}
		defer pg.Stop()
		deployment.pg, deployment.processes = pg, c.processes
	} else if c.processes != 1 {
		return nil, errors.New("-processes: several server processes need -postgres (Badger is one process's)")
	} else if c.pgStatements {
		return nil, errors.New("-pg-statements needs -postgres")
	}
	if c.parts["incr"] && !c.parts["push"] {
		c.parts["push"] = true // the incremental sync starts from the pushed records
	}
	e := &env{cfg: c, res: newResults(c)}
	defer e.close()
	if c.pouch && (c.parts["push"] || c.parts["day"]) {
		if err := pouchSetup(ctx, c.pouchDir); err != nil {
			return e.res, fmt.Errorf("%w\n(run with -pouchdb=false to measure Kenesh alone)", err)
		}
		if e.pouch, err = startPouchServer(ctx, c.pouchDir, c.work); err != nil {
			return e.res, err
		}
		if e.drv, err = startPouchDriver(c.pouchDir); err != nil {
			return e.res, err
		}
	}
	steps := []struct {
		part string
		fn   func(context.Context) error
	}{
		{"push", e.push},
		{"incr", e.incremental},
		{"day", e.day},
		{"load", e.load},
	}
	for _, s := range steps {
		if !c.parts[s.part] {
			continue
		}
		slog.Info("running", "part", s.part)
		if err := s.fn(ctx); err != nil {
			return e.res, fmt.Errorf("%s: %w", s.part, err)
		}
	}
	if e.srv != nil {
		if err := e.srv.alive(); err != nil {
			return e.res, err
		}
		e.res.ServerPeakRSS, _, _ = e.srv.memory()
	}
	return e.res, nil
}

func (e *env) close() {
	for _, f := range e.closers {
		f()
	}
	if e.big != nil {
		e.big.Close()
	}
	if e.srv != nil {
		e.srv.stop()
	}
	if e.drv != nil {
		e.drv.stop()
	}
	if e.pouch != nil {
		e.pouch.stop()
	}
}

// server returns the server of the push, incremental and day parts,
// starting it on first use.
func (e *env) server(ctx context.Context) (*server, error) {
	if e.srv != nil {
		return e.srv, e.srv.alive()
	}
	var extra []string
	if e.cfg.serverProfile != "" {
		extra = []string{"--cpuprofile", e.cfg.serverProfile}
	}
	if e.cfg.serverTrace != "" {
		extra = append(extra, "--trace", e.cfg.serverTrace)
	}
	s, err := startServer(ctx, e.cfg.server, filepath.Join(e.cfg.work, "server"), extra...)
	if err != nil {
		return nil, err
	}
	e.srv = s
	return s, nil
}

// moduleRoot finds the directory of go.mod (the benchmark builds the
// server and finds bench/pouchdb from there).
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err == nil {
		if p := strings.TrimSpace(string(out)); p != "" && p != os.DevNull {
			return filepath.Dir(p), nil
		}
	}
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run syncbench inside the Kenesh module (no go.mod above %s)", dir)
		}
	}
}
