package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/internal/testnet"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// The council whose laptop pushes its records in the push part.
const (
	bigCouncil       = "NRN-ATB"
	bigCouncilName   = "Ат-Башы коомдук кеңеши"
	bigCouncilOblast = "KG-N"
	bigCouncilDist   = "KG-N-ATB"
)

// push: one council's laptop holding cfg.records demo appeals pushes them
// all over a loopback link; then PouchDB pushes the same appeals, exported
// as documents with as many revisions as Kenesh made operations.
func (e *env) push(ctx context.Context) error {
	c := e.cfg
	srv, err := e.server(ctx)
	if err != nil {
		return err
	}
	if _, err := srv.admin(ctx, "council", "add", "--code", bigCouncil, "--name", bigCouncilName, "--oblast", bigCouncilOblast, "--district", bigCouncilDist); err != nil {
		return err
	}
	link, err := testnet.NewLink(srv.addr, 0, 0)
	if err != nil {
		return err
	}
	defer link.Close()
	l, err := newLaptop(ctx, filepath.Join(c.work, "laptops"), "big-laptop")
	if err != nil {
		return err
	}
	e.big = l
	if err := l.enroll(ctx, srv, bigCouncil, domain.RoleSecretary, link.Addr); err != nil {
		return err
	}
	pushStop := func() {}
	slog.Info("generating demo appeals", "records", c.records, "council", bigCouncil, "spread", c.spread)
	t0 := time.Now()
	last := time.Now()
	gen, err := demo.Generate(ctx, l.svc, demo.Options{Appeals: c.records, Seed: c.seed, Spread: c.spread, Progress: func(a, _ int) {
		if time.Since(last) > 15*time.Second {
			slog.Info("generating", "appeals", a)
			last = time.Now()
		}
	}})
	if err != nil {
		return err
	}
	slog.Info("generated", "appeals", gen.Appeals, "operations", gen.Ops, "seconds", time.Since(t0).Seconds())
	// Badger compacts what the generation wrote for a while after it: a
	// laptop's records saved over months were compacted long ago, so the
	// push is timed once that is done (it was 16-18% of the laptop's CPU
	// of the 100,000-record push, BENCHMARKS.md), and once PouchDB's
	// processes, started with the run, are idle.
	if err := e.settle(ctx, "Kenesh push", l); err != nil {
		return err
	}
	if c.spread {
		e.res.note("spread backlog (-spread): the %d appeals created first, their later steps in later passes, shuffled; PouchDB replicates the same documents and revisions either way", gen.Appeals)
	}

	// Kenesh: everything pending, as many syncs as the laptop needs.
	link.Reset()
	if c.pushProfile != "" {
		stop, err := startProfile(c.pushProfile)
		if err != nil {
			return err
		}
		defer stop() // stopped after the push below; a second stop does nothing
		pushStop = stop
	}
	cpu0, ownCPU0, db0, pouch0 := srv.cpu(), cpuSeconds(os.Getpid()), dbCPU(), e.pouchCPU()
	mem := srv.watchMemory()
	out0 := e.around()
	groups0, groupsOK := srv.appendGroups(ctx)
	t0 = time.Now()
	sum, err := l.syncAll(ctx)
	pushStop()
	e.res.PushMem = mem()
	if err != nil {
		return err
	}
	k := &side{Seconds: time.Since(t0).Seconds(), Requests: sum.Requests, Records: gen.Appeals, Ops: sum.Sent, Conns: link.Conns()}
	if groups, ok := srv.appendGroups(ctx); ok && groupsOK {
		k.Groups = groups - groups0
	}
	k.Up, k.Down = link.Bytes()
	e.res.PushK = k
	slog.Info("kenesh push", "records", k.Records, "ops", k.Ops, "seconds", k.Seconds, "bytes", k.bytes(), "requests", k.Requests, "groups", k.Groups,
		"server_cpu_s", srv.cpu()-cpu0, "client_cpu_s", cpuSeconds(os.Getpid())-ownCPU0, "postgres_cpu_s", dbCPU()-db0,
		"pouchdb_cpu_s", e.pouchCPU()-pouch0, "server_memory", e.res.PushMem, e.outside("Kenesh push", out0, k.Seconds))
	if sum.Sent != gen.Ops {
		return fmt.Errorf("kenesh: the server acknowledged %d operations, the laptop made %d", sum.Sent, gen.Ops)
	}
	if err := e.checkAcked(ctx, l); err != nil {
		return err
	}
	if err := e.settle(ctx, "Kenesh first pull", l); err != nil {
		return err
	}
	if err := e.firstPull(ctx, srv, link, gen.Appeals); err != nil {
		return err
	}

	if e.drv == nil {
		e.res.note("PouchDB peer not run (-pouchdb=false): no ratios")
		return nil
	}
	docs, err := l.exportAppeals(ctx, nil)
	if err != nil {
		return err
	}
	size := 0
	for _, d := range docs {
		size += len(d.Doc)
	}
	e.res.note("PouchDB documents: %d appeals exported from the Kenesh laptop, %d bytes of JSON on average, with as many revisions as Kenesh operations", len(docs), size/len(docs))
	file := filepath.Join(c.work, "push-docs.ndjson")
	if err := writeNDJSON(file, docs); err != nil {
		return err
	}
	if err := e.drv.call(ctx, map[string]any{"op": "load", "db": "big", "file": file}, nil); err != nil {
		return err
	}
	direct := "http://" + e.pouch.addr + "/big"
	if err := e.drv.call(ctx, map[string]any{"op": "create", "remote": direct}, nil); err != nil {
		return err
	}
	plink, err := testnet.NewLink(e.pouch.addr, 0, 0)
	if err != nil {
		return err
	}
	defer plink.Close()
	if err := e.settle(ctx, "PouchDB push", l); err != nil {
		return err
	}
	var rep replication
	kcpu0, pcpu0, out0 := e.keneshCPU(), e.pouchCPU(), e.around()
	t0 = time.Now()
	if err := e.drv.call(ctx, map[string]any{"op": "replicate", "db": "big", "dir": "push", "remote": "http://" + plink.Addr + "/big"}, &rep); err != nil {
		return err
	}
	p := &side{Seconds: time.Since(t0).Seconds(), Requests: rep.Requests, Records: rep.DocsWritten, Conns: plink.Conns()}
	p.Up, p.Down = plink.Bytes()
	e.res.PushP = p
	slog.Info("pouchdb push", "docs", p.Records, "seconds", p.Seconds, "driver_seconds", rep.Seconds, "bytes", p.bytes(), "requests", p.Requests,
		"pouchdb_cpu_s", e.pouchCPU()-pcpu0, "kenesh_cpu_s", e.keneshCPU()-kcpu0, e.outside("PouchDB push", out0, p.Seconds))
	if rep.DocsWritten != len(docs) {
		return fmt.Errorf("PouchDB wrote %d documents of %d", rep.DocsWritten, len(docs))
	}
	var v pouchVerify
	if err := e.drv.call(ctx, map[string]any{"op": "verify", "db": "big", "remote": direct}, &v); err != nil {
		return err
	}
	if err := v.err("push", len(docs)); err != nil {
		return err
	}

	// PouchDB's first pull: a new local database replicates the server's.
	if err := e.settle(ctx, "PouchDB first pull", l); err != nil {
		return err
	}
	plink.Reset()
	kcpu0, pcpu0, out0 = e.keneshCPU(), e.pouchCPU(), e.around()
	t0 = time.Now()
	if err := e.drv.call(ctx, map[string]any{"op": "replicate", "db": "big-pull", "dir": "pull", "remote": "http://" + plink.Addr + "/big"}, &rep); err != nil {
		return err
	}
	p = &side{Seconds: time.Since(t0).Seconds(), Requests: rep.Requests, Records: rep.DocsWritten, Conns: plink.Conns()}
	p.Up, p.Down = plink.Bytes()
	e.res.PullP = p
	slog.Info("pouchdb first pull", "docs", p.Records, "seconds", p.Seconds, "bytes", p.bytes(), "requests", p.Requests,
		"pouchdb_cpu_s", e.pouchCPU()-pcpu0, "kenesh_cpu_s", e.keneshCPU()-kcpu0, e.outside("PouchDB first pull", out0, p.Seconds))
	if rep.DocsWritten != len(docs) {
		return fmt.Errorf("PouchDB pulled %d documents of %d", rep.DocsWritten, len(docs))
	}
	if err := e.drv.call(ctx, map[string]any{"op": "verify", "db": "big-pull", "remote": direct}, &v); err != nil {
		return err
	}
	return v.err("pull", len(docs))
}

