package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// waiter is a store with store.AckWaiter, as an engine of several
// processes has: it says when a push asks it to wait, and reads the
// acknowledgement once the test says the change set before was pushed.
// Two Ingesters on one store are two processes: each has its own devices'
// turns.
type waiter struct {
	*badgerstore.Store
	asked  chan uint64
	pushed chan struct{}
}

func (w *waiter) WaitAcked(ctx context.Context, dev string, seq uint64, _ time.Duration) (uint64, error) {
	w.asked <- seq
	select {
	case <-w.pushed:
	case <-ctx.Done():
	}
	var n uint64
	err := w.ReadLog(ctx, func(x store.LogReader) (err error) { n, err = x.Acked(dev); return err })
	return n, err
}

// changeSets makes n change sets of per operations each of one device.
func changeSets(dev string, n, per int) [][]syncproto.WireOp {
	var sets [][]syncproto.WireOp
	seq := uint64(0)
	for range n {
		var ops []syncproto.WireOp
		for range per {
			seq++
			ops = append(ops, syncproto.WireOp{Device: dev, Seq: seq, HLC: 117677491360104448 + seq, Kind: domain.KindAppeal,
				Record: domain.NewID(), Council: "NRN-ATB", Action: "create", Author: "test",
				Fields: map[string]syncproto.WireChange{"council": {V: json.RawMessage(`"NRN-ATB"`)}}})
		}
		sets = append(sets, ops)
	}
	return sets
}

// A pipelined push whose second change set reaches another process before
// the first is committed: on a store of several processes the second
// waits for the first's acknowledgement and is judged then, instead of
// being answered with a gap; if the first never comes, it is a gap as
// before, and nothing of it is written.
func TestGapWaitsForTheOtherProcess(t *testing.T) {
	for _, first := range []bool{true, false} {
		ctx := context.Background()
		st, one := newIngester(t, badgerstore.Options{}, nil)
		w := &waiter{Store: st, asked: make(chan uint64, 1), pushed: make(chan struct{})}
		other, err := Open(ctx, w, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		dev := &store.Device{ID: domain.NewID(), Role: domain.RoleSecretary, Council: "NRN-ATB"}
		sets := changeSets(dev.ID, 2, 5)
		type answer struct {
			res *Result
			err error
		}
		second := make(chan answer, 1)
		go func() {
			res, err := other.Push(ctx, dev, sets[1])
			second <- answer{res, err}
		}()
		select {
		case seq := <-w.asked:
			if seq != 5 {
				t.Fatalf("the second change set waited for the acknowledgement to reach %d, want 5", seq)
			}
		case a := <-second:
			t.Fatalf("the second change set was answered without waiting for the first: %+v, %v", a.res, a.err)
		}
		if first {
			if res, err := one.Push(ctx, dev, sets[0]); err != nil || res.Acked != 5 {
				t.Fatalf("the first change set: %+v, %v", res, err)
			}
		}
		close(w.pushed)
		a := <-second
		var acked uint64
		if err := st.ReadLog(ctx, func(x store.LogReader) (err error) { acked, err = x.Acked(dev.ID); return err }); err != nil {
			t.Fatal(err)
		}
		if first {
			if a.err != nil || a.res.Acked != 10 || a.res.Accepted != 5 || acked != 10 {
				t.Fatalf("the second change set, once the first was committed by the other process: %+v, %v (store acked %d); want 5 accepted, acked 10", a.res, a.err, acked)
			}
			continue
		}
		var perr *syncproto.Error
		if !errors.As(a.err, &perr) || perr.Code != syncproto.CodeGap || perr.Acked != 0 || acked != 0 {
			t.Fatalf("the second change set, the first never sent: %+v, %v (store acked %d); want a gap at 0", a.res, a.err, acked)
		}
	}
}
