package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var _ store.AckWaiter = (*Store)(nil)

// Bounds of WaitAcked's polling: the first pause, and the longest. The
// change set being waited for is judged in tens of milliseconds on an idle
// server (2,000 operations at most), and every millisecond between its
// commit and this read is a millisecond the device's push stands still,
// so the pauses stay short (5 ms, not 50: each change set of a pipelined
// push over several processes waits for the one before it); a read is one
// row of an index, and a wait that goes nowhere (the other request failed)
// reads it some hundreds of times before it gives up.
const (
	ackPollFirst = time.Millisecond
	ackPollMost  = 5 * time.Millisecond
)

// WaitAcked implements store.AckWaiter by reading the device's row of
// acked until it reaches seq: each read is one indexed row, outside any
// transaction, so it sees every commit made before it (an append commits
// its acknowledgement with its operations, group.go).
func (s *Store) WaitAcked(ctx context.Context, dev string, seq uint64, max time.Duration) (uint64, error) {
	if !validPart(dev) {
		return 0, nil
	}
	deadline := time.Now().Add(max)
	pause := ackPollFirst
	for {
		var n int64
		err := s.pool.QueryRow(ctx, `SELECT seq FROM acked WHERE device = $1`, dev).Scan(&n)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("acknowledgement of %s: %w", dev, err)
		}
		s.ackWaits.Add(1)
		left := time.Until(deadline)
		if u64(n) >= seq || left <= 0 {
			return u64(n), nil
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return u64(n), nil
		case <-t.C:
		}
		pause = min(2*pause, ackPollMost)
	}
}
