package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/storetest"
)

// head is the last server sequence number the store gave.
func head(tb testing.TB, st store.Store) uint64 {
	tb.Helper()
	n, err := st.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// newIngester opens a store in a temporary directory and an ingester on
// it, logging to log (nil: nowhere).
func newIngester(tb testing.TB, o badgerstore.Options, log io.Writer) (*badgerstore.Store, *Ingester) {
	tb.Helper()
	ctx := context.Background()
	st, err := badgerstore.Open(ctx, tb.TempDir(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	h := slog.DiscardHandler
	if log != nil {
		h = slog.NewTextHandler(log, nil)
	}
	g, err := Open(ctx, st, Options{Logger: slog.New(h)})
	if err != nil {
		tb.Fatal(err)
	}
	return st, g
}

// A push larger than one Badger transaction holds is applied in several,
// each atomic and each advancing the acknowledgement: every operation is
// applied once, in order, and sending it again changes nothing.
func TestPushLargerThanOneTransaction(t *testing.T) {
	ctx := context.Background()
	var logs strings.Builder
	st, g := newIngester(t, badgerstore.Options{Small: true}, &logs) // 8 MiB memtables: about 1.2 MB a transaction
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	long, _ := json.Marshal(strings.Repeat("Ак-Суу айылындагы фельдшердик-акушердик пункт. ", 40)) // ~3.5 KB
	ops := make([]syncproto.WireOp, syncproto.MaxPushOps)
	for i := range ops {
		ops[i] = syncproto.WireOp{Device: dev.ID, Seq: uint64(i + 1), HLC: 117677491360104448 + uint64(i), Kind: domain.KindAppeal,
			Record: domain.NewID(), Council: "NRN-ATB", Action: "create", Author: "test",
			Fields: map[string]syncproto.WireChange{"description": {V: long}, "council": {V: json.RawMessage(`"NRN-ATB"`)}}}
	}
	res, err := g.Push(ctx, dev, ops)
	if err != nil {
		t.Fatal(err)
	}
	if res.Acked != uint64(len(ops)) || res.Accepted != len(ops) || len(res.Refused) != 0 {
		t.Fatalf("push: acked %d, accepted %d, refused %v; want %d accepted", res.Acked, res.Accepted, res.Refused, len(ops))
	}
	splits := strings.Count(logs.String(), "splitting a push over transactions")
	if splits == 0 {
		t.Fatalf("the push fit in one transaction: the test does not test splitting\n%s", logs.String())
	}
	// Each split judges its operations again: once a transaction's size is
	// found, the rest goes in chunks of it (halving from MaxPushOps takes
	// at most 11 splits), not whole and halved again for every chunk
	// (19 splits here before, each chunk judged whole again).
	t.Logf("split %d times", splits)
	if splits > 11 {
		t.Errorf("the push was split %d times: each chunk was tried whole again", splits)
	}
	page, err := st.Pull(ctx, store.Scope{All: true}, "", 0, store.PullLimits{MaxBytes: 64 << 20, MaxOps: 10 * len(ops)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Ops) != len(ops) {
		t.Fatalf("the log holds %d operations, want %d", len(page.Ops), len(ops))
	}
	for i, op := range page.Ops {
		if op.Seq != uint64(i+1) || op.Record != ops[i].Record {
			t.Fatalf("log entry %d is %s/%d, want seq %d", i+1, op.Record, op.Seq, i+1)
		}
	}
	again, err := g.Push(ctx, dev, ops)
	if err != nil {
		t.Fatal(err)
	}
	if again.Held != len(ops) || again.Accepted != 0 || head(t, st) != uint64(len(ops)) {
		t.Fatalf("the same push again: held %d, accepted %d, head %d", again.Held, again.Accepted, head(t, st))
	}
}

// A change set sent again after its answer was lost: nothing is applied
// twice, and what was refused is reported again, so the laptop learns it.
func TestPushAgainRepeatsRefusals(t *testing.T) {
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{Small: true}, nil)
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	op := func(seq uint64, council string) syncproto.WireOp {
		return syncproto.WireOp{Device: dev.ID, Seq: seq, HLC: 117677491360104448 + seq, Kind: domain.KindAppeal,
			Record: domain.NewID(), Council: council, Action: "create", Author: "test",
			Fields: map[string]syncproto.WireChange{"summary": {V: json.RawMessage(`"ң ө ү"`)}, "council": {V: json.RawMessage(`"` + council + `"`)}}}
	}
	ops := []syncproto.WireOp{op(1, "NRN-ATB"), op(2, "OSH-NOO"), op(3, "NRN-ATB")}
	first, err := g.Push(ctx, dev, ops)
	if err != nil {
		t.Fatal(err)
	}
	if first.Acked != 3 || first.Accepted != 2 || len(first.Refused) != 1 || first.Refused[0].Seq != 2 {
		t.Fatalf("first push: %+v", first)
	}
	again, err := g.Push(ctx, dev, ops)
	if err != nil {
		t.Fatal(err)
	}
	if again.Acked != 3 || again.Held != 3 || again.Accepted != 0 || len(again.Refused) != 1 ||
		!reflect.DeepEqual(again.Refused[0], first.Refused[0]) || head(t, st) != 2 {
		t.Fatalf("the same push again: %+v (head %d), want the refusal of seq 2 again and nothing applied", again, head(t, st))
	}
	// The last two again, with one more: only the new one is applied.
	more, err := g.Push(ctx, dev, append(ops[1:], op(4, "NRN-ATB")))
	if err != nil {
		t.Fatal(err)
	}
	if more.Acked != 4 || more.Held != 2 || more.Accepted != 1 || len(more.Refused) != 1 || head(t, st) != 3 {
		t.Fatalf("two held and one new: %+v (head %d)", more, head(t, st))
	}
	// Another operation under a seq the server holds: a laptop restored
	// from an old backup, refused whole.
	other := op(3, "NRN-ATB")
	other.HLC++
	if _, err := g.Push(ctx, dev, []syncproto.WireOp{other}); err == nil {
		t.Fatal("another operation under seq 3 was taken")
	} else if perr := (*syncproto.Error)(nil); !errors.As(err, &perr) || perr.Code != syncproto.CodeConflictSeq {
		t.Fatalf("another operation under seq 3: %v, want %s", err, syncproto.CodeConflictSeq)
	}
}

// The same change set pushed twice at once (a laptop's sync sent again
// while the first was still being applied, to this process or another):
// both answers acknowledge every operation and report the refusal, and
// each operation is applied once. The store, not a lock of the Ingester,
// decides which push writes.
func TestConcurrentPushesOfOneDevice(t *testing.T) {
	ctx := context.Background()
	var logs strings.Builder
	st, g := newIngester(t, badgerstore.Options{Small: true, MinFree: 1}, &logs)
	raced := 0
	for round := 0; round < 8; round++ {
		dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
		ops := storetest.NewDemoOps(dev.ID).Next(300)
		ops[100].Council = "OSH-NOO" // refused: another council's
		ops[100].Fields["council"] = syncproto.WireChange{V: json.RawMessage(`"OSH-NOO"`)}
		before := head(t, st)
		results := make([]*Result, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// The second push starts with a smaller change set, as a
				// laptop's retry after a cut often does: they overlap.
				results[i], errs[i] = g.Push(ctx, dev, ops[:300-100*i])
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, push %d: %v", round, i, err)
			}
			if r := results[i]; r.Acked < uint64(300-100*i) || len(r.Refused) != 1 || r.Refused[0].Seq != 101 {
				t.Fatalf("round %d, push %d: %+v", round, i, r)
			}
		}
		if n := head(t, st) - before; n != 299 {
			t.Fatalf("round %d: %d operations logged, want 299", round, n)
		}
		if results[0].Accepted+results[1].Accepted < 299 {
			t.Fatalf("round %d: accepted %d and %d, want 299 between them", round, results[0].Accepted, results[1].Accepted)
		}
		raced = strings.Count(logs.String(), "at the same time")
	}
	t.Logf("pushes that found their operations judged by the other: %d", raced)
}

// pushAnswer is what a Push answered.
type pushAnswer struct {
	res *Result
	err error
}

// pushFindingTheGap pushes second (the 300 operations after the first
// change set, which the test has set on its way) in the background and
// returns once it has found the gap, with where its answer will come.
func pushFindingTheGap(t *testing.T, g *Ingester, dev *store.Device, second []syncproto.WireOp) <-chan pushAnswer {
	t.Helper()
	got := make(chan pushAnswer, 1)
	go func() {
		res, err := g.Push(context.Background(), dev, second)
		got <- pushAnswer{res, err}
	}()
	for deadline := time.Now().Add(10 * time.Second); g.gapsFound.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second change set never found the gap")
		}
	}
	return got
}

