package middleware

import (
	"context"
	"sync/atomic"
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
	held atomic.Int64 // bytes reserved now, for the metrics
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
	b.held.Add(n)
	return func() { b.held.Add(-n); b.sem.Release(n) }, true
}

// Size is the budget's bytes.
func (b *Budget) Size() int64 { return b.size }

// Held is the bytes reserved now (never more than Size).
func (b *Budget) Held() int64 { return b.held.Load() }

// Held is a share of a budget taken by Hold, which can grow once the
// request knows what it needs.
type Held struct {
	b *Budget
	n int64
}

// Hold reserves n bytes (at most the whole budget), waiting as Take does.
func (b *Budget) Hold(ctx context.Context, n int64) (*Held, bool) {
	n = min(max(n, 1), b.size)
	ctx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, false
	}
	b.held.Add(n)
	return &Held{b: b, n: n}, true
}

// Grow makes the share n bytes (at most the whole budget) if the budget
// has them now, without waiting: a request that waited for more while
// holding its share could leave every request waiting for the others.
// When Grow fails the caller releases its share and Holds the whole n.
func (h *Held) Grow(n int64) bool {
	n = min(n, h.b.size)
	if n <= h.n {
		return true
	}
	if !h.b.sem.TryAcquire(n - h.n) {
		return false
	}
	h.b.held.Add(n - h.n)
	h.n = n
	return true
}

// Release gives back everything held; a second call does nothing.
func (h *Held) Release() {
	if h.n > 0 {
		h.b.held.Add(-h.n)
		h.b.sem.Release(h.n)
		h.n = 0
	}
}
