package middleware

import (
	"context"
	"time"

	"golang.org/x/sync/semaphore"
)

// Budget bounds the bytes a kind of work holds across every request at
// once: request bodies being received, or the decoded requests and pull
// pages being worked on. One request is bounded by the protocol's limits;
// many at once (sixty small frames each inflating to 16 MiB, three devices
// within their burst allowance, took the server to 1 GiB) are bounded
// only by this. A request that cannot get its bytes in time is answered
// "busy" and the laptop tries again later: slower, never more memory.
type Budget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
}

// NewBudget returns a budget of size bytes; a request waits at most wait
// for its share.
func NewBudget(size int64, wait time.Duration) *Budget {
	return &Budget{sem: semaphore.NewWeighted(size), size: size, wait: wait}
}

// Take reserves n bytes (at most the whole budget), waiting up to the
// budget's wait in arrival order; ok is false when they did not come in
// time. release gives them back.
func (b *Budget) Take(ctx context.Context, n int64) (release func(), ok bool) {
	n = min(max(n, 1), b.size)
	ctx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, false
	}
	return func() { b.sem.Release(n) }, true
}