// bothTaken fails unless the first change set (res, err: 300 operations)
// and then the second, which waited for it, were each taken whole.
func bothTaken(t *testing.T, res *Result, err error, second <-chan pushAnswer) {
	t.Helper()
	if err != nil || res.Acked != 300 {
		t.Fatalf("the first change set: %+v, %v", res, err)
	}
	a := <-second
	if a.err != nil || a.res.Acked != 600 || a.res.Accepted != 300 {
		t.Fatalf("the second change set, after the first: %+v, %v", a.res, a.err)
	}
}

// A pipelined laptop's two change sets can reach their device's turn in
// either order: the second, finding a gap, waits for the first, which is
// on its way in this process, instead of answering CodeGap (which made the
// laptop give up its pipeline for the rest of the sync). A gap with no
// push of the device before it on its way is answered at once.
func TestPipelinedPushesOutOfOrder(t *testing.T) {
	ctx := context.Background()
	_, g := newIngester(t, badgerstore.Options{Small: true, MinFree: 1}, io.Discard)
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	ops := storetest.NewDemoOps(dev.ID).Next(600)
	first, second := ops[:300], ops[300:]

	// The first change set is on its way (decoded, its checks being
	// made) when the second takes the turn.
	onItsWay := g.pushing.arrive(dev.ID)
	got := pushFindingTheGap(t, g, dev, second)
	res, err := g.Push(ctx, dev, first)
	onItsWay()
	bothTaken(t, res, err, got)

	// A real gap: nothing of the device is on its way.
	start := time.Now()
	_, err = g.Push(ctx, dev, storetest.NewDemoOps(dev.ID).Next(1000)[900:])
	if !isGap(err) {
		t.Fatalf("a change set after a gap: %v, want CodeGap", err)
	}
	if waited := time.Since(start); waited > gapWait/2 {
		t.Fatalf("a real gap was answered after %v", waited)
	}
}

