package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/internal/testnet"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// The council of the day's-work part: two laptops (the secretary's and the
// chair's, say) that hold the council's records.
const (
	dayCouncil       = "NRN-KOC"
	dayCouncilName   = "Кочкор коомдук кеңеши"
	dayCouncilOblast = "KG-N"
	dayCouncilDist   = "KG-N-KOC"
	// The same day again without the zstd dictionary, on another council.
	plainCouncil     = "NRN-JUM"
	plainCouncilName = "Жумгал коомдук кеңеши"
	plainCouncilDist = "KG-N-JUM"
)

// day: laptop A makes a day's work and syncs over the emulated EDGE link:
// its push, then (after laptop B pushed its own day's work) its pull, then
// a sync with nothing to do, then, on a second day, push and pull in one
// sync. PouchDB replicas A and B do the same with the same documents.
func (e *env) day(ctx context.Context) error {
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		return err
	}
	plain, err := syncproto.NewCodec(nil)
	if err != nil {
		return err
	}
	dict, err := e.dayKenesh(ctx, dayCouncil, dayCouncilName, dayCouncilDist, codec)
	if err != nil {
		return err
	}
	e.res.DayPushK, e.res.DayPullK, e.res.DayIdleK, e.res.DayTogetherK = dict.push, dict.pull, dict.idle, dict.together
	e.res.Zstd = dict.zstd
	// What the dictionary saves: the same day's work (same seed) on a
	// laptop pair whose codec has none, so both sides compress without.
	nodict, err := e.dayKenesh(ctx, plainCouncil, plainCouncilName, plainCouncilDist, plain)
	if err != nil {
		return fmt.Errorf("without dictionary: %w", err)
	}
	e.res.DayPushPlain, e.res.DayPullPlain = nodict.push, nodict.pull
	e.res.Zstd.WirePlain = nodict.push.bytes()
	e.res.Zstd.Zstd19Plain = nodict.zstd.Zstd19
	if e.drv == nil {
		return nil
	}
	return e.dayPouch(ctx, dict.a, dict.base, dict.touched)
}

// dayRun is what one Kenesh day measured, and what the PouchDB replay needs.
type dayRun struct {
	push, pull, idle, together *side
	zstd                       *zstdCmp
	a                          *laptop
	base                       []pouchDoc
	touched                    [][]string
}

