package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// load: cfg.clients[i] clients sync at once against one fresh server, each
// cfg.rounds syncs that push cfg.opsPer operations and pull what the other
// laptops of its council pushed. The clients are protoClients (real
// enrollment, tokens, frames and HTTP, no store behind them): 500 laptop
// stores would not fit this machine. Their change sets are demo appeals of
// the 21 councils, made once, given to each client under its own device
// id, sequence numbers and record ids.
func (e *env) load(ctx context.Context) error {
	c := e.cfg
	tmpl, councils, err := loadTemplate(ctx, c.template, c.seed+7)
	if err != nil {
		return err
	}
	var extra []string
	if c.loadServerProfile != "" {
		extra = []string{"--cpuprofile", c.loadServerProfile}
	}
	srv, err := startServer(ctx, c.server, filepath.Join(c.work, "load-server"), extra...)
	if err != nil {
		return err
	}
	defer srv.stop()
	e.loadSrv = srv
	defer func() { e.loadSrv = nil }()
	for _, co := range councils {
		if _, err := srv.admin(ctx, "council", "add", "--code", co.Code, "--name", co.Name, "--oblast", co.Oblast, "--district", co.District); err != nil {
			return err
		}
	}
	for phase, n := range c.clients {
		res, err := e.loadPhase(ctx, srv, phase, n, tmpl, councils)
		if err != nil {
			return fmt.Errorf("%d clients: %w", n, err)
		}
		e.res.Load = append(e.res.Load, *res)
	}
	return srv.alive()
}

// loadTemplate makes demo appeals of the 21 demo councils in a store in
// memory and returns their operations by council.
func loadTemplate(ctx context.Context, appeals int, seed uint64) (map[string][]syncproto.WireOp, []domain.Council, error) {
	key := make([]byte, 32)
	rand.Read(key)
	st, err := store.Open(ctx, "", key, store.Options{InMemory: true})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	if _, err := records.Init(ctx, st, "template"); err != nil {
		return nil, nil, err
	}
	svc, err := records.Open(ctx, st, records.Options{})
	if err != nil {
		return nil, nil, err
	}
	if _, err := demo.Generate(ctx, svc, demo.Options{Appeals: appeals, Seed: seed}); err != nil {
		return nil, nil, err
	}
	councils, err := svc.Councils(ctx)
	if err != nil {
		return nil, nil, err
	}
	ops, _, err := svc.PendingOps(ctx, 0, 1<<30, 1<<30)
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]syncproto.WireOp{}
	for _, op := range ops {
		if op.Kind == domain.KindAppeal {
			out[op.Council] = append(out[op.Council], syncproto.ToWire(op))
		}
	}
	for _, co := range councils {
		if len(out[co.Code]) == 0 {
			return nil, nil, fmt.Errorf("load template: no appeals of council %s", co.Code)
		}
	}
	return out, councils, nil
}

// loadClient is one client of the concurrency test.
type loadClient struct {
	pc      *protoClient
	council string
	ops     []syncproto.WireOp
	push    []*changeset.Op // ops, as the laptop holds them
	lat     []time.Duration
	// exch: each timed sync's exchange alone (exchangeClock), without the
	// client's encoding of its request and decoding of the answer.
	exch     []time.Duration
	trace    []syncTrace // with -load-trace: each timed sync
	cursor   uint64
	pulled   map[string]int // operations pulled, by device
	pushed   int
	lastMore bool
	// lastPulled: the operations of the last sync's page.
	lastPulled int
}

// loadResp is the part of a JSON sync answer a client reads.
type loadResp struct {
	Acked   uint64              `json:"acked"`
	Refused []syncproto.Refusal `json:"refused"`
	Ops     []loadOp            `json:"ops"`
	Cursor  uint64              `json:"cursor"`
	More    bool                `json:"more"`
}

type loadOp struct {
	Device string `json:"dv"`
}

// syncTrace is one timed sync as -load-trace writes it: when it started and
// what it took, so that a slow stretch of a run (a collection, a stalled
// fsync, another process) shows as the syncs it overlapped.
type syncTrace struct {
	start, lat time.Duration // start: since the timed syncs began
	pulled     int           // operations in its page
}

// loadTraceHeader names -load-trace's columns: the client's index, the
// sync's round, its start since the first and its latency in microseconds,
// and the operations it pulled.
const loadTraceHeader = "client,round,start_us,latency_us,pulled"

