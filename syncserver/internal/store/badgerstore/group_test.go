package badgerstore

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var errFail = errors.New("the function fails")

func groupOp(dev string, seq uint64, record, summary string) *changeset.Op {
	return &changeset.Op{Device: dev, Seq: seq, HLC: hlc.Timestamp(117677491360104448 + 1<<16*seq), Kind: "appeal", Record: record, Council: "NRN-ATB",
		Action: changeset.ActionCreate, Author: "a", Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(fmt.Sprintf("%q", summary))}}}
}

func openGroupStore(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), t.TempDir(), Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// holdWriter starts an Append that holds the writer until release is
// called, so that the appends made meanwhile wait and run as one group;
// queued(n) waits until n of them are queued.
func holdWriter(t *testing.T, st *Store, fn func(store.LogTx) error) (release func() error, queued func(n int)) {
	t.Helper()
	// Those queued behind the held function do not join its group.
	st.noJoin.Store(true)
	t.Cleanup(func() { st.noJoin.Store(false) })
	hold, held, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- st.Append(context.Background(), func(w store.LogTx) error {
			close(held)
			<-hold
			return fn(w)
		})
	}()
	<-held
	queued = func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			st.amu.Lock()
			k := len(st.pending)
			st.amu.Unlock()
			if k >= n {
				return
			}
		}
		t.Fatalf("appends did not queue")
	}
	return func() error { close(hold); return <-done }, queued
}

// appendTogether runs fns as Appends queued behind one that holds the
// writer (running held, nil: nothing), so that they commit in one group
// or in the groups after it, and returns their results in fns' order.
func appendTogether(t *testing.T, st *Store, held func(store.LogTx) error, fns ...func(store.LogTx) error) []error {
	t.Helper()
	if held == nil {
		held = func(store.LogTx) error { return nil }
	}
	release, queued := holdWriter(t, st, held)
	results := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = st.Append(context.Background(), fn)
		}()
		queued(i + 1)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	return results
}

