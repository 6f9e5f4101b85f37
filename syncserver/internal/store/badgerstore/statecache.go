package badgerstore

import (
	"sync"
	"sync/atomic"
)

// The states the log's appends rewrote, kept in memory (their storage
// encoding) for the next append that reads them. Judging an operation
// reads its record's state; when a laptop's backlog spreads each record's
// operations over the push (a record's next operation some thousands of
// operations later), that state is no longer in a memtable, and each read
// seeked a table, decompressed and decrypted a block: a third of the
// server's CPU in a spread push (BENCHMARKS.md, issue 15, spread3).
//
// Only appends use it (logTx.State), and only the states they wrote
// themselves: record states are written nowhere else (logTx.PutState, in
// an Append), Badger locks the directory to this process, and appends run
// one group at a time, each committed before the next begins (group.go).
// So an entry is the state as the last committed append left it, and the
// next group reads what Badger would give it. A state is dropped from the
// cache when an append puts it and kept again only once that append has
// committed: a group that fails or is run again leaves nothing stale.
// Nothing here is needed for correctness: without an entry the state is
// read from Badger.
//
// It keeps a state only when the append that wrote it had read it (the
// record existed): a record written once (an ordinary push creates its
// records, each in one change set) is rarely read again soon, and keeping
// it would only take memory; a record written again is the pattern worth
// keeping. Beyond its bound it forgets states at random (Go's map order),
// which keeps a part of a backlog larger than the bound hot, where
// forgetting the oldest would keep none of one that cycles over its
// records.
type stateCache struct {
	mu    sync.Mutex
	m     map[string][]byte
	size  int // bytes of the keys and values held
	limit int // 0: no cache

	hits, misses atomic.Int64 // for tests and benchmarks
}

// stateCacheBytes bounds the cache of a server's store (Options.Small:
// smallStateCacheBytes). An appeal's state takes about 1.3 KB encoded, so
// this holds a backlog of some 40,000 records being rewritten.
const (
	stateCacheBytes      = 48 << 20
	smallStateCacheBytes = 4 << 20
)

// entryOverhead is what an entry costs beyond its key's and value's bytes
// (the map's slot, the slice and string headers), counted against limit.
const entryOverhead = 64

// get returns the stored encoding of the state under key, or nil. The
// bytes are never changed: a state decoded from them may alias them.
func (c *stateCache) get(key []byte) []byte {
	if c == nil || c.limit == 0 {
		return nil
	}
	c.mu.Lock()
	v := c.m[string(key)]
	c.mu.Unlock()
	if v == nil {
		c.misses.Add(1)
	} else {
		c.hits.Add(1)
	}
	return v
}

// drop forgets the state under key.
func (c *stateCache) drop(key []byte) {
	if c == nil || c.limit == 0 {
		return
	}
	c.mu.Lock()
	if v, ok := c.m[string(key)]; ok {
		c.size -= len(key) + len(v) + entryOverhead
		delete(c.m, string(key))
	}
	c.mu.Unlock()
}

// keep holds a copy of v, the committed encoding of the state under key,
// forgetting others at random if the cache is full.
func (c *stateCache) keep(key string, v []byte) {
	n := len(key) + len(v) + entryOverhead
	if c == nil || c.limit == 0 || n > c.limit/16 {
		return
	}
	v = append([]byte(nil), v...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	if old, ok := c.m[key]; ok {
		c.size -= len(key) + len(old) + entryOverhead
		delete(c.m, key)
	}
	for k, old := range c.m {
		if c.size+n <= c.limit {
			break
		}
		c.size -= len(k) + len(old) + entryOverhead
		delete(c.m, k)
	}
	c.m[key] = v
	c.size += n
}

// statePut is a state an append put: its key and its encoding (in the
// group's buffers of states, logTx.states, until the group is done).
type statePut struct {
	key  string
	enc  []byte
	read bool // the append read the state before (it existed)
}

// keepPuts keeps the states a committed append put and had read before
// (see above), in the order they were put: of a state put twice (by two
// appends of a group) the last is what the commit holds.
func (c *stateCache) keepPuts(w *logTx) {
	if c == nil || c.limit == 0 {
		return
	}
	for _, p := range w.statePuts {
		if p.read {
			c.keep(p.key, p.enc)
		} else {
			c.drop([]byte(p.key))
		}
	}
}
