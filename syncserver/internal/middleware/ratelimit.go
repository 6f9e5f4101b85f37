package middleware

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiters keeps one token bucket per key (a device, or an address for
// enrollment), forgetting keys idle for a while.
type Limiters struct {
	mu      sync.Mutex
	r       rate.Limit
	burst   int
	m       map[string]*limiter
	swept   time.Time
	idleTTL time.Duration
}

type limiter struct {
	l    *rate.Limiter
	last time.Time
}

// NewLimiters returns buckets of perSecond requests with burst; perSecond
// <= 0 means no limit.
func NewLimiters(perSecond float64, burst int) *Limiters {
	if burst < 1 {
		burst = 1
	}
	return &Limiters{r: rate.Limit(perSecond), burst: burst, m: map[string]*limiter{}, idleTTL: 10 * time.Minute}
}

// Allow takes one token for key; when there is none it says how long to wait.
func (ls *Limiters) Allow(key string, now time.Time) (bool, time.Duration) {
	if ls == nil || ls.r <= 0 {
		return true, 0
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if now.Sub(ls.swept) > ls.idleTTL {
		for k, l := range ls.m {
			if now.Sub(l.last) > ls.idleTTL {
				delete(ls.m, k)
			}
		}
		ls.swept = now
	}
	l, ok := ls.m[key]
	if !ok {
		l = &limiter{l: rate.NewLimiter(ls.r, ls.burst)}
		ls.m[key] = l
	}
	l.last = now
	r := l.l.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