// Appends waiting together run in one transaction: a function sees what
// the one before it in its group wrote (two laptops touching one record),
// and one that fails (or panics) there leaves nothing of itself to the
// others, which are committed, or to the log's numbers.
func TestGroupDropsAFailedFunction(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t)
	a, b, c := domain.NewID(), domain.NewID(), domain.NewID()
	ra, rb := domain.NewID(), domain.NewID()
	groups0 := st.groups.Load()
	held := func(w store.LogTx) error {
		_, err := w.Accept(groupOp(a, 1, ra, "a"), store.Index{Council: "NRN-ATB"})
		return err
	}
	fns := []func(w store.LogTx) error{
		func(w store.LogTx) error { // writes everything, then fails
			if _, err := w.Accept(groupOp(b, 1, rb, "b"), store.Index{Council: "NRN-ATB"}); err != nil {
				return err
			}
			var s changeset.State
			s.Apply(groupOp(b, 1, rb, "b"))
			if err := w.PutState(&s); err != nil {
				return err
			}
			if err := w.PutPublicAppeal(&store.PublicAppeal{ID: rb}); err != nil {
				return err
			}
			if err := w.BindCode(sha256.Sum256([]byte("code")), rb); err != nil {
				return err
			}
			if err := w.SetClock(99); err != nil {
				return err
			}
			return errFail
		},
		func(w store.LogTx) error { // panics after a write
			w.SetPublicRule(7)
			panic("boom")
		},
		func(w store.LogTx) error { // writes a record's state
			var s changeset.State
			s.Apply(groupOp(c, 1, ra, "c"))
			if err := w.PutState(&s); err != nil {
				return err
			}
			_, err := w.Accept(groupOp(c, 1, ra, "c"), store.Index{Council: "NRN-ATB"})
			return err
		},
		func(w store.LogTx) error { // sees the group's writes, and nothing of the failed ones
			if n, _ := w.Acked(a); n != 1 {
				return fmt.Errorf("acked %d of the first group's device", n)
			}
			if n, _ := w.Acked(c); n != 1 {
				return fmt.Errorf("acked %d of the function before", n)
			}
			if j, _ := w.Judgement(c, 1); j == nil || j.ServerSeq != 2 {
				return fmt.Errorf("the function before's judgement: %+v", j)
			}
			if s, _ := w.State("appeal", ra); s == nil || string(s.Fields["summary"].Value) != `"c"` {
				return fmt.Errorf("the function before's state is not seen: %+v", s)
			}
			if n, _ := w.Acked(b); n != 0 {
				return fmt.Errorf("acked %d of the failed function's device", n)
			}
			if s, _ := w.State("appeal", rb); s != nil {
				return errors.New("the failed function's state is seen")
			}
			if p, _ := w.PublicAppeal(rb); p != nil {
				return errors.New("the failed function's public appeal is seen")
			}
			if cl, _ := w.Clock(); cl != 0 {
				return fmt.Errorf("clock %d after the failed function", cl)
			}
			if r, _ := w.PublicRule(); r != 0 {
				return fmt.Errorf("rule %d after the panicking function", r)
			}
			if err := w.BindCode(sha256.Sum256([]byte("code")), ra); err != nil {
				return fmt.Errorf("the failed function's code is bound: %w", err)
			}
			seq, err := w.Accept(groupOp(b, 1, rb, "b2"), store.Index{Council: "NRN-ATB"})
			if err == nil && seq != 3 {
				err = fmt.Errorf("numbered %d after the failed function, want 3", seq)
			}
			return err
		},
	}
	results := appendTogether(t, st, held, fns...)
	if !errors.Is(results[0], errFail) || results[1] == nil || !strings.Contains(results[1].Error(), "panicked: boom") || results[2] != nil || results[3] != nil {
		t.Fatalf("results: %v", results)
	}
	if n := st.groups.Load() - groups0; n != 2 {
		t.Fatalf("%d groups for the five appends, want 2 (the held one, and the four that waited for it)", n)
	}
	var seqs []uint64
	var devs []string
	st.EachOp(ctx, 0, func(seq uint64, op *changeset.Op) error {
		seqs, devs = append(seqs, seq), append(devs, op.Device)
		return nil
	})
	if !slices.Equal(seqs, []uint64{1, 2, 3}) || !slices.Equal(devs, []string{a, c, b}) {
		t.Fatalf("the log after the group: %v %v", seqs, devs)
	}
	// One log entry per Append, as if each had committed alone.
	var lasts []uint64
	st.db.View(func(t *badger.Txn) error {
		it := t.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceLogBatch)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			lasts = append(lasts, u64(it.Item().Key()[len(spaceLogBatch):]))
		}
		return nil
	})
	if !slices.Equal(lasts, []uint64{1, 2, 3}) {
		t.Fatalf("the log's entries end at %v, want 1, 2, 3", lasts)
	}
	if _, err := st.State(ctx, "appeal", rb); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the failed function's state was committed: %v", err)
	}
	if s, err := st.State(ctx, "appeal", ra); err != nil || string(s.Fields["summary"].Value) != `"c"` {
		t.Fatalf("the state the group wrote: %+v, %v", s, err)
	}
}

// A function that finds its group's transaction full waits, with those
// after it, for the next group, rather than failing with ErrTxnTooBig:
// only a function alone in its transaction is told it is too large.
func TestGroupFull(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t)
	groups0 := st.groups.Load()
	big := strings.Repeat("x", 100<<10) // under the value threshold: counted whole in the transaction
	put := func(dev string, n int) func(w store.LogTx) error {
		return func(w store.LogTx) error {
			for i := range n {
				var s changeset.State
				s.Apply(groupOp(dev, uint64(i+1), domain.NewID(), big))
				if err := w.PutState(&s); err != nil {
					return err
				}
			}
			return nil
		}
	}
	// Options.Small: a transaction holds about 1.2 MiB.
	fns := []func(w store.LogTx) error{put("A", 5), put("B", 5), put("C", 5), put("D", 20)}
	results := appendTogether(t, st, nil, fns...)
	if results[0] != nil || results[1] != nil || results[2] != nil || !errors.Is(results[3], store.ErrTxnTooBig) {
		t.Fatalf("results: %v", results)
	}
	if n := st.groups.Load() - groups0; n < 3 {
		t.Fatalf("%d groups: the full one did not leave appends to the next", n)
	}
	n := 0
	st.EachState(ctx, "appeal", func(*changeset.State) error { n++; return nil })
	if n != 15 {
		t.Fatalf("%d states committed, want 15", n)
	}
}

