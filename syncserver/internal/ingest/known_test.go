package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// readCounter counts the ReadLogs made through it.
type readCounter struct {
	store.Store
	n atomic.Int64
}

func (c *readCounter) ReadLog(ctx context.Context, fn func(store.LogReader) error) error {
	c.n.Add(1)
	return c.Store.ReadLog(ctx, fn)
}

// countingReads is an Ingester whose store counts its ReadLogs, another
// Ingester on the same store (another process, or the same one before a
// restart), and a council's laptop of neither.
func countingReads(t *testing.T) (g *Ingester, rc *readCounter, other *Ingester, dev *store.Device) {
	t.Helper()
	st, other := newIngester(t, badgerstore.Options{}, nil)
	rc = &readCounter{Store: st}
	g, err := Open(context.Background(), rc, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return g, rc, other, &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
}

// The change sets of a pipelined push that follow each other in one
// process are judged without reading the device's acknowledgement first
// (what the push before left is known); when another process judged
// operations of the device meanwhile, the store's order check catches it
// and the change set is looked at again: a resend is answered as held, a
// change set after the other process's is applied, an impossible clock
// against the last operation known is still refused, and every operation
// is in the log once, in order.
//
// So is a laptop's sync that follows its last one's answer, when no push of
// the device is on its way (the 500 laptops' syncs): what the last push
// left outlives the device's turn (devTurns.left).
func TestPushFollowingTheLastNeedsNoRead(t *testing.T) {
	t.Run("pipelined", func(t *testing.T) { testPushFollowing(t, true) })
	t.Run("one sync after another", func(t *testing.T) { testPushFollowing(t, false) })
}

func testPushFollowing(t *testing.T, pipelined bool) {
	ctx := context.Background()
	g, rc, other, dev := countingReads(t)
	sets := changeSets(dev.ID, 8, 5)
	if pipelined {
		// A push of the device on its way keeps its turn's entry, as the
		// next change set of a pipelined push does.
		leave := g.pushing.arrive(dev.ID)
		defer leave()
	}
	push := func(g *Ingester, i int) *Result {
		t.Helper()
		res, err := g.Push(ctx, dev, sets[i])
		if err != nil {
			t.Fatalf("change set %d: %v", i, err)
		}
		return res
	}
	for i := range 3 {
		if res := push(g, i); res.Acked != uint64(5*(i+1)) || res.Accepted != 5 {
			t.Fatalf("change set %d: %+v, want 5 accepted, acked %d", i, res, 5*(i+1))
		}
	}
	if n := rc.n.Load(); n != 0 {
		t.Fatalf("%d reads of the log for three change sets in a row from seq 1, want none", n)
	}
	// Another process takes change set 3; this one gets it again (the
	// laptop did not hear the answer), then change set 4.
	push(other, 3)
	if res := push(g, 3); res.Acked != 20 || res.Held != 5 || res.Accepted != 0 {
		t.Fatalf("change set 3 again, taken by the other process: %+v, want 5 held, acked 20", res)
	}
	if res := push(g, 4); res.Acked != 25 || res.Accepted != 5 {
		t.Fatalf("change set 4: %+v, want 5 accepted, acked 25", res)
	}
	// Change set 5 goes to the other process, 6 here.
	push(other, 5)
	if res := push(g, 6); res.Acked != 35 || res.Accepted != 5 {
		t.Fatalf("change set 6 after the other process took 5: %+v, want 5 accepted, acked 35", res)
	}
	// A clock that goes back from the last operation judged here.
	n := rc.n.Load()
	sets[7][0].HLC = sets[6][4].HLC
	_, err := g.Push(ctx, dev, sets[7])
	var perr *syncproto.Error
	if !errors.As(err, &perr) || perr.Code != syncproto.CodeClock || perr.Acked != 35 {
		t.Fatalf("a change set dated before the last operation: %v, want CodeClock at 35", err)
	}
	if rc.n.Load() != n {
		t.Fatalf("the change set after one judged here read the log")
	}
	var seqs []uint64
	if err := rc.EachOp(ctx, 0, func(_ uint64, op *changeset.Op) error {
		if op.Device == dev.ID {
			seqs = append(seqs, op.Seq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 35 {
		t.Fatalf("%d operations of the device in the log, want 35", len(seqs))
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("the log holds the device's operations %v, want 1..35 once each in order", seqs)
		}
	}
}

// A device's first change set (from seq 1) is judged without reading its
// acknowledgement first, as following nothing; when another process took
// it already (the laptop did not hear the answer and sent it here), the
// store's order check catches it and it is answered as held, its next
// change set applied.
func TestFirstPushNeedsNoRead(t *testing.T) {
	ctx := context.Background()
	g, rc, other, dev := countingReads(t)
	sets := changeSets(dev.ID, 2, 5)
	if _, err := other.Push(ctx, dev, sets[0]); err != nil {
		t.Fatal(err)
	}
	res, err := g.Push(ctx, dev, sets[0])
	if err != nil || res.Acked != 5 || res.Held != 5 || res.Accepted != 0 {
		t.Fatalf("the first change set again, taken by the other process: %+v, %v; want 5 held, acked 5", res, err)
	}
	if n := rc.n.Load(); n != 1 {
		t.Fatalf("%d reads of the log, want 1 (after the store refused the order)", n)
	}
	if res, err := g.Push(ctx, dev, sets[1]); err != nil || res.Acked != 10 || res.Accepted != 5 {
		t.Fatalf("the second change set: %+v, %v; want 5 accepted, acked 10", res, err)
	}

	fresh := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
	first := changeSets(fresh.ID, 1, 3)[0]
	if res, err := g.Push(ctx, fresh, first); err != nil || res.Acked != 3 || res.Accepted != 3 {
		t.Fatalf("a new device's first change set: %+v, %v; want 3 accepted, acked 3", res, err)
	}
	if n := rc.n.Load(); n != 1 {
		t.Fatalf("a new device's first change set read the log (%d reads in all, want 1)", n)
	}
}

// devTurns.left keeps at most maxLeft devices, the last one left among
// them, and gives a device's back to its next push.
func TestDevTurnsLeftBounded(t *testing.T) {
	var d devTurns
	for i := range maxLeft + 10 {
		id := fmt.Sprintf("dev-%d", i)
		leave := d.arrive(id)
		d.acked(id, uint64(i+1), hlc.Timestamp(1000+i))
		leave()
	}
	if len(d.left) != maxLeft {
		t.Fatalf("%d devices kept, want %d", len(d.left), maxLeft)
	}
	last := fmt.Sprintf("dev-%d", maxLeft+9)
	leave := d.arrive(last)
	defer leave()
	if k := d.judged(last); k.acked != maxLeft+10 || k.last != hlc.Timestamp(1000+maxLeft+9) || k.queued {
		t.Fatalf("the last device's next push is told %+v, want acked %d", k, maxLeft+10)
	}
	if _, ok := d.left[last]; ok {
		t.Fatal("a device on its way is still among those left")
	}
	// A push that left nothing acknowledged leaves nothing.
	leave2 := d.arrive("new")
	leave2()
	if _, ok := d.left["new"]; ok {
		t.Fatal("a device of no acknowledgement is kept")
	}
}