// TestArriveBeforeDecoding: a request counted as a push of its device
// when it arrived (Arrive, before its body is read and decoded) is on its
// way for a change set after it that found a gap: that one waits for it
// instead of answering CodeGap. The request's own PushOps, with the
// context Arrive returned, is not counted twice: once both are answered
// and the request has left, a gap with nothing of the device on its way is
// answered at once again.
func TestArriveBeforeDecoding(t *testing.T) {
	ctx := context.Background()
	_, g := newIngester(t, badgerstore.Options{Small: true, MinFree: 1}, io.Discard)
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	ops := storetest.NewDemoOps(dev.ID).Next(600)
	first, second := ops[:300], ops[300:]

	// The first change set's request has arrived; its body is not read yet.
	firstCtx, leave := g.Arrive(ctx, dev.ID)
	got := pushFindingTheGap(t, g, dev, second)
	res, err := g.Push(firstCtx, dev, first)
	bothTaken(t, res, err, got)
	leave()
	g.pushing.mu.Lock()
	_, on := g.pushing.m[dev.ID]
	g.pushing.mu.Unlock()
	if on {
		t.Fatal("the device still has a push on its way after both left")
	}

	// A real gap in a request counted on arrival: nothing else of the
	// device is on its way, and the request does not wait for itself.
	gapCtx, leave := g.Arrive(ctx, dev.ID)
	defer leave()
	start := time.Now()
	_, err = g.Push(gapCtx, dev, storetest.NewDemoOps(dev.ID).Next(1000)[900:])
	if !isGap(err) {
		t.Fatalf("a change set after a gap: %v, want CodeGap", err)
	}
	if waited := time.Since(start); waited > gapWait/2 {
		t.Fatalf("a real gap was answered after %v: the request waited for itself", waited)
	}
}