// dayKenesh runs the day on two new laptops of council code whose syncers
// compress with codec.
func (e *env) dayKenesh(ctx context.Context, code, name, district string, codec *syncproto.Codec) (*dayRun, error) {
	c := e.cfg
	srv, err := e.server(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := srv.admin(ctx, "council", "add", "--code", code, "--name", name, "--oblast", dayCouncilOblast, "--district", district); err != nil {
		return nil, err
	}
	loop, err := testnet.NewLink(srv.addr, 0, 0)
	if err != nil {
		return nil, err
	}
	defer loop.Close()
	edge, err := testnet.NewLink(srv.addr, c.edgeBPS, c.edgeRTT)
	if err != nil {
		return nil, err
	}
	defer edge.Close()

	dir := filepath.Join(c.work, "laptops")
	a, err := newLaptop(ctx, dir, code+"-laptop-a")
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, a.Close) // the PouchDB replay reads it
	b, err := newLaptop(ctx, dir, code+"-laptop-b")
	if err != nil {
		return nil, err
	}
	defer b.Close()
	a.sync, b.sync = syncer.New(a.svc, codec), syncer.New(b.svc, codec)
	if err := a.enroll(ctx, srv, code, domain.RoleSecretary, loop.Addr); err != nil {
		return nil, err
	}
	if _, err := demo.Generate(ctx, a.svc, demo.Options{Appeals: c.dayBase, Seed: c.seed + 1}); err != nil {
		return nil, err
	}
	if _, err := a.syncAll(ctx); err != nil {
		return nil, err
	}
	if err := b.enroll(ctx, srv, code, domain.RoleSecretary, loop.Addr); err != nil {
		return nil, err
	}
	if _, err := b.syncAll(ctx); err != nil {
		return nil, err
	}
	base, err := a.exportAppeals(ctx, nil)
	if err != nil {
		return nil, err
	}
	if len(base) != c.dayBase {
		return nil, fmt.Errorf("day: laptop A holds %d appeals, %d made", len(base), c.dayBase)
	}
	ids := make([]string, len(base))
	for i, d := range base {
		var head struct {
			ID string `json:"_id"`
		}
		json.Unmarshal(d.Doc, &head)
		ids[i] = head.ID
	}
	// A and B edit different records, as two people of one council do.
	var poolA, poolB []string
	for i, id := range ids {
		if i%2 == 0 {
			poolA = append(poolA, id)
		} else {
			poolB = append(poolB, id)
		}
	}
	r := mrand.New(mrand.NewPCG(c.seed, 3))

	// Day 1, Kenesh.
	seqA := a.svc.Seq()
	touchedA, err := dayWork(ctx, a.svc, r, poolA[:len(poolA)/2], c.dayWork)
	if err != nil {
		return nil, err
	}
	dayOps, _, err := a.svc.PendingOps(ctx, seqA, 1<<20, 1<<30)
	if err != nil {
		return nil, err
	}
	touchedB, err := dayWork(ctx, b.svc, r, poolB[:len(poolB)/2], c.dayWork)
	if err != nil {
		return nil, err
	}
	a.relay.point(edge.Addr)
	pushK, sum, err := measureSync(ctx, a, edge)
	if err != nil {
		return nil, err
	}
	pushK.Records = len(touchedA)
	if sum.Sent != len(dayOps) || sum.Requests != 1 {
		return nil, fmt.Errorf("day: A's push sent %d operations in %d requests; it made %d", sum.Sent, sum.Requests, len(dayOps))
	}
	run := &dayRun{a: a, base: base, push: pushK}
	if run.zstd, err = zstdCompare(ctx, c.root, dayOps, pushK.bytes()); err != nil {
		return nil, err
	}
	opsB := b.svc.Seq() - b.mustAcked(ctx)
	if _, err := b.syncAll(ctx); err != nil { // over loopback: B's day reaches the server
		return nil, err
	}
	pullK, sum, err := measureSync(ctx, a, edge)
	if err != nil {
		return nil, err
	}
	pullK.Records = len(touchedB)
	if uint64(sum.Received) != opsB {
		return nil, fmt.Errorf("day: A pulled %d operations; B pushed %d", sum.Received, opsB)
	}
	run.pull = pullK
	idleK, sum, err := measureSync(ctx, a, edge)
	if err != nil {
		return nil, err
	}
	if sum.Sent != 0 || sum.Received != 0 {
		return nil, fmt.Errorf("day: the sync with nothing to do sent %d and received %d", sum.Sent, sum.Received)
	}
	run.idle = idleK
	slog.Info("kenesh day", "council", code, "push_s", pushK.Seconds, "push_bytes", pushK.bytes(), "pull_s", pullK.Seconds, "idle_bytes", idleK.bytes(), "idle_requests", idleK.Requests)

	// Day 2: both laptops work; B syncs first; A's one sync pushes its
	// work and pulls B's.
	a.relay.point(loop.Addr)
	if _, err := b.syncAll(ctx); err != nil { // B takes A's day 1
		return nil, err
	}
	seqA2 := a.svc.Seq()
	touchedA2, err := dayWork(ctx, a.svc, r, poolA[len(poolA)/2:], c.dayWork)
	if err != nil {
		return nil, err
	}
	opsA2 := a.svc.Seq() - seqA2
	seqB2 := b.svc.Seq()
	touchedB2, err := dayWork(ctx, b.svc, r, poolB[len(poolB)/2:], c.dayWork)
	if err != nil {
		return nil, err
	}
	opsB2 := b.svc.Seq() - seqB2
	if _, err := b.syncAll(ctx); err != nil {
		return nil, err
	}
	a.relay.point(edge.Addr)
	togetherK, sum, err := measureSync(ctx, a, edge)
	if err != nil {
		return nil, err
	}
	togetherK.Records = len(touchedA2) + len(touchedB2)
	if uint64(sum.Sent) != opsA2 || uint64(sum.Received) != opsB2 {
		return nil, fmt.Errorf("day 2: A's sync sent %d and received %d operations; want %d and %d", sum.Sent, sum.Received, opsA2, opsB2)
	}
	run.together = togetherK
	a.relay.point(loop.Addr)
	if _, err := b.syncAll(ctx); err != nil {
		return nil, err
	}
	if err := sameAppeals(ctx, a, b); err != nil {
		return nil, err
	}
	for _, l := range []*laptop{a, b} {
		if err := e.checkAcked(ctx, l); err != nil {
			return nil, err
		}
	}
	run.touched = [][]string{touchedA, touchedB, touchedA2, touchedB2}
	return run, nil
}