// writeLoadTrace writes the clients' timed syncs to path, by start.
func writeLoadTrace(path string, clients []*loadClient) error {
	type row struct {
		client, round int
		syncTrace
	}
	var rows []row
	for i, lc := range clients {
		for r, t := range lc.trace {
			rows = append(rows, row{i, r, t})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.start, b.start) })
	var b strings.Builder
	b.WriteString(loadTraceHeader + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%d,%d,%d,%d,%d\n", r.client, r.round, r.start.Microseconds(), r.lat.Microseconds(), r.pulled)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func (e *env) loadPhase(ctx context.Context, srv *server, phase, n int, tmpl map[string][]syncproto.WireOp, councils []domain.Council) (*loadResult, error) {
	c := e.cfg
	slog.Info("enrolling clients", "clients", n)
	clients := make([]*loadClient, n)
	perCouncil := map[string]int{}
	for i := range clients {
		co := councils[i%len(councils)]
		name := fmt.Sprintf("load-%d-%d", phase, i)
		code, err := srv.enrollCode(ctx, co.Code, domain.RoleSecretary, name)
		if err != nil {
			return nil, err
		}
		// 8 clients per loopback address: the server allows 10 enrollments
		// per address in a burst.
		ip := net.IPv4(127, 1, byte(phase), byte(2+i/8))
		pc, err := enrollProto(ctx, srv.URL, code, name, ip)
		if err != nil {
			return nil, err
		}
		defer pc.Close()
		lc := &loadClient{pc: pc, council: co.Code, pulled: map[string]int{}}
		lc.ops = clientOps(tmpl[co.Code], perCouncil[co.Code]*c.rounds*c.opsPer, c.rounds*c.opsPer, pc.device)
		// Pushed as the desktop app's syncer pushes them: the
		// operations it holds (SyncRequest.Push), not WireOps.
		lc.push = make([]*changeset.Op, len(lc.ops))
		for i := range lc.ops {
			o := syncproto.OpFromWire(&lc.ops[i])
			lc.push[i] = &o
		}
		perCouncil[co.Code]++
		clients[i] = lc
	}
	if err := srv.alive(); err != nil {
		return nil, err
	}
	// The 500 laptops' p99 is the tail of a run of about two seconds,
	// which a few hundred milliseconds of anything else moves. So, as
	// before each timed phase of the push part, the syncs wait until the
	// run's processes are idle (settle): the server done with the
	// enrollments (PostgreSQL's autovacuum after 500 devices written),
	// this process's garbage of the template and the enrollments
	// collected, a server of an earlier part quiet. Before that the
	// kernel writes back what it still holds for the disks (an earlier
	// run's files, written without fsync): written back during the
	// syncs, it stalls the log's fsyncs, and every laptop's push waits
	// on them (BENCHMARKS.md, load9). What the rest of the machine did
	// during the syncs is logged and noted (outside).
	timed := fmt.Sprintf("%d laptops' syncs", n)
	flushDisks()
	if err := e.settle(ctx, timed); err != nil {
		return nil, err
	}
	if err := srv.resetPeak(); err != nil {
		slog.Warn("cannot reset the server's peak RSS; the peak includes set-up", "err", err)
	}
	_, before, _ := srv.memory()
	var up0, down0 int64
	for _, lc := range clients {
		t := lc.pc.Traffic()
		up0, down0 = up0+t.Up, down0+t.Down
	}
	var stmts *pgStatements
	if c.pgStatements {
		var err error
		if stmts, err = startPGStatements(ctx, srv.store[1]); err != nil {
			return nil, err
		}
	}
	groups0, groupsOK := srv.appendGroups(ctx)
	handled0, handledN0, handledOK := srv.handled(ctx)
	load0, dirty0 := loadAvg(), dirtyBytes()
	cpu0, db0, self0 := srv.cpu(), dbCPU(), cpuSeconds(os.Getpid())
	out0 := e.around()

	slog.Info("syncing at once", "clients", n, "rounds", c.rounds, "ops_per_sync", c.opsPer)
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	t0 := time.Now() // set again below, before the start; read once it is
	for _, lc := range clients {
		wg.Add(1)
		go func(lc *loadClient) {
			defer wg.Done()
			<-start
			for r := 0; r < c.rounds; r++ {
				ops := lc.push[r*c.opsPer : (r+1)*c.opsPer]
				s := time.Now()
				if err := lc.sync(ctx, ops, true); err != nil {
					errs <- err
					return
				}
				if c.loadTrace != "" {
					lc.trace = append(lc.trace, syncTrace{start: s.Sub(t0), lat: lc.lat[len(lc.lat)-1], pulled: lc.lastPulled})
				}
			}
		}(lc)
	}
	stopProfile, err := startLoadProfile(c, n)
	if err != nil {
		return nil, err
	}
	t0 = time.Now()
	close(start)
	wg.Wait()
	wall := time.Since(t0)
	stopProfile()
	outside := e.outside(timed, out0, wall.Seconds())
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	cpu, self := srv.cpu()-cpu0, cpuSeconds(os.Getpid())-self0
	load1 := loadAvg()
	var up, down int64
	for _, lc := range clients {
		t := lc.pc.Traffic()
		up, down = up+t.Up, down+t.Down
	}
	var db float64
	if deployment.pg != nil {
		db = dbCPU() - db0
		slog.Info("load", "clients", n, "server_cpu_s", cpu, "postgres_cpu_s", db, "processes", len(srv.procs))
	}
	if stmts != nil {
		if err := stmts.report(ctx, n*c.rounds); err != nil {
			return nil, err
		}
	}
	peak, _, err := srv.memory()
	if err != nil {
		return nil, err
	}

	// Each client pulls what is left, then every client must hold every
	// operation the other clients of its council pushed, and the server
	// must hold every operation of every client. The catch-up's server CPU
	// is logged: it is not in the results, but it is in the server's
	// profile (-load-server-cpuprofile), one laptop at a time, so at the
	// better level of compression (api.go's replyCodec).
	catchCPU, catchT, catchSyncs := srv.cpu(), time.Now(), 0
	for _, lc := range clients {
		for {
			if err := lc.sync(ctx, nil, false); err != nil {
				return nil, err
			}
			catchSyncs++
			if !lc.lastMore {
				break
			}
		}
	}
	slog.Info("caught up after the timed syncs", "syncs", catchSyncs, "seconds", time.Since(catchT).Seconds(), "server_cpu_s", srv.cpu()-catchCPU)
	pushedBy := map[string]map[string]int{} // council -> device -> ops
	for _, lc := range clients {
		if pushedBy[lc.council] == nil {
			pushedBy[lc.council] = map[string]int{}
		}
		pushedBy[lc.council][lc.pc.device] = lc.pushed
	}
	pulled := 0
	for _, lc := range clients {
		for dev, n := range pushedBy[lc.council] {
			if dev == lc.pc.device {
				continue
			}
			if lc.pulled[dev] != n {
				return nil, fmt.Errorf("client %s pulled %d operations of %s; it pushed %d", lc.pc.device, lc.pulled[dev], dev, n)
			}
		}
		for _, n := range lc.pulled {
			pulled += n
		}
	}
	devs, err := srv.devices(ctx)
	if err != nil {
		return nil, err
	}
	for _, lc := range clients {
		if d := devs[lc.pc.device]; d.Acked != uint64(len(lc.ops)) {
			return nil, fmt.Errorf("the server holds %d operations of client %s, it pushed %d", d.Acked, lc.pc.device, len(lc.ops))
		}
	}

	if c.loadTrace != "" {
		path := c.loadTrace
		if len(c.clients) > 1 {
			path = fmt.Sprintf("%s.%d", path, n)
		}
		if err := writeLoadTrace(path, clients); err != nil {
			return nil, err
		}
	}
	var lat, first, later, exch []time.Duration
	for _, lc := range clients {
		lat, exch = append(lat, lc.lat...), append(exch, lc.exch...)
		if len(lc.lat) > 0 {
			first, later = append(first, lc.lat[0]), append(later, lc.lat[1:]...)
		}
	}
	for _, l := range [][]time.Duration{lat, first, later, exch} {
		slices.Sort(l)
	}
	res := &loadResult{Clients: n, Rounds: c.rounds, OpsPerSync: c.opsPer, Requests: len(lat), Seconds: wall.Seconds(),
		OpsPushed: n * c.rounds * c.opsPer, OpsPulled: pulled, P50ms: quantileMs(lat, 0.50), P99ms: quantileMs(lat, 0.99), MaxMs: quantileMs(lat, 1),
		ExchP50ms: quantileMs(exch, 0.50), ExchP99ms: quantileMs(exch, 0.99),
		FirstP50ms: quantileMs(first, 0.50), FirstMaxMs: quantileMs(first, 1), LaterP99ms: quantileMs(later, 0.99),
		PeakRSS: peak, RSSBefore: before, ServerCPU: cpu, ClientCPU: self, DatabaseCPU: db, BytesUp: up - up0, BytesDown: down - down0,
		Proto: clients[0].pc.ServerProto(), Load: [2]float64{load0, load1}}
	res.Slow, res.SlowInFirst = slowest(lat, first, 0.99)
	if len(lat) > 0 {
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		res.MeanMs = float64(sum.Microseconds()) / 1000 / float64(len(lat))
	}
	if groups, ok := srv.appendGroups(ctx); ok && groupsOK {
		res.Groups = groups - groups0
	}
	if secs, syncs, ok := srv.handled(ctx); ok && handledOK && syncs > handledN0 {
		res.HandledMs = 1000 * (secs - handled0) / (syncs - handledN0)
	}
	res.ReqPerSecond = float64(res.Requests) / res.Seconds
	res.OpsPushPerSec = float64(res.OpsPushed) / res.Seconds
	slog.Info("load", "clients", n, "requests", res.Requests, "seconds", res.Seconds, "p99_ms", res.P99ms, "exchange_p99_ms", res.ExchP99ms, "peak_rss_mib", peak>>20,
		"groups", res.Groups, "first_round_max_ms", res.FirstMaxMs, "slow_in_first_round", res.SlowInFirst, "later_p99_ms", res.LaterP99ms,
		"server_cpu_s", cpu, "client_cpu_s", self, "bytes_up", res.BytesUp, "bytes_down", res.BytesDown, "proto", res.Proto,
		outside, "dirty_mib_at_start", dirty0>>20)
	return res, nil
}