// A group takes no more functions once its transaction holds half of
// what Badger takes: the rest wait for the next group, and no function
// runs twice for one that found the transaction full.
func TestGroupStopsHalfFull(t *testing.T) {
	st := openGroupStore(t)
	groups0 := st.groups.Load()
	big := strings.Repeat("x", 100<<10)
	var runs [3]atomic.Int32
	put := func(k, n int) func(w store.LogTx) error {
		return func(w store.LogTx) error {
			runs[k].Add(1)
			for i := range n {
				var s changeset.State
				s.Apply(groupOp(fmt.Sprint("D", k), uint64(i+1), domain.NewID(), big))
				if err := w.PutState(&s); err != nil {
					return err
				}
			}
			return nil
		}
	}
	// Options.Small: a transaction holds about 1.2 MiB; the three together
	// do not fit, the first two fill half of it.
	fns := []func(w store.LogTx) error{put(0, 5), put(1, 2), put(2, 6)}
	results := appendTogether(t, st, nil, fns...)
	for i, err := range results {
		if err != nil || runs[i].Load() != 1 {
			t.Fatalf("function %d: %v, run %d times", i, err, runs[i].Load())
		}
	}
	if n := st.groups.Load() - groups0; n != 3 {
		t.Fatalf("%d groups, want 3 (the held one, the first two, the third)", n)
	}
}