// dayPouch replays the day on PouchDB: the same base documents, the same
// records touched, each ending as Kenesh's laptop ended it.
func (e *env) dayPouch(ctx context.Context, a *laptop, base []pouchDoc, touched [][]string) error {
	c := e.cfg
	file := func(name string) string { return filepath.Join(c.work, name) }
	direct := "http://" + e.pouch.addr + "/day"
	edge, err := testnet.NewLink(e.pouch.addr, c.edgeBPS, c.edgeRTT)
	if err != nil {
		return err
	}
	defer edge.Close()
	viaEdge := "http://" + edge.Addr + "/day"
	call := func(cmd map[string]any, out any) error { return e.drv.call(ctx, cmd, out) }
	if err := writeNDJSON(file("day-base.ndjson"), base); err != nil {
		return err
	}
	steps := []map[string]any{
		{"op": "create", "remote": direct},
		{"op": "load", "db": "dayA", "file": file("day-base.ndjson")},
		{"op": "replicate", "db": "dayA", "dir": "push", "remote": direct},
		{"op": "replicate", "db": "dayB", "dir": "pull", "remote": direct},
	}
	for _, s := range steps {
		if err := call(s, nil); err != nil {
			return err
		}
	}
	// The documents of each batch of work, as the Kenesh laptop that made
	// it holds them at the end. Kenesh laptops A and B hold the same by
	// now (checked), so either can export them.
	put := func(db, name string, ids []string) error {
		docs, err := a.exportAppeals(ctx, ids)
		if err != nil {
			return err
		}
		plain := make([]json.RawMessage, len(docs))
		for i, d := range docs {
			plain[i] = d.Doc
		}
		if err := writeNDJSON(file(name), plain); err != nil {
			return err
		}
		return call(map[string]any{"op": "put", "db": db, "file": file(name)}, nil)
	}
	measure := func(db, dir string) (*side, error) {
		edge.Reset()
		var rep replication
		t0 := time.Now()
		if err := call(map[string]any{"op": "replicate", "db": db, "dir": dir, "remote": viaEdge}, &rep); err != nil {
			return nil, err
		}
		s := &side{Seconds: time.Since(t0).Seconds(), Requests: rep.Requests, Records: rep.DocsWritten, Conns: edge.Conns()}
		s.Up, s.Down = edge.Bytes()
		return s, nil
	}
	if err := put("dayA", "day1-a.ndjson", touched[0]); err != nil {
		return err
	}
	if err := put("dayB", "day1-b.ndjson", touched[1]); err != nil {
		return err
	}
	var err2 error
	if e.res.DayPushP, err2 = measure("dayA", "push"); err2 != nil {
		return err2
	}
	if e.res.DayPushP.Records != len(touched[0]) {
		return fmt.Errorf("PouchDB day push wrote %d documents, %d touched", e.res.DayPushP.Records, len(touched[0]))
	}
	if err := call(map[string]any{"op": "replicate", "db": "dayB", "dir": "sync", "remote": direct}, nil); err != nil {
		return err
	}
	if e.res.DayPullP, err2 = measure("dayA", "pull"); err2 != nil {
		return err2
	}
	if e.res.DayPullP.Records != len(touched[1]) {
		return fmt.Errorf("PouchDB day pull wrote %d documents, %d touched", e.res.DayPullP.Records, len(touched[1]))
	}
	// Nothing to do: a push and a pull, as a laptop syncs both ways.
	idlePush, err := measure("dayA", "push")
	if err != nil {
		return err
	}
	idlePull, err := measure("dayA", "pull")
	if err != nil {
		return err
	}
	e.res.DayIdleP = &side{Seconds: idlePush.Seconds + idlePull.Seconds, Up: idlePush.Up + idlePull.Up, Down: idlePush.Down + idlePull.Down,
		Requests: idlePush.Requests + idlePull.Requests, Conns: idlePush.Conns + idlePull.Conns}
	// Day 2: PouchDB.sync, push and pull at once.
	if err := call(map[string]any{"op": "replicate", "db": "dayB", "dir": "sync", "remote": direct}, nil); err != nil {
		return err
	}
	if err := put("dayA", "day2-a.ndjson", touched[2]); err != nil {
		return err
	}
	if err := put("dayB", "day2-b.ndjson", touched[3]); err != nil {
		return err
	}
	if err := call(map[string]any{"op": "replicate", "db": "dayB", "dir": "sync", "remote": direct}, nil); err != nil {
		return err
	}
	if e.res.DayTogetherP, err2 = measure("dayA", "sync"); err2 != nil {
		return err2
	}
	if e.res.DayTogetherP.Records != len(touched[2])+len(touched[3]) {
		return fmt.Errorf("PouchDB day 2 sync wrote %d documents, %d touched", e.res.DayTogetherP.Records, len(touched[2])+len(touched[3]))
	}
	var v pouchVerify
	if err := call(map[string]any{"op": "verify", "db": "dayA", "remote": direct}, &v); err != nil {
		return err
	}
	return v.err("day", -1)
}

