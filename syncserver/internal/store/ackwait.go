package store

import (
	"context"
	"time"
)

// AckWaiter is an optional extra of a Store, found by type assertion: an
// engine on which several server processes judge pushes (pgstore) waits
// for a device's acknowledgement to reach a sequence number that another
// process is about to commit. A laptop with a backlog keeps two push
// requests in flight, the second sent only once the first is on the wire;
// within one process the second waits for its device's turn (ingest), but
// when it reaches another process it would find a gap, and the laptop
// would go on one request at a time. Waiting changes nothing of what is
// judged: the push is judged afterwards as any other, against what the
// store holds then. An engine of one process (Badger) does not have it.
type AckWaiter interface {
	// WaitAcked returns dev's acknowledgement once it is at least seq,
	// or the last one read when max has passed or ctx ended first.
	WaitAcked(ctx context.Context, dev string, seq uint64, max time.Duration) (uint64, error)
}