// quantileMs is the p-quantile of the sorted latencies lat, in
// milliseconds (0 when there are none).
func quantileMs(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	i := int(p*float64(len(lat))+0.5) - 1
	return float64(lat[max(0, min(i, len(lat)-1))].Microseconds()) / 1000
}

// slowest counts the latencies of lat (all, sorted) at or over its
// p-quantile, and how many of them are of first (the first round's,
// sorted): where the tail a p99 reads comes from.
func slowest(lat, first []time.Duration, p float64) (slow, inFirst int) {
	if len(lat) == 0 {
		return 0, 0
	}
	q := lat[max(0, min(int(p*float64(len(lat))+0.5)-1, len(lat)-1))]
	i, _ := slices.BinarySearch(lat, q) // the first at q
	j, _ := slices.BinarySearch(first, q)
	return len(lat) - i, len(first) - j
}

// clientOps gives a client count template operations of its council from
// offset on (wrapping), starting at a record's creation, under its own
// device id, sequence numbers from 1 and record ids of its own.
func clientOps(tmpl []syncproto.WireOp, offset, count int, device string) []syncproto.WireOp {
	start := offset % len(tmpl)
	for i := 0; i < len(tmpl) && tmpl[start].Action != "create"; i++ {
		start = (start + 1) % len(tmpl)
	}
	ids := map[string]string{}
	out := make([]syncproto.WireOp, count)
	var prev uint64
	for i := range out {
		w := tmpl[(start+i)%len(tmpl)]
		id, ok := ids[w.Record]
		if !ok {
			id = domain.NewID()
			ids[w.Record] = id
		}
		w.Device, w.Seq, w.Record = device, uint64(i+1), id
		// A laptop's clock only goes forward, and the server refuses a
		// change dated before the one before it: a window of the template
		// that wraps round, or spans its laptops, is restamped in order.
		if w.HLC <= prev {
			w.HLC = prev + 1
		}
		prev = w.HLC
		out[i] = w
	}
	return out
}