// TestOverOpBytes: the bound decides as WireSize does, around the limit
// too, whatever the strings escape to.
func TestOverOpBytes(t *testing.T) {
	op := func(value int, name, author string, settles int) *changeset.Op {
		o := &changeset.Op{Device: "dev-1", Seq: 123456, HLC: 117677491360104448, Kind: "appeal", Record: "r1", Council: "NRN-ATB",
			Action: changeset.ActionUpdate, Author: author, Fields: map[string]changeset.Change{}}
		v := append(append([]byte{'"'}, strings.Repeat("ы", value/2)...), '"')
		c := changeset.Change{Value: v, Base: 117677491360104000}
		for i := range settles {
			c.Settles = append(c.Settles, changeset.Version{HLC: hlc.Timestamp(117677491360104000 + i), Device: strings.Repeat("\x01", 36)})
		}
		o.Fields[name] = c
		o.Fields["status"] = changeset.Change{Value: []byte(`"verified"`)}
		return o
	}
	cases := []*changeset.Op{
		op(100, "summary", "bench", 0),
		op(syncproto.MaxOpBytes-400, "summary", "bench", 0),
		op(syncproto.MaxOpBytes-150, "summary", "bench", 0),
		op(syncproto.MaxOpBytes-100, "summary", "bench", 0),
		op(syncproto.MaxOpBytes, "summary", "bench", 0),
		op(syncproto.MaxOpBytes-20000, strings.Repeat("\x00", 128), strings.Repeat("\"", 3000), 64),
		op(syncproto.MaxOpBytes-40000, strings.Repeat("\x00", 128), strings.Repeat("\"", 3000), 64),
	}
	for i, o := range cases {
		if got, want := overOpBytes(o, o.Bound()), syncproto.WireSize(o) > syncproto.MaxOpBytes; got != want {
			t.Errorf("case %d (%d bytes as JSON): over %v, want %v", i, syncproto.WireSize(o), got, want)
		}
	}
	if !overOpBytes(cases[4], cases[4].Bound()) || overOpBytes(cases[0], cases[0].Bound()) {
		t.Error("the cases do not cover both sides of the limit")
	}
}

