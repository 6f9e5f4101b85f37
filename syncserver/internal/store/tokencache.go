package store

import "sync"

// TokenCache keeps the devices laptops' tokens name (by the token's
// SHA-256) for an engine's DeviceByToken, which authenticates every
// request a laptop makes: answered from memory, it costs no read of the
// engine. It is correct only as long as the engine forgets everything
// (Forget) whenever a device or a token may have been written; when that
// is known is the engine's part (badgerstore: its own transactions;
// pgstore: PostgreSQL's notifications, and only while it listens).
//
// A generation makes the read and the keeping safe against a write in
// between: Get says the generation under which a device read now may be
// kept, and Put keeps it only if nothing was forgotten since. So an answer
// read before a write's Forget is never served after it.
//
// Tokens not found are not kept (a flood of made-up tokens does not grow
// it), and past MaxTokenCache devices it starts again. Devices go in and
// out as copies (Device.Clone): a caller's changes never reach the cache.
// The zero value is ready to use; it is safe for concurrent use.
type TokenCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[[32]byte]Device
}

// MaxTokenCache bounds the devices a TokenCache keeps (a few hundred per
// council server).
const MaxTokenCache = 1 << 16

// Get returns a copy of the device kept for sum (nil if none) and the
// generation under which a device read now may be Put.
func (c *TokenCache) Get(sum [32]byte) (*Device, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.m[sum]; ok {
		return d.Clone(), c.gen
	}
	return nil, c.gen
}

// Put keeps a copy of d, read for sum under generation gen, unless
// anything was forgotten since.
func (c *TokenCache) Put(sum [32]byte, gen uint64, d *Device) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= MaxTokenCache {
		c.m = map[[32]byte]Device{}
	}
	c.m[sum] = *d.Clone()
}

// Forget forgets every device kept and moves to the next generation.
func (c *TokenCache) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// Len is how many devices are kept.
func (c *TokenCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