// sync makes one sync: push ops (if any) and pull a page (if pull), and
// checks the acknowledgement.
func (lc *loadClient) sync(ctx context.Context, ops []*changeset.Op, timed bool) error {
	req := &syncproto.SyncRequest{Device: lc.pc.device, Push: ops, Cursor: lc.cursor, Pull: true, MaxPull: 256 << 10}
	// A server of capability 8 answers in binary but for the smallest
	// pages: the answer is decoded as a laptop does, into a
	// syncproto.SyncResponse, a binary page straight into changeset.Ops
	// (through SyncInto a smaller struct would have it turned into JSON
	// and back, a cost no laptop has). An older server answers in JSON:
	// only the part a client reads is decoded (loadResp).
	var resp loadResp
	var page []*changeset.Op // a binary page's operations, counted as they are
	var clock exchangeClock
	ctx = clock.trace(ctx)
	t0 := time.Now()
	if !lc.pc.serverCap.Has(syncproto.CapBinaryPage) {
		if err := lc.pc.sync(ctx, req, &resp); err != nil {
			return fmt.Errorf("client %s: %w", lc.pc.device, err)
		}
	} else {
		var full syncproto.SyncResponse
		if err := lc.pc.sync(ctx, req, &full); err != nil {
			return fmt.Errorf("client %s: %w", lc.pc.device, err)
		}
		resp = loadResp{Acked: full.Acked, Refused: full.Refused, Cursor: full.Cursor, More: full.More}
		for _, o := range full.Ops {
			resp.Ops = append(resp.Ops, loadOp{Device: o.Device})
		}
		page = full.Page
	}
	if timed {
		lc.lat = append(lc.lat, time.Since(t0))
		if d := clock.took(); d > 0 {
			lc.exch = append(lc.exch, d)
		}
	}
	if len(resp.Refused) > 0 {
		return fmt.Errorf("client %s: %d operations refused: %s", lc.pc.device, len(resp.Refused), resp.Refused[0].Message)
	}
	lc.pushed += len(ops)
	if resp.Acked != uint64(lc.pushed) {
		return fmt.Errorf("client %s: acknowledged %d, pushed %d", lc.pc.device, resp.Acked, lc.pushed)
	}
	countPulled(lc.pulled, resp.Ops, func(o *loadOp) string { return o.Device })
	countPulled(lc.pulled, page, func(o **changeset.Op) string { return (*o).Device })
	lc.cursor = resp.Cursor
	lc.lastMore, lc.lastPulled = resp.More, len(resp.Ops)+len(page)
	return nil
}