// A panic of the group's own commit (here a bug simulated in what finish
// reads) fails the group's appends with its error rather than leaving
// them, and every Append after them, waiting for a leader that is gone.
func TestGroupPanicPassesTheLead(t *testing.T) {
	st := openGroupStore(t)
	results := appendTogether(t, st, nil,
		func(w store.LogTx) error { return w.SetClock(5) },
		func(w store.LogTx) error { w.(*logTx).cuts = []int{5}; return nil }, // five operations it never accepted
	)
	for _, err := range results {
		if err == nil || !strings.Contains(err.Error(), "panicked") {
			t.Fatalf("an append of the group that panicked: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var c hlc.Timestamp
	if err := st.Append(ctx, func(w store.LogTx) (err error) { c, err = w.Clock(); return err }); err != nil || c != 0 {
		t.Fatalf("the next Append: clock %d, %v", c, err)
	}
}

// An Append whose context ends while it waits for the writer leaves
// without running; the others of its group run.
func TestGroupLeaveWaiting(t *testing.T) {
	st := openGroupStore(t)
	release, queued := holdWriter(t, st, func(store.LogTx) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan bool, 2)
	gone := make(chan error, 1)
	go func() { gone <- st.Append(ctx, func(store.LogTx) error { ran <- true; return nil }) }()
	queued(1)
	stay := make(chan error, 1)
	go func() {
		stay <- st.Append(context.Background(), func(w store.LogTx) error { ran <- false; return w.SetClock(5) })
	}()
	queued(2)
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatalf("the Append whose context ended: %v", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := <-stay; err != nil {
		t.Fatal(err)
	}
	if len(ran) != 1 || <-ran {
		t.Fatal("the Append that left ran")
	}
	// The lead passed on: the writer is free.
	if err := st.Append(context.Background(), func(store.LogTx) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// Many appends at once share transactions, and each is still its own: the
// numbers run without a gap, each device's operations in its order.
func TestGroupsUnderLoad(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t)
	const writers, each = 40, 5
	groups0 := st.groups.Load()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dev := domain.NewID()
			for i := uint64(1); i <= each; i++ {
				err := st.Append(ctx, func(w store.LogTx) error {
					time.Sleep(time.Millisecond) // judging takes time
					_, err := w.Accept(groupOp(dev, i, domain.NewID(), "x"), store.Index{Council: "NRN-ATB"})
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := st.groups.Load() - groups0
	if n >= writers*each {
		t.Fatalf("%d groups for %d appends at once: none shared", n, writers*each)
	}
	t.Logf("%d appends in %d groups", writers*each, n)
	last := map[string]uint64{}
	want := uint64(1)
	err := st.EachOp(ctx, 0, func(seq uint64, op *changeset.Op) error {
		if seq != want || op.Seq != last[op.Device]+1 {
			return fmt.Errorf("entry %d (%s) after %d, the device's last %d", seq, op.ID(), want-1, last[op.Device])
		}
		want, last[op.Device] = want+1, op.Seq
		return nil
	})
	if err != nil || want != writers*each+1 {
		t.Fatalf("the log: %v, %d entries", err, want-1)
	}
}

// The states a function puts and the store keeps for a later window
// (created alone) count against a bound of their own, not against what
// the Badger transaction holds: a function whose kept states and written
// states each fit their bound commits, although together they are more
// than the transaction takes (a spread backlog's change sets were refused
// as too big by smaller memtables when they counted together).
func TestKeptStatesBoundApart(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t) // Options.Small: a transaction ~1.2 MiB, kept states 1.2 MiB
	big := strings.Repeat("x", 100<<10)
	var kept, written []string
	fn := func(w store.LogTx) error {
		seq := uint64(0)
		for range 8 {
			id := domain.NewID()
			written = append(written, id)
			var s changeset.State
			seq++
			s.Apply(groupOp("K", seq, id, big))
			seq++
			up := groupOp("K", seq, id, big+"y")
			up.Action = changeset.ActionUpdate
			s.Apply(up) // created and changed: written with the transaction
			if err := w.PutState(&s); err != nil {
				return err
			}
		}
		for range 8 {
			id := domain.NewID()
			kept = append(kept, id)
			seq++
			var s changeset.State
			s.Apply(groupOp("K", seq, id, big)) // created alone: kept
			if err := w.PutState(&s); err != nil {
				return err
			}
		}
		return nil
	}
	if results := appendTogether(t, st, nil, fn); results[0] != nil {
		t.Fatalf("8 kept and 8 written states of 100 KiB: %v", results[0])
	}
	for _, id := range append(kept, written...) {
		if _, err := st.State(ctx, "appeal", id); err != nil {
			t.Fatalf("state %s: %v", id, err)
		}
	}
}

// An Append queued while a group's functions run joins that group, before
// its commit, instead of waiting for the next one: a pipelined laptop's
// next change set is queued just after a group begins (its states read
// ahead wait for the commit before), and paid a commit of its own.
// Joined, it sees what the functions before it wrote, and both are
// answered after the one commit.
func TestGroupTakesAppendsQueuedWhileItRuns(t *testing.T) {
	ctx := context.Background()
	st := openGroupStore(t)
	groups0 := st.groups.Load()
	running, queued := make(chan struct{}), make(chan struct{})
	var once sync.Once
	first := make(chan error, 1)
	go func() {
		first <- st.Append(ctx, func(w store.LogTx) error {
			once.Do(func() { close(running) })
			<-queued
			return w.SetClock(5)
		})
	}()
	<-running
	second := make(chan error, 1)
	go func() {
		second <- st.AppendQueued(ctx, func(w store.LogTx) error {
			if c, err := w.Clock(); err != nil || c != 5 {
				return fmt.Errorf("clock %d, %v: the function before's write is not seen", c, err)
			}
			return w.SetClock(6)
		}, func() { close(queued) })
	}()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if n := st.groups.Load() - groups0; n != 1 {
		t.Fatalf("%d groups for an append and one queued while it ran, want 1", n)
	}
	var c hlc.Timestamp
	if err := st.Append(ctx, func(w store.LogTx) (err error) { c, err = w.Clock(); return err }); err != nil || c != 6 {
		t.Fatalf("clock %d after the group, %v", c, err)
	}
}
