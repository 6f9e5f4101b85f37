package hlc

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Timestamp packs wall-clock milliseconds (high 48 bits) and a logical
// counter (low 16 bits) into one integer, so that comparing two timestamps
// is comparing two numbers, in Go, in Badger keys and on the wire alike.
type Timestamp uint64

const logicalBits = 16
const logicalMask = 1<<logicalBits - 1

// New builds a timestamp from milliseconds since the Unix epoch and a counter.
func New(ms int64, logical uint16) Timestamp {
	if ms < 0 { // a wall clock before 1970 is broken, not a timestamp
		ms = 0
	}
	return Timestamp(uint64(ms)<<logicalBits | uint64(logical))
}

// Millis is the physical part, in milliseconds since the Unix epoch.
func (t Timestamp) Millis() int64 { return int64(uint64(t) >> logicalBits) }

// Logical is the counter part.
func (t Timestamp) Logical() uint16 { return uint16(uint64(t) & logicalMask) }

// Time is the physical part as a time.Time in UTC.
func (t Timestamp) Time() time.Time { return time.UnixMilli(t.Millis()).UTC() }

// String is "millis.logical", readable in logs and stable for tests.
func (t Timestamp) String() string {
	return strconv.FormatInt(t.Millis(), 10) + "." + strconv.Itoa(int(t.Logical()))
}

// Clock issues timestamps that never go backwards and always exceed every
// timestamp it has observed, whatever the wall clock does.
type Clock struct {
	mu   sync.Mutex
	last Timestamp
	now  func() time.Time
	// maxDrift bounds how far a remote timestamp may run ahead of our wall
	// clock before Observe refuses it; a laptop whose clock is set to 2099
	// must not drag every replica's clock with it.
	maxDrift time.Duration
}

// DefaultMaxDrift is how far ahead of local time a remote clock may be.
const DefaultMaxDrift = 24 * time.Hour

// NewClock returns a clock that starts after last (the newest timestamp the
// caller has persisted), reading wall time from now (time.Now if nil).
func NewClock(last Timestamp, now func() time.Time) *Clock {
	if now == nil {
		now = time.Now
	}
	return &Clock{last: last, now: now, maxDrift: DefaultMaxDrift}
}

// Now returns a new timestamp, strictly greater than any returned or observed.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	wall := New(c.now().UnixMilli(), 0)
	if wall > c.last {
		c.last = wall
	} else {
		c.last = c.next(c.last)
	}
	return c.last
}

// next is t plus one logical tick; when the counter is exhausted it borrows a
// millisecond, which keeps timestamps monotonic at any write rate.
func (c *Clock) next(t Timestamp) Timestamp { return t + 1 }

// Observe merges a timestamp seen on a change from another device, so that
// later local changes order after it. It refuses timestamps too far ahead.
func (c *Clock) Observe(t Timestamp) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := c.now().Add(c.maxDrift).UnixMilli()
	if t.Millis() > limit {
		return fmt.Errorf("hlc: remote timestamp %s is more than %s ahead of this computer's clock; check the date and time settings", t.Time().Format(time.RFC3339), c.maxDrift)
	}
	if t > c.last {
		c.last = t
	}
	return nil
}

// Last is the newest timestamp issued or observed; persist it so a restarted
// process does not issue timestamps below it.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}
