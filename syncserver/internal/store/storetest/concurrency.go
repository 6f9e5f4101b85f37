package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Sizes of the concurrent cases: enough to interleave, quick under -race.
const (
	changeSets = 25 // per writer
	perSet     = 8  // operations per change set
)

// writer appends its device's operations in change sets, as a push does,
// and returns the sequence numbers it was given.
func writer(st store.Store, dev, council string) ([]uint64, error) {
	var got []uint64
	seq := uint64(0)
	for i := 0; i < changeSets; i++ {
		var ops []*changeset.Op
		for j := 0; j < perSet; j++ {
			seq++
			ops = append(ops, newOp(dev, seq, "appeal", domain.NewID(), council, fmt.Sprint(seq)))
		}
		var seqs []uint64
		err := st.Append(ctx, func(w store.LogTx) error {
			seqs = seqs[:0]
			for _, op := range ops {
				s, err := w.Accept(op, byCouncil(op))
				if err != nil {
					return err
				}
				seqs = append(seqs, s)
			}
			return nil
		})
		if err != nil {
			return got, err
		}
		got = append(got, seqs...)
	}
	return got, nil
}

// Two writers at once: every operation gets its own number, the numbers
// run 1..n without a gap, each writer's come in the order it wrote, and a
// change set's are consecutive (one Append holds the log).
func testTwoWriters(t *testing.T, h *handle) {
	devs := []string{domain.NewID(), domain.NewID()}
	got := make([][]uint64, len(devs))
	errs := make([]error, len(devs))
	var wg sync.WaitGroup
	for i, dev := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = writer(h.st, dev, []string{"NRN-ATB", ""}[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	total := uint64(len(devs) * changeSets * perSet)
	all := append(slices.Clone(got[0]), got[1]...)
	slices.Sort(all)
	for i, s := range all {
		if s != uint64(i+1) {
			t.Fatalf("sequence numbers given: %v; want 1..%d, each once", all, total)
		}
	}
	for i, seqs := range got {
		if !slices.IsSorted(seqs) {
			t.Fatalf("writer %d was given %v, not in the order it wrote", i, seqs)
		}
		for k := 0; k < len(seqs); k += perSet {
			if seqs[k+perSet-1]-seqs[k] != perSet-1 {
				t.Fatalf("writer %d's change set %d was given %v: another Append ran inside it", i, k/perSet, seqs[k:k+perSet])
			}
		}
	}
	if n := head(t, h.st); n != total {
		t.Fatalf("head %d, want %d", n, total)
	}
	seqs, ops := logged(t, h.st)
	if uint64(len(seqs)) != total {
		t.Fatalf("the log holds %d operations, want %d", len(seqs), total)
	}
	last := map[string]uint64{}
	for _, op := range ops {
		if op.Seq != last[op.Device]+1 {
			t.Fatalf("%s follows %s/%d in the log", op.ID(), op.Device, last[op.Device])
		}
		last[op.Device] = op.Seq
	}
	for _, dev := range devs {
		if a := acked(t, h.st, dev); a != changeSets*perSet {
			t.Fatalf("acked %d, want %d", a, changeSets*perSet)
		}
	}
}

// Two writers of one device's change sets at once (a laptop's sync sent
// twice, reaching two requests or two server processes): each change set
// is written by one of them, the other is told ErrSequence, and the log
// holds every operation once.
func testTwoWritersOneDevice(t *testing.T, h *handle) {
	dev := domain.NewID()
	var sets [][]*changeset.Op
	seq := uint64(0)
	for i := 0; i < changeSets; i++ {
		var ops []*changeset.Op
		for j := 0; j < perSet; j++ {
			seq++
			ops = append(ops, newOp(dev, seq, "appeal", domain.NewID(), "NRN-ATB", fmt.Sprint(seq)))
		}
		sets = append(sets, ops)
	}
	var mu sync.Mutex
	won := make([]int, len(sets))
	var wg sync.WaitGroup
	var failed error
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, ops := range sets {
				err := h.st.Append(ctx, func(w store.LogTx) error {
					for _, op := range ops {
						if _, err := w.Accept(op, store.Index{Council: "NRN-ATB"}); err != nil {
							return err
						}
					}
					return nil
				})
				mu.Lock()
				switch {
				case err == nil:
					won[i]++
				case !errors.Is(err, store.ErrSequence):
					failed = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
	for i, n := range won {
		if n != 1 {
			t.Fatalf("change set %d was written %d times", i, n)
		}
	}
	_, ops := logged(t, h.st)
	if len(ops) != int(seq) {
		t.Fatalf("the log holds %d operations, want %d", len(ops), seq)
	}
	for i, op := range ops {
		if op.Seq != uint64(i+1) {
			t.Fatalf("log entry %d is %s", i+1, op.ID())
		}
	}
}

// A reader pulling page after page while two writers append: it sees
// every operation its scope may see, once, in server order, although
// pages are read between commits. A cursor that passed a number still to
// be committed would lose that operation for ever.
func testReaderDuringWrites(t *testing.T, h *handle) {
	devs := []string{domain.NewID(), domain.NewID()}
	councils := []string{"NRN-ATB", "OSH-ARA"}
	scopes := []store.Scope{{All: true}, {Council: "NRN-ATB", Global: true}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, len(devs))
	for i, dev := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = writer(h.st, dev, councils[i])
		}()
	}
	type seen struct {
		ids   []string
		pages int
		err   error
	}
	results := make([]seen, len(scopes))
	var rg sync.WaitGroup
	for i, scope := range scopes {
		rg.Add(1)
		go func() {
			defer rg.Done()
			r := &results[i]
			cursor := uint64(0)
			for {
				finished := false
				select {
				case <-done:
					finished = true
				default:
				}
				p, err := h.st.Pull(ctx, scope, "", cursor, store.PullLimits{MaxBytes: 1 << 20, MaxOps: 7})
				if err != nil {
					r.err = err
					return
				}
				if p.Cursor < cursor || p.Head < p.Cursor {
					r.err = fmt.Errorf("cursor %d, then page cursor %d with head %d", cursor, p.Cursor, p.Head)
					return
				}
				r.pages++
				r.ids = append(r.ids, ids(p.Ops)...)
				cursor = p.Cursor
				if finished && !p.More {
					return // the writers were done before this page was read
				}
				if !p.More {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	_, ops := logged(t, h.st)
	for i, scope := range scopes {
		if results[i].err != nil {
			t.Fatalf("%+v: %v", scope, results[i].err)
		}
		var want []string
		for _, op := range ops {
			if scope.All || op.Council == scope.Council {
				want = append(want, op.ID())
			}
		}
		if !slices.Equal(results[i].ids, want) {
			t.Fatalf("%+v: the reader saw %d operations in %d pages, the log holds %d it may see: missed, doubled or out of order",
				scope, len(results[i].ids), results[i].pages, len(want))
		}
	}
}

// Everything is still there after a restart, and the log goes on from
// where it was.
func testDurable(t *testing.T, h *handle) {
	if h.s.Reopen == nil {
		t.Skip("the engine gave no Reopen")
	}
	st := h.st
	id, err := st.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := &store.Device{ID: domain.NewID(), Name: "n", Role: "secretary", Council: "NRN-ATB", Enrolled: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}
	putDevice(t, st, d, "tok")
	if err := st.Update(ctx, func(x store.DirTx) error { return x.PutCode(sum("c"), &store.Code{Role: "central", Name: "n"}) }); err != nil {
		t.Fatal(err)
	}
	w := newPullWorld(t, st)
	rec := w.ops[0]
	var state changeset.State
	state.Apply(rec)
	err = st.Append(ctx, func(x store.LogTx) error {
		if err := x.PutState(&state); err != nil {
			return err
		}
		if err := x.PutConflict(changeset.Conflict{Kind: rec.Kind, Record: rec.Record, Field: "summary"}); err != nil {
			return err
		}
		if err := x.Refuse(store.Refusal{Device: d.ID, Seq: 1, Kind: "appeal", Record: "r", Code: "forbidden", Message: "m"}); err != nil {
			return err
		}
		return x.SetClock(base + 9)
	})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := logged(t, st)

	h.reopen()
	st = h.st
	if again, err := st.Identity(ctx); err != nil || again != id {
		t.Fatalf("identity after a restart: %+v, %v", again, err)
	}
	if got, err := st.DeviceByToken(ctx, sum("tok")); err != nil || got.ID != d.ID {
		t.Fatalf("device after a restart: %+v, %v", got, err)
	}
	after, _ := logged(t, st)
	if !slices.Equal(before, after) || head(t, st) != 7 {
		t.Fatalf("log after a restart: %v, was %v", after, before)
	}
	if got, err := st.State(ctx, rec.Kind, rec.Record); err != nil || !bytes.Equal(got.Fields["summary"].Value, rec.Fields["summary"].Value) {
		t.Fatalf("state after a restart: %+v, %v", got, err)
	}
	n := 0
	st.Conflicts(ctx, func(changeset.Conflict) error { n++; return nil })
	st.Refusals(ctx, d.ID, func(store.Refusal) error { n++; return nil })
	if n != 2 || acked(t, st, w.a) != 3 || acked(t, st, d.ID) != 1 {
		t.Fatalf("after a restart: %d conflicts and refusals, acked %d and %d", n, acked(t, st, w.a), acked(t, st, d.ID))
	}
	err = st.Append(ctx, func(x store.LogTx) error {
		if c, err := x.Clock(); err != nil || c != base+9 {
			t.Errorf("clock after a restart: %v, %v", c, err)
		}
		seq, err := x.Accept(newOp(w.a, 4, "appeal", domain.NewID(), "NRN-ATB", "a4"), store.Index{Council: "NRN-ATB"})
		if err == nil && seq != 8 {
			t.Errorf("the next operation after a restart got %d, want 8", seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A backup restores to a store that holds the same.
func testBackup(t *testing.T, h *handle) {
	b, ok := h.st.(store.Backuper)
	if !ok || h.s.Restore == nil {
		t.Skip("the engine backs up with other tools")
	}
	w := newPullWorld(t, h.st)
	putDevice(t, h.st, &store.Device{ID: domain.NewID(), Name: "n", Role: "central"}, "tok")
	id, err := h.st.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	// Written after the backup: not in it.
	accept(t, h.st, byCouncil, newOp(w.a, 4, "appeal", domain.NewID(), "NRN-ATB", "later"))
	r := h.s.Restore(t, &buf)
	defer r.Close()
	seqs, ops := logged(t, r)
	if len(seqs) != 7 || head(t, r) != 7 {
		t.Fatalf("the restored log: %v, head %d", seqs, head(t, r))
	}
	for i := range ops {
		sameOp(t, "restored", ops[i], w.ops[i])
	}
	if got, err := r.Identity(ctx); err != nil || got != id {
		t.Fatalf("restored identity %+v, %v", got, err)
	}
	if got, err := r.DeviceByToken(ctx, sum("tok")); err != nil || got.Name != "n" {
		t.Fatalf("restored device: %+v, %v", got, err)
	}
}
