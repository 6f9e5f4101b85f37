package pgstore

import (
	"context"
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// A ReadLog that reads once begins no transaction; one that reads twice
// does, and what it reads is of one snapshot: an acknowledgement moved by
// another process between its first two reads makes its function run
// again (readSnapshot), where both reads agree.
func TestReadLogSnapshot(t *testing.T) {
	ctx := context.Background()
	st, other := twoProcesses(t)
	dev := domain.NewID()
	accept := func(seq uint64) {
		t.Helper()
		err := other.Append(ctx, func(w store.LogTx) error {
			_, err := w.Accept(testOp(dev, seq, domain.NewID()), store.Index{Council: "NRN-ATB"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	acked := func(x store.LogReader) uint64 {
		t.Helper()
		n, err := x.Acked(dev)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Once: no transaction, the answer current (none, then one).
	for want := uint64(0); want <= 1; want++ {
		var got uint64
		if err := st.ReadLog(ctx, func(x store.LogReader) error { got = acked(x); return nil }); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("acked %d, want %d", got, want)
		}
		if n := st.readSnapshots.Load(); n != 0 {
			t.Fatalf("a ReadLog of one read began %d transactions", n)
		}
		accept(want + 1)
	}

	// Twice, nothing written between: one snapshot, no second run.
	err := st.ReadLog(ctx, func(x store.LogReader) error {
		if a, b := acked(x), acked(x); a != 2 || b != 2 {
			t.Errorf("acked %d then %d, want 2", a, b)
		}
		j, err := x.Judgement(dev, 2)
		if err != nil || j == nil || j.ServerSeq != 2 {
			t.Errorf("judgement of seq 2: %+v, %v", j, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, again := st.readSnapshots.Load(), st.readAgain.Load(); n != 1 || again != 0 {
		t.Fatalf("%d transactions, %d runs again; want 1, 0", n, again)
	}

	// Twice, another process's push between: the function runs again,
	// and in each run its reads agree.
	runs := 0
	err = st.ReadLog(ctx, func(x store.LogReader) error {
		runs++
		a, err := x.Acked(dev)
		if err != nil {
			return err
		}
		if runs == 1 {
			accept(3)
		}
		b, err := x.Acked(dev)
		if err != nil {
			return err
		}
		if a != b || (runs > 1 && a != 3) {
			t.Errorf("run %d: acked %d then %d in one ReadLog", runs, a, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 || st.readAgain.Load() != 1 {
		t.Fatalf("%d runs, %d again; want 2, 1", runs, st.readAgain.Load())
	}

	// A function's error is returned, its transaction rolled back.
	err = st.ReadLog(ctx, func(x store.LogReader) error {
		acked(x)
		acked(x)
		return errReadAgain // any error of its own
	})
	if err != errReadAgain {
		t.Fatalf("ReadLog returned %v, want the function's error", err)
	}
	if n := st.pool.Stat().TotalConns(); n < 1 {
		t.Fatalf("%d connections", n)
	}
}