// dirtyBytes is what /proc/meminfo says the kernel has yet to write to
// the disks (Dirty and Writeback; 0 where it is not). Written back while
// the syncs run, a large amount delays the server's fsyncs: 1 GB's
// writeback stalled a 4 KiB fsync for about 270 ms on the benchmark
// machine (BENCHMARKS.md, load9).
func dirtyBytes() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var n int64
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "Dirty:" || f[0] == "Writeback:") {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			n += kb << 10
		}
	}
	return n
}

// loadAvg is the machine's load average over the last minute (0 where
// /proc/loadavg is not).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b) + " 0")[0], 64)
	return f
}

// exchangeClock times a sync's HTTP exchange alone: from its request
// written to the connection to the answer's first byte read (net/http's
// client trace). A sync's latency (loadClient.lat) also holds the
// client's encoding of its request and decoding of the answer, and the
// wait of this process's goroutines for a core to do them: 500 laptops'
// CPU on the server's cores, which a laptop spends on its own. The
// exchange still holds this process's wait to write and read (its
// transport's goroutines), so it is an upper bound of what the server and
// the loopback took. Its callbacks run on the transport's goroutines.
type exchangeClock struct{ wrote, first atomic.Int64 }

func (c *exchangeClock) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest:         func(httptrace.WroteRequestInfo) { c.wrote.Store(time.Now().UnixNano()) },
		GotFirstResponseByte: func() { c.first.Store(time.Now().UnixNano()) },
	})
}

// took is the last exchange's time (0 when either end was not seen, or a
// retry's write came after its answer).
func (c *exchangeClock) took() time.Duration {
	w, f := c.wrote.Load(), c.first.Load()
	if w == 0 || f < w {
		return 0
	}
	return time.Duration(f - w)
}

// startLoadProfile starts this process's CPU profile of the timed syncs of
// n clients (-load-cpuprofile) and returns what stops it: the clients' own
// CPU, without the template's making, the enrollments and the catch-up
// after the syncs, which -cpuprofile's profile of the whole run holds too.
func startLoadProfile(c *config, n int) (stop func(), err error) {
	if c.loadProfile == "" {
		return func() {}, nil
	}
	path := c.loadProfile
	if len(c.clients) > 1 {
		path = fmt.Sprintf("%s.%d", path, n)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-load-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			slog.Warn("-load-cpuprofile: the profile may be incomplete", "file", path, "err", err)
		}
	}, nil
}

// countPulled adds a page's operations to pulled, by device. A page holds
// each device's operations in runs (its change sets, in the log's order),
// so the count is written once a run, not once an operation: a laptop
// keeps no such count, and hashing every pulled operation's device was
// about 1% of the clients' CPU (-load-cpuprofile).
func countPulled[T any](pulled map[string]int, ops []T, device func(*T) string) {
	for i := 0; i < len(ops); {
		dev, j := device(&ops[i]), i+1
		for j < len(ops) && device(&ops[j]) == dev {
			j++
		}
		pulled[dev] += j - i
		i = j
	}
}
