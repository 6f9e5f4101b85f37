package ingest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/storetest"
)

// A device's pushes take turns: a second waits for the first (or gives up
// with its context), other devices do not wait, and nothing is kept of a
// device once its turns are over.
func TestDeviceTurns(t *testing.T) {
	var d devTurns
	leaveA, leaveB, leaveA2 := d.arrive("a"), d.arrive("b"), d.arrive("a")
	release, err := d.take(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.take(cancelled, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a second push of the same device while the first is judged: %v, want it to wait", err)
	}
	other, err := d.take(context.Background(), "b") // would hang the test if b waited for a
	if err != nil {
		t.Fatal(err)
	}
	other()
	leaveB()
	got := make(chan func(), 1)
	go func() {
		r, err := d.take(context.Background(), "a")
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	release()
	(<-got)()
	leaveA()
	leaveA2()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.m) != 0 {
		t.Fatalf("turns kept after they are over: %v", d.m)
	}
}

// holdWriter runs an Append whose function waits until the returned
// release is called: the Appends queued meanwhile run together after it.
func holdWriter(t *testing.T, st store.Log) (release func()) {
	t.Helper()
	held, free, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- st.Append(context.Background(), func(store.LogTx) error {
			select {
			case <-held:
			default:
				close(held)
			}
			<-free
			return nil
		})
	}()
	<-held
	return func() {
		close(free)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// waitQueued waits until the device's pushes here have queued the Append
// of its operations up to seq (devTurns.queued).
func waitQueued(t *testing.T, g *Ingester, dev string, seq uint64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); g.pushing.judged(dev).acked < seq; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the Append of %s up to %d not queued in 10 s", dev, seq)
		}
	}
}

// A laptop's pipelined change sets do not wait for each other's commit:
// each gives up its device's turn once its Append is queued, so the next
// one is judged in the same group of appends and three change sets commit
// together (queued while the held group runs, they join it), each
// acknowledged in full and only then answered.
func TestPipelinedChangeSetsShareACommit(t *testing.T) {
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{}, nil)
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	gen := storetest.NewDemoOps(dev.ID)
	groups0 := st.AppendGroups()
	release := holdWriter(t, st)
	type answer struct {
		res *Result
		err error
	}
	var answers []chan answer
	var ends []uint64
	for range 3 {
		ops := gen.Next(50)
		end := ops[len(ops)-1].Seq
		a := make(chan answer, 1)
		go func() {
			res, err := g.Push(ctx, dev, ops)
			a <- answer{res, err}
		}()
		waitQueued(t, g, dev.ID, end)
		select {
		case got := <-a:
			t.Fatalf("change set up to %d answered before its commit: %+v, %v", end, got.res, got.err)
		default:
		}
		answers, ends = append(answers, a), append(ends, end)
	}
	release()
	for i, a := range answers {
		got := <-a
		if got.err != nil {
			t.Fatalf("change set %d: %v", i, got.err)
		}
		if got.res.Acked != ends[i] || got.res.Accepted != 50 || len(got.res.Refused) > 0 {
			t.Fatalf("change set %d: acked %d, %d accepted, refused %v; want %d, 50, none", i, got.res.Acked, got.res.Accepted, got.res.Refused, ends[i])
		}
	}
	if n := st.AppendGroups() - groups0; n != 1 {
		t.Fatalf("the three change sets committed in %d groups, want 1 (the held one, which they join)", n)
	}
	var acked uint64
	if err := st.ReadLog(ctx, func(x store.LogReader) (err error) { acked, err = x.Acked(dev.ID); return err }); err != nil {
		t.Fatal(err)
	}
	if acked != ends[2] {
		t.Fatalf("the store holds the device up to %d, want %d", acked, ends[2])
	}
}