// prejudge's storage encodings are each operation's own, whatever the mix
// of sizes, and a change set of large operations does not hold its
// encodings several times over: they were appended to one buffer for the
// change set, copied into each larger one as it grew, and the slices
// already made kept every smaller one alive (twelve operations of 1 MB
// allocated 66 MB; now about what they take). Op.Bound bounds each
// encoding.
func TestPrejudgeEncodings(t *testing.T) {
	op := func(seq uint64, fields, valueLen int) changeset.Op {
		o := changeset.Op{Device: "dev-1", Seq: seq, HLC: 117677491360104448 + hlc.Timestamp(seq), Kind: domain.KindAppeal, Record: domain.NewID(),
			Council: "NRN-ATB", Action: changeset.ActionCreate, Author: "bench", Fields: map[string]changeset.Change{"council": {Value: json.RawMessage(`"NRN-ATB"`)}}}
		for f := range fields {
			v, _ := json.Marshal(strings.Repeat(string(rune('a'+(int(seq)+f)%26)), valueLen))
			o.Fields[fmt.Sprintf("note_%03d", f)] = changeset.Change{Value: v}
		}
		return o
	}
	dev := &store.Device{ID: "dev-1", Name: "bench", Role: domain.RoleSecretary, Council: "NRN-ATB"}
	g := &Ingester{}
	// Small, 8 KiB and 1 MB operations, mixed: every buffer boundary.
	var ops []changeset.Op
	for i := range 300 {
		switch seq := uint64(i + 1); {
		case i%50 == 7:
			ops = append(ops, op(seq, 4, 250_000))
		case i%3 == 0:
			ops = append(ops, op(seq, 128, 50))
		default:
			ops = append(ops, op(seq, 3, 20))
		}
	}
	for _, trusted := range []bool{true, false} {
		pre := g.prejudge(dev, ops, trusted)
		for i := range pre {
			if pre[i].ref != nil {
				t.Fatalf("operation %d refused: %s", i, pre[i].ref.Message)
			}
			want, err := pre[i].op.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			if bound := pre[i].op.Bound(); len(want) > bound {
				t.Fatalf("operation %d: %d bytes stored, over its bound %d", i, len(want), bound)
			}
			if !bytes.Equal(pre[i].enc, want) || cap(pre[i].enc) != len(pre[i].enc) {
				t.Fatalf("operation %d: its encoding is not its own (%d bytes, cap %d; want %d)", i, len(pre[i].enc), cap(pre[i].enc), len(want))
			}
		}
	}
	large := make([]changeset.Op, 12)
	for i := range large {
		large[i] = op(uint64(i+1), 4, 250_000)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	pre := g.prejudge(dev, large, true)
	runtime.ReadMemStats(&after)
	size := 0
	for i := range pre {
		size += len(pre[i].enc)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes of encodings, %d allocated", size, alloc)
	if alloc > uint64(size)*3/2 {
		t.Errorf("encoding %d MB of operations allocated %d MB", size>>20, alloc>>20)
	}
}

// A change set's log entry is made before the device's turn when every
// operation has its encoding and they are not over maxPreparedEntry; a
// change set of large operations, or one with an operation refused by
// itself, has it made in the turn. Either way its operations are logged.
func TestPrepareEntry(t *testing.T) {
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{Small: true, MinFree: 1}, nil)
	dev := &store.Device{ID: "dev-1", Name: "bench", Role: domain.RoleSecretary, Council: "NRN-ATB"}
	op := func(seq uint64, fields, valueLen int) changeset.Op {
		o := changeset.Op{Device: dev.ID, Seq: seq, HLC: 117677491360104448 + hlc.Timestamp(seq)<<16, Kind: domain.KindAppeal, Record: domain.NewID(),
			Council: "NRN-ATB", Action: changeset.ActionCreate, Author: "bench", Fields: map[string]changeset.Change{"council": {Value: json.RawMessage(`"NRN-ATB"`)}}}
		for f := range fields {
			v, _ := json.Marshal(strings.Repeat("a", valueLen))
			o.Fields[fmt.Sprintf("note_%03d", f)] = changeset.Change{Value: v}
		}
		return o
	}
	small := []changeset.Op{op(1, 1, 20), op(2, 1, 20), op(3, 1, 20)}
	// 3 MB: over maxPreparedEntry.
	large := []changeset.Op{op(4, 4, 250_000), op(5, 4, 250_000), op(6, 4, 250_000)}
	bad := []changeset.Op{op(7, 1, 20), op(8, 1, 20)}
	bad[1].Action = "no such action"
	for _, c := range []struct {
		name     string
		ops      []changeset.Op
		prepared bool
	}{{"small", small, true}, {"large", large, false}, {"one refused by itself", bad, false}} {
		pre := g.prejudge(dev, c.ops, false)
		g.prepareEntry(pre)
		if got := pre[0].entry != nil; got != c.prepared {
			t.Errorf("%s: entry prepared %v, want %v", c.name, got, c.prepared)
		}
		res, err := g.PushOps(ctx, dev, c.ops)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := len(c.ops) - len(res.Refused); res.Accepted != want || len(res.Refused) > 1 {
			t.Fatalf("%s: %d accepted, refused %v", c.name, res.Accepted, res.Refused)
		}
	}
	var seqs []uint64
	if err := st.EachOp(ctx, 0, func(seq uint64, op *changeset.Op) error { seqs = append(seqs, op.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []uint64{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(seqs, want) {
		t.Fatalf("logged %v, want %v", seqs, want)
	}
}
