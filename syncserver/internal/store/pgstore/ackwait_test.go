package pgstore

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// WaitAcked returns once another process's append takes the device's
// acknowledgement to what it waits for (here, while it is waiting: it has
// read at least once before the append), says where the acknowledgement
// is when its time runs out or its context ends first, and is at once
// for a device already there.
func TestWaitAcked(t *testing.T) {
	ctx := context.Background()
	st, other := twoProcesses(t)
	dev := domain.NewID()
	accept := func(s *Store, from, to uint64) {
		t.Helper()
		err := s.Append(ctx, func(w store.LogTx) error {
			for seq := from; seq <= to; seq++ {
				if _, err := w.Accept(hintOp(dev, seq), store.Index{Council: "NRN-ATB"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	type result struct {
		n   uint64
		err error
	}
	got := make(chan result, 1)
	reads := st.ackWaits.Load()
	go func() {
		n, err := st.WaitAcked(ctx, dev, 3, time.Hour)
		got <- result{n, err}
	}()
	for st.ackWaits.Load() == reads {
		runtime.Gosched() // until it has read the acknowledgement once (0)
	}
	accept(other, 1, 3)
	if r := <-got; r.err != nil || r.n != 3 {
		t.Fatalf("waiting for 3 while another process appended 1..3: %d, %v", r.n, r.err)
	}

	if n, err := st.WaitAcked(ctx, dev, 2, 0); err != nil || n != 3 {
		t.Fatalf("waiting for 2 at 3: %d, %v", n, err)
	}
	if n, err := st.WaitAcked(ctx, dev, 5, 20*time.Millisecond); err != nil || n != 3 {
		t.Fatalf("waiting for 5 that never comes: %d, %v; want 3 when the time runs out", n, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if n, err := st.WaitAcked(cctx, domain.NewID(), 1, time.Hour); n != 0 {
		t.Fatalf("an ended context, a device never seen: %d, %v", n, err)
	}
}
