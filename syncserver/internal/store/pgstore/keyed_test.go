package pgstore

import (
	"context"
	"errors"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// AppendKeyed reads the records it is told of with the log's lock, before
// its function runs, and what it reads is current: a state another
// process wrote just before is there, one no one wrote is known absent
// (and written by a plain insert), and the function's own reads and
// writes go on from there. The state then holds what the function wrote.
func TestAppendKeyedReadsWithTheLock(t *testing.T) {
	ctx := context.Background()
	st, other := twoProcesses(t)
	dev := domain.NewID()
	there, absent := domain.NewID(), domain.NewID()
	mk := statesOf(t, dev)
	if err := other.Append(ctx, func(w store.LogTx) error { return w.PutState(mk(there, 1)) }); err != nil {
		t.Fatal(err)
	}
	keys := []store.RecordKey{{Kind: "appeal", ID: there}, {Kind: "appeal", ID: absent}, {Kind: "appeal", ID: there}}
	err := st.AppendKeyed(ctx, "", keys, func(x store.LogTx) error {
		w := x.(*logTx)
		e, ok := w.states["appeal:"+there]
		if !ok || e.b == nil || e.absent {
			t.Errorf("the state another process wrote, before the function read anything: %+v (read: %v)", e, ok)
		}
		if e, ok := w.states["appeal:"+absent]; !ok || e.b != nil || !e.absent {
			t.Errorf("a state no one wrote, before the function read anything: %+v (read: %v)", e, ok)
		}
		got, err := w.State("appeal", there)
		if err != nil || got == nil || got.ID != there {
			t.Errorf("State of %s: %+v, %v", there, got, err)
		}
		if err := w.PutState(mk(absent, 2)); err != nil {
			return err
		}
		return w.PutState(mk(there, 3))
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, seq := range map[string]uint64{there: 3, absent: 2} {
		s, err := other.State(ctx, "appeal", id)
		if want := mk(id, seq); err != nil || s.ID != id || s.Updated != want.Updated {
			t.Fatalf("%s after the append: %+v, %v; want the state the function wrote, %+v", id, s, err, want)
		}
	}
}

// AppendKeyed reads the acknowledgement of the device it is told of with
// the log's lock, so its function reads none one at a time (500 laptops'
// syncs read one each inside their group, under the lock: BENCHMARKS.md,
// pg3), and what it reads is current: operations another process judged
// just before are seen (the same change set again is out of sequence), and
// a device without any is at 0.
func TestAppendKeyedReadsTheDevice(t *testing.T) {
	ctx := context.Background()
	st, other := twoProcesses(t)
	dev, fresh := domain.NewID(), domain.NewID()
	accept := func(s *Store, dev string, op *changeset.Op) error {
		return s.AppendKeyed(ctx, dev, nil, func(w store.LogTx) error {
			_, err := w.Accept(op, store.Index{Council: "NRN-ATB"})
			return err
		})
	}
	before := st.ackReads.Load()
	if err := accept(other, dev, hintOp(dev, 1)); err != nil {
		t.Fatal(err)
	}
	if err := accept(st, dev, hintOp(dev, 2)); err != nil {
		t.Fatalf("dev/2 after another process judged dev/1: %v", err)
	}
	if err := accept(other, dev, hintOp(dev, 3)); err != nil {
		t.Fatal(err)
	}
	if err := accept(st, dev, hintOp(dev, 3)); !errors.Is(err, store.ErrSequence) {
		t.Fatalf("dev/3 again, after another process judged it: %v, want ErrSequence", err)
	}
	if err := accept(st, fresh, hintOp(fresh, 1)); err != nil {
		t.Fatalf("a device's first operation: %v", err)
	}
	if n := st.ackReads.Load() - before; n != 0 {
		t.Errorf("appends told their device read %d acknowledgements one at a time, want 0", n)
	}
}