// measureSync makes one SyncOnce of l through link (a new connection, as
// after a laptop wakes) and measures it on the link.
func measureSync(ctx context.Context, l *laptop, link *testnet.Link) (*side, *syncer.Summary, error) {
	link.Reset()
	t0 := time.Now()
	sum, err := l.sync.SyncOnce(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: sync: %w", l.name, err)
	}
	s := &side{Seconds: time.Since(t0).Seconds(), Requests: sum.Requests, Ops: sum.Sent + sum.Received, Conns: link.Conns()}
	s.Up, s.Down = link.Bytes()
	if sum.Refused > 0 || sum.Pending > 0 {
		return nil, nil, fmt.Errorf("%s: %d operations refused, %d left pending", l.name, sum.Refused, sum.Pending)
	}
	return s, sum, nil
}

func (l *laptop) mustAcked(ctx context.Context) uint64 {
	st, _ := l.svc.SyncState(ctx)
	return st.Acked
}

// dayWork makes n saves on distinct records, as a council's day: a few new
// appeals (received today, modelled on existing ones), workflow steps,
// consultations and corrections of appeals from pool. It returns the ids
// of the records touched.
func dayWork(ctx context.Context, svc *records.Service, r *mrand.Rand, pool []string, n int) ([]string, error) {
	if len(pool) < n {
		return nil, fmt.Errorf("day's work: %d records to edit from, %d saves", len(pool), n)
	}
	pool = append([]string(nil), pool...)
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	today := svc.Today()
	var touched []string
	creates := n * 3 / 10
	for i := 0; i < creates; i++ {
		model, err := svc.Appeal(ctx, pool[len(pool)-1-i])
		if err != nil {
			return nil, err
		}
		a := domain.Appeal{Council: model.Council, ReceivedOn: today, RegisteredOn: today, Channel: model.Channel, Language: model.Language,
			Anonymous: model.Anonymous, Gender: model.Gender, AgeGroup: model.AgeGroup, VulnerableGroups: model.VulnerableGroups,
			Oblast: model.Oblast, District: model.District, Village: model.Village, Category: model.Category, Authority: model.Authority,
			AuthorityName: model.AuthorityName, Summary: model.Summary, Description: model.Description}
		if model.Appellant != nil {
			ap := *model.Appellant
			ap.Phone = fmt.Sprintf("+996 %d %06d", 500+r.IntN(300), r.IntN(1000000))
			a.Appellant = &ap
		}
		saved, err := svc.CreateAppeal(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("day's work: new appeal: %w", err)
		}
		touched = append(touched, saved.ID)
	}
	for _, id := range pool[:n-creates] {
		a, err := svc.Appeal(ctx, id)
		if err != nil {
			return nil, err
		}
		moved := false
		if next := a.NextStatuses; len(next) > 0 && r.IntN(2) == 0 {
			step := domain.Step{To: next[r.IntN(len(next))], On: today}
			switch step.To {
			case domain.StatusRejected:
				step.Note = "Фактылар тастыкталган жок / Факты не подтвердились"
			case domain.StatusReferred:
				step.Target = a.AuthorityName
			case domain.StatusAnswered:
				step.Answer = "Орган чара көрүлгөнүн билдирди / Орган сообщил о принятых мерах"
			}
			_, err := svc.MoveAppeal(ctx, id, step)
			switch {
			case err == nil:
				moved = true
			case !errors.Is(err, domain.ErrInvalid) && !errors.Is(err, domain.ErrIllegalTransition):
				return nil, fmt.Errorf("day's work: move %s: %w", id, err)
			}
		}
		if !moved {
			if r.IntN(4) == 0 {
				if _, err := svc.AddConsultation(ctx, id, domain.Consultation{On: today, Consultant: "юрист Н. Исакова",
					Summary: "Бекер юридикалык кеңеш берилди: арызды кантип жазуу керектиги түшүндүрүлдү."}); err != nil {
					return nil, fmt.Errorf("day's work: consultation on %s: %w", id, err)
				}
			} else if err := editAppeal(ctx, svc, r, id); err != nil {
				return nil, err
			}
		}
		touched = append(touched, id)
	}
	sort.Strings(touched)
	return touched, nil
}