// startProfile starts this process's CPU profile into file; stop ends it
// and closes the file, once (later calls do nothing).
func startProfile(file string) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				slog.Warn("push CPU profile", "file", file, "err", err)
			}
		})
	}, nil
}

// The collector's settings a first pull may run with (-pull-memory).
const (
	pullMemoryGo      = "go"
	pullMemoryApp     = "app"
	pullMemoryLimited = "app-limited"
)

// firstPull enrolls a central laptop, whose first sync pulls everything
// the push laptop sent (and the council): what a central staff member's
// new laptop, or a council's laptop restored empty, goes through.
func (e *env) firstPull(ctx context.Context, srv *server, link *testnet.Link, appeals int) error {
	l, err := newLaptop(ctx, filepath.Join(e.cfg.work, "laptops"), "central-laptop")
	if err != nil {
		return err
	}
	defer l.Close()
	code, err := srv.enrollCode(ctx, "", domain.RoleCentral, l.name)
	if err != nil {
		return err
	}
	link.Reset()
	if e.cfg.pullMemory != pullMemoryGo {
		// Only the pull's: the push before it ran with this process's.
		percent, limit := debug.SetGCPercent(app.DefaultGCPercent), debug.SetMemoryLimit(app.DefaultMemoryLimit)
		defer func() {
			debug.SetGCPercent(percent)
			debug.SetMemoryLimit(limit)
		}()
		if e.cfg.pullMemory == pullMemoryApp {
			l.sync.BulkMemory = app.RelaxMemory // as app.Open's syncer
		}
	}
	if e.cfg.pullProfile != "" {
		f, err := os.Create(e.cfg.pullProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	heap := watchHeap()
	cpu0, ownCPU0, db0, pouch0, out0 := srv.cpu(), cpuSeconds(os.Getpid()), dbCPU(), e.pouchCPU(), e.around()
	t0 := time.Now()
	// Enrolling makes the first sync; it is bounded in rounds, and
	// syncAll goes on while work is left.
	first, err := l.enrollWith(ctx, code, link.Addr)
	if err != nil {
		return err
	}
	sum, err := l.syncAll(ctx)
	if err != nil {
		return err
	}
	k := &side{Seconds: time.Since(t0).Seconds(), Requests: 1 + first.Requests + sum.Requests, Records: appeals, Conns: link.Conns()}
	k.Up, k.Down = link.Bytes()
	e.res.PullK = k
	n, err := l.svc.Count(records.Filter{Kind: domain.KindAppeal})
	if err != nil {
		return err
	}
	heapBefore, heapPeak := heap.stop()
	slog.Info("kenesh first pull", "records", n, "seconds", k.Seconds, "bytes", k.bytes(), "requests", k.Requests,
		"server_cpu_s", srv.cpu()-cpu0, "client_cpu_s", cpuSeconds(os.Getpid())-ownCPU0, "postgres_cpu_s", dbCPU()-db0,
		"pouchdb_cpu_s", e.pouchCPU()-pouch0, e.outside("Kenesh first pull", out0, k.Seconds), "live_heap_before_mib", heapBefore.live>>20, "live_heap_peak_mib", heapPeak.live>>20,
		"heap_objects_peak_mib", heapPeak.objects>>20)
	if n != appeals {
		return fmt.Errorf("the central laptop holds %d appeals after its first sync; %d were pushed", n, appeals)
	}
	return nil
}

// incremental: 1% of the pushed appeals are edited on the laptop (each
// edit a person's save of one or two fields), then one sync; PouchDB gets
// the same edits as new revisions and pushes once.
func (e *env) incremental(ctx context.Context) error {
	c, l := e.cfg, e.big
	srv, err := e.server(ctx)
	if err != nil {
		return err
	}
	list, err := l.svc.List(records.Filter{Kind: domain.KindAppeal})
	if err != nil {
		return err
	}
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	sort.Strings(ids)
	r := mrand.New(mrand.NewPCG(c.seed, 2))
	r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	n := max(1, int(float64(len(ids))*c.changed+0.5))
	changed := ids[:n]
	sort.Strings(changed)
	seq0 := l.svc.Seq()
	for _, id := range changed {
		if err := editAppeal(ctx, l.svc, r, id); err != nil {
			return err
		}
	}
	ops := int(l.svc.Seq() - seq0)

	link, err := testnet.NewLink(srv.addr, 0, 0)
	if err != nil {
		return err
	}
	defer link.Close()
	l.relay.point(link.Addr)
	if err := e.settle(ctx, "Kenesh incremental sync", l); err != nil {
		return err
	}
	t0 := time.Now()
	sum, err := l.syncAll(ctx)
	if err != nil {
		return err
	}
	k := &side{Seconds: time.Since(t0).Seconds(), Requests: sum.Requests, Records: n, Ops: sum.Sent, Conns: link.Conns()}
	k.Up, k.Down = link.Bytes()
	e.res.IncrK = k
	slog.Info("kenesh incremental", "records", n, "ops", k.Ops, "bytes", k.bytes(), "requests", k.Requests)
	if sum.Sent != ops {
		return fmt.Errorf("kenesh: %d operations acknowledged, %d made", sum.Sent, ops)
	}
	if err := e.checkAcked(ctx, l); err != nil {
		return err
	}
	if err := e.verifyContent(ctx, srv, l); err != nil {
		return err
	}

	if e.drv == nil {
		return nil
	}
	docs, err := l.exportAppeals(ctx, changed)
	if err != nil {
		return err
	}
	file := filepath.Join(c.work, "incr-docs.ndjson")
	plain := make([]json.RawMessage, len(docs))
	for i, d := range docs {
		plain[i] = d.Doc
	}
	if err := writeNDJSON(file, plain); err != nil {
		return err
	}
	if err := e.drv.call(ctx, map[string]any{"op": "put", "db": "big", "file": file}, nil); err != nil {
		return err
	}
	plink, err := testnet.NewLink(e.pouch.addr, 0, 0)
	if err != nil {
		return err
	}
	defer plink.Close()
	if err := e.settle(ctx, "PouchDB incremental push", l); err != nil {
		return err
	}
	var rep replication
	kcpu0, pcpu0 := e.keneshCPU(), e.pouchCPU()
	t0 = time.Now()
	if err := e.drv.call(ctx, map[string]any{"op": "replicate", "db": "big", "dir": "push", "remote": "http://" + plink.Addr + "/big"}, &rep); err != nil {
		return err
	}
	p := &side{Seconds: time.Since(t0).Seconds(), Requests: rep.Requests, Records: rep.DocsWritten, Conns: plink.Conns()}
	p.Up, p.Down = plink.Bytes()
	e.res.IncrP = p
	slog.Info("pouchdb incremental", "docs", p.Records, "bytes", p.bytes(), "requests", p.Requests,
		"pouchdb_cpu_s", e.pouchCPU()-pcpu0, "kenesh_cpu_s", e.keneshCPU()-kcpu0)
	if rep.DocsWritten != n {
		return fmt.Errorf("PouchDB incremental push wrote %d documents, %d changed", rep.DocsWritten, n)
	}
	var v pouchVerify
	if err := e.drv.call(ctx, map[string]any{"op": "verify", "db": "big", "remote": "http://" + e.pouch.addr + "/big"}, &v); err != nil {
		return err
	}
	return v.err("incremental", -1)
}

// editAppeal makes one realistic edit of appeal id, as a person saves it:
// a correction of the summary, the description completed, the appellant's
// new phone number, or a note on the status.
func editAppeal(ctx context.Context, svc *records.Service, r *mrand.Rand, id string) error {
	a, err := svc.Appeal(ctx, id)
	if err != nil {
		return err
	}
	var patch map[string]any
	switch r.IntN(4) {
	case 0:
		patch = map[string]any{"summary": a.Summary + " (" + pick(r, corrections) + ")"}
	case 1:
		patch = map[string]any{"description": a.Description + " " + pick(r, additions)}
	case 2:
		if a.Appellant != nil {
			ap := *a.Appellant
			ap.Phone = fmt.Sprintf("+996 %d %06d", 500+r.IntN(300), r.IntN(1000000))
			patch = map[string]any{"appellant": ap}
		} else {
			patch = map[string]any{"status_note": pick(r, notes)}
		}
	default:
		patch = map[string]any{"status_note": pick(r, notes)}
	}
	b, _ := json.Marshal(patch)
	if _, err := svc.EditAppeal(ctx, id, b); err != nil {
		return fmt.Errorf("edit appeal %s: %w", id, err)
	}
	return nil
}

var corrections = []string{"тактоо", "уточнение", "айыл өкмөтүнүн маалыматы боюнча", "по данным айыл окмоту"}

var additions = []string{
	"Арыз ээси телефон аркылуу кайра кайрылып, маселе чечиле элек экенин билдирди.",
	"Заявитель повторно обратился по телефону и сообщил, что вопрос не решён.",
	"Кеңештин мүчөлөрү жерине барып, фактылар тастыкталды.",
	"Члены совета выехали на место, факты подтвердились.",
	"Айыл өкмөтүнө расмий кат жөнөтүлдү.",
}

var notes = []string{
	"Жооп күтүлүүдө", "Ожидается ответ органа", "Кошумча документтер суралды", "Запрошены дополнительные документы",
	"Жыйында каралат", "Будет рассмотрено на заседании совета",
}

func pick(r *mrand.Rand, list []string) string { return list[r.IntN(len(list))] }

// checkAcked asks the server (admin devices) which operations of the
// laptop it holds: all of them.
func (e *env) checkAcked(ctx context.Context, l *laptop) error {
	devs, err := e.srv.devices(ctx)
	if err != nil {
		return err
	}
	id := l.svc.Device().ID
	d, ok := devs[id]
	if !ok {
		return fmt.Errorf("the server does not know %s (%s)", l.name, id)
	}
	if d.Acked != l.svc.Seq() {
		return fmt.Errorf("the server holds %s's operations up to %d; the laptop has %d", l.name, d.Acked, l.svc.Seq())
	}
	return nil
}

// verifyContent pulls everything the server holds through a central
// device, folds the laptop's operations into record states, and compares
// every appeal field by field (value and the write that set it) with the
// laptop's own states.
func (e *env) verifyContent(ctx context.Context, srv *server, l *laptop) error {
	code, err := srv.enrollCode(ctx, "", domain.RoleCentral, "verifier")
	if err != nil {
		return err
	}
	pc, err := enrollProto(ctx, srv.URL, code, "verifier", nil)
	if err != nil {
		return err
	}
	defer pc.Close()
	dev := l.svc.Device().ID
	states := map[string]*changeset.State{}
	var cursor uint64
	ops := 0
	t0 := time.Now()
	for {
		var resp syncproto.SyncResponse
		if err := pc.sync(ctx, &syncproto.SyncRequest{Device: pc.device, Cursor: cursor, Pull: true, MaxPull: 4 << 20}, &resp); err != nil {
			return fmt.Errorf("verify: pull: %w", err)
		}
		page := resp.Page // a binary page (capability 8), else JSON's
		for _, w := range resp.Ops {
			op, err := syncproto.FromWire(w)
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			page = append(page, op)
		}
		for _, op := range page {
			if op.Device != dev {
				continue
			}
			if err := op.Validate(); err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			st := states[op.Record]
			if st == nil {
				st = &changeset.State{}
				states[op.Record] = st
			}
			if _, _, err := st.Apply(op); err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			ops++
		}
		cursor = resp.Cursor
		if !resp.More {
			break
		}
	}
	slog.Info("verify: pulled the server's log", "operations", ops, "seconds", time.Since(t0).Seconds())
	if uint64(ops) != l.svc.Seq() {
		return fmt.Errorf("verify: the server's log holds %d operations of %s, the laptop made %d", ops, l.name, l.svc.Seq())
	}
	list, err := l.svc.List(records.Filter{Kind: domain.KindAppeal, Deleted: true})
	if err != nil {
		return err
	}
	if len(list) != len(states) {
		return fmt.Errorf("verify: the server holds %d records of %s, the laptop %d appeals", len(states), l.name, len(list))
	}
	for _, s := range list {
		mine, err := l.st.State(ctx, domain.KindAppeal, s.ID)
		if err != nil {
			return err
		}
		theirs := states[s.ID]
		if theirs == nil {
			return fmt.Errorf("verify: the server does not hold appeal %s", s.ID)
		}
		if err := sameState(mine, theirs); err != nil {
			return fmt.Errorf("verify: appeal %s: %w", s.ID, err)
		}
	}
	slog.Info("verify: the server holds every record as the laptop does", "records", len(list))
	return nil
}

func sameState(a, b *changeset.State) error {
	if len(a.Fields) != len(b.Fields) {
		return fmt.Errorf("%d fields on the laptop, %d on the server", len(a.Fields), len(b.Fields))
	}
	for name, fa := range a.Fields {
		fb, ok := b.Fields[name]
		if !ok {
			return fmt.Errorf("field %s missing on the server", name)
		}
		if fa.HLC != fb.HLC || fa.Device != fb.Device || !bytes.Equal(fa.Value, fb.Value) {
			return fmt.Errorf("field %s differs: laptop %s@%d, server %s@%d", name, fa.Value, fa.HLC, fb.Value, fb.HLC)
		}
	}
	return nil
}