// When a change set's queued Append does not run (its laptop went away),
// the change set queued behind it is answered as before this pipelining:
// a gap at what the store holds, nothing of it written; sent again in
// order, both are taken.
func TestPipelinedChangeSetAfterOneThatLeft(t *testing.T) {
	defer func(w time.Duration) { gapWait = w }(gapWait)
	gapWait = 200 * time.Millisecond
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{}, nil)
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	gen := storetest.NewDemoOps(dev.ID)
	first, second := gen.Next(40), gen.Next(40)
	release := holdWriter(t, st)
	gone, leave := context.WithCancel(ctx)
	firstErr := make(chan error, 1)
	go func() {
		_, err := g.Push(gone, dev, first)
		firstErr <- err
	}()
	waitQueued(t, g, dev.ID, first[len(first)-1].Seq)
	secondErr := make(chan error, 1)
	go func() {
		_, err := g.Push(ctx, dev, second)
		secondErr <- err
	}()
	waitQueued(t, g, dev.ID, second[len(second)-1].Seq)
	leave()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("the change set whose laptop went away: %v, want context.Canceled", err)
	}
	release()
	var perr *syncproto.Error
	if err := <-secondErr; !errors.As(err, &perr) || perr.Code != syncproto.CodeGap || perr.Acked != 0 {
		t.Fatalf("the change set behind it: %v, want a gap at 0", err)
	}
	for _, ops := range [][]syncproto.WireOp{first, second} {
		res, err := g.Push(ctx, dev, ops)
		if err != nil {
			t.Fatal(err)
		}
		if res.Acked != ops[len(ops)-1].Seq || res.Accepted != len(ops) {
			t.Fatalf("sent again: acked %d, %d accepted; want %d, %d", res.Acked, res.Accepted, ops[len(ops)-1].Seq, len(ops))
		}
	}
}

// A change set answered without an Append of its own (its first
// operation's clock goes back) while the one before it is queued but not
// committed is not told that one's acknowledgement: when that one never
// commits (its laptop went away), the answer holds only what the store
// holds.
func TestPipelinedChangeSetAnsweredBeforeTheOneBeforeCommits(t *testing.T) {
	defer func(w time.Duration) { gapWait = w }(gapWait)
	gapWait = 200 * time.Millisecond
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{}, nil)
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	gen := storetest.NewDemoOps(dev.ID)
	first, second := gen.Next(40), gen.Next(40)
	second[0].HLC = first[len(first)-1].HLC // not after the laptop's previous change
	release := holdWriter(t, st)
	gone, leave := context.WithCancel(ctx)
	firstErr := make(chan error, 1)
	go func() {
		_, err := g.Push(gone, dev, first)
		firstErr <- err
	}()
	waitQueued(t, g, dev.ID, first[len(first)-1].Seq)
	secondErr := make(chan error, 1)
	go func() {
		_, err := g.Push(ctx, dev, second)
		secondErr <- err
	}()
	time.Sleep(100 * time.Millisecond) // the second judged meanwhile
	leave()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("the change set whose laptop went away: %v, want context.Canceled", err)
	}
	release()
	var perr *syncproto.Error
	if err := <-secondErr; !errors.As(err, &perr) || perr.Acked != 0 {
		t.Fatalf("the change set behind it: %v, want an error acknowledging nothing (the store holds nothing)", err)
	}
}

// A change set that reached its device's turn before the one sent ahead of
// it, and found a gap, waits for that one to queue its Append, not to
// commit: judged on the queued acknowledgement, it queues behind it and
// both commit in one group (here the held one, which they join), each
// answered after that commit.
func TestGapWaitsForTheOneBeforeQueued(t *testing.T) {
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{}, nil)
	dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	gen := storetest.NewDemoOps(dev.ID)
	first, second := gen.Next(40), gen.Next(40)
	groups0 := st.AppendGroups()
	var once sync.Once
	held := holdWriter(t, st)
	release := func() { once.Do(held) }
	defer release()                          // a failure below does not leave the writer held
	firstCtx, leave := g.Arrive(ctx, dev.ID) // its request read, not yet decoded
	defer leave()
	secondErr := make(chan error, 1)
	go func() {
		_, err := g.Push(ctx, dev, second)
		secondErr <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); g.gapsFound.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second change set never found the gap")
		}
	}
	firstErr := make(chan error, 1)
	go func() {
		_, err := g.Push(firstCtx, dev, first)
		firstErr <- err
	}()
	// Both queued behind the held writer, neither committed.
	waitQueued(t, g, dev.ID, second[len(second)-1].Seq)
	release()
	if err := <-firstErr; err != nil {
		t.Fatal(err)
	}
	if err := <-secondErr; err != nil {
		t.Fatal(err)
	}
	if n := st.AppendGroups() - groups0; n != 1 {
		t.Fatalf("the two change sets committed in %d groups, want 1 (the held one, which they join)", n)
	}
}