// sameAppeals checks that two laptops of one council hold the same appeals.
func sameAppeals(ctx context.Context, a, b *laptop) error {
	la, err := a.svc.List(records.Filter{Kind: domain.KindAppeal, Deleted: true})
	if err != nil {
		return err
	}
	lb, err := b.svc.List(records.Filter{Kind: domain.KindAppeal, Deleted: true})
	if err != nil {
		return err
	}
	if len(la) != len(lb) {
		return fmt.Errorf("day: laptop A holds %d appeals, B %d", len(la), len(lb))
	}
	for _, s := range la {
		x, err := a.st.State(ctx, domain.KindAppeal, s.ID)
		if err != nil {
			return err
		}
		y, err := b.st.State(ctx, domain.KindAppeal, s.ID)
		if err != nil {
			return fmt.Errorf("day: laptop B lacks appeal %s: %w", s.ID, err)
		}
		if err := sameState(x, y); err != nil {
			return fmt.Errorf("day: appeal %s: %w", s.ID, err)
		}
	}
	return nil
}

// zstdCompare compresses the changed fields alone of ops (one JSON object
// of field names and new values per operation, one per line) with the
// zstd command at level 19, without and with the shipped dictionary.
func zstdCompare(ctx context.Context, root string, ops []*changeset.Op, wire int64) (*zstdCmp, error) {
	if _, err := exec.LookPath("zstd"); err != nil {
		if err := aptInstall(ctx, "zstd"); err != nil {
			return nil, fmt.Errorf("the zstd command is missing and could not be installed: %w", err)
		}
	}
	var raw []byte
	for _, op := range ops {
		fields := make(map[string]json.RawMessage, len(op.Fields))
		for name, ch := range op.Fields {
			fields[name] = ch.Value
		}
		b, err := json.Marshal(fields)
		if err != nil {
			return nil, err
		}
		raw = append(append(raw, b...), '\n')
	}
	dict := filepath.Join(root, "assets", "zstd", "sync-1.dict")
	z := &zstdCmp{Ops: len(ops), FieldsRaw: len(raw), Wire: wire}
	var err error
	if z.Zstd19, err = zstdSize(ctx, raw); err != nil {
		return nil, err
	}
	if z.Zstd19Dict, err = zstdSize(ctx, raw, "-D", dict); err != nil {
		return nil, err
	}
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		return nil, err
	}
	// The request body alone, as the syncer builds it for a server of
	// protocol 2.
	req := &syncproto.SyncRequest{Proto: syncproto.Proto, Device: ops[0].Device, Pull: true, MaxPull: 256 << 10}
	for _, op := range ops {
		req.Ops = append(req.Ops, syncproto.ToWire(op))
	}
	frame, err := codec.EncodeSyncRequest(req, 1)
	if err != nil {
		return nil, err
	}
	z.Frame = len(frame)
	return z, nil
}

func zstdSize(ctx context.Context, data []byte, args ...string) (int, error) {
	cmd := exec.CommandContext(ctx, "zstd", append([]string{"-19", "-q", "-c"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return 0, fmt.Errorf("zstd %v: %v: %s", args, err, ee.Stderr)
		}
		return 0, fmt.Errorf("zstd: %w", err)
	}
	return len(out), nil
}

// aptInstall installs a Debian package (as root, or through sudo).
func aptInstall(ctx context.Context, pkg string) error {
	args := []string{"apt-get", "install", "-y", "-qq", pkg}
	if os.Geteuid() != 0 {
		args = append([]string{"sudo"}, args...)
	}
	slog.Info("installing", "package", pkg)
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}
