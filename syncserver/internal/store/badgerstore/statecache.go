package badgerstore

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// The states the log's appends rewrote, kept in memory (their storage
// encoding) for the next append that reads them. Judging an operation
// reads its record's state; when a laptop's backlog spreads each record's
// operations over the push (a record's next operation some thousands of
// operations later), that state is no longer in a memtable, and each read
// seeked a table, decompressed and decrypted a block: a third of the
// server's CPU in a spread push (BENCHMARKS.md, issue 15, spread3).
//
// Appends use it (logTx.State), and Store.State; it holds only the states
// appends wrote: record states are written nowhere else (logTx.PutState,
// in an Append), Badger locks the directory to this process, and appends
// run one group at a time, each committed before the next begins
// (group.go). So an entry is the state as the last committed append left
// it. A state an append puts replaces its entry only once that append has
// committed: a group that fails or is run again leaves nothing stale, and
// an append reads a state it put from what it put, never from the cache
// (logTx.put).
// A state an append rewrote (read, then put) is not written to Badger
// with its commit but kept here as dirty until a window of states is
// written (dirty.go): a dirty entry is the only copy of that state in
// memory, never forgotten before it is written, and the log holds what
// it came from. Without a clean entry the state is read from Badger.
//
// It keeps a state when the append that wrote it had read it (the record
// existed): a record written again is the pattern worth keeping. Of a
// record created, it keeps (dirty, not in Badger yet) only a state that
// holds its creation alone (createdAlone): a spread backlog's records,
// created in one change set and changed thousands of operations later.
// A record created with its later operations (an ordinary push creates
// its records, each in one change set with its steps) is rarely read
// again soon: it is written with its commit and not kept, and keeping it
// would only take memory and the time to copy it. A created state that
// nothing rewrote is written and forgotten once it is maxCreatedAge
// operations old (dirty.go). Beyond its bound it forgets clean states at
// random (Go's map order), which keeps a part of a backlog larger than
// the bound hot, where forgetting the oldest would keep none of one that
// cycles over its records.
type stateCache struct {
	mu    sync.Mutex
	m     map[string][]byte
	size  int // bytes of the keys and values held
	limit int // 0: no cache
	// gens count, for the keys hashed to each, the times one was put
	// (dropped) or kept: a state read from Badger outside the log's turn
	// (StatesAhead) is kept only if its keys' count has not moved since
	// before the read, so no commit came between (admit).
	gens [1 << 16]uint32

	// dirty are the keys whose entry is newer than Badger's state: the
	// states appends put are written to Badger in windows (dirty.go), not
	// with their operations. A dirty entry is never forgotten until it is
	// written; it is kept once written if dirty holds true for it (an
	// append that put it had read it: a rewritten record), forgotten if
	// false (created only). dirtySize is their bytes; head is the log's
	// head as the last commit left it (the entries hold every state up to
	// it); mark is the head the last window written held (metaStates).
	dirty      map[string]bool
	dirtySize  int
	head, mark uint64
	// created are the states kept dirty as created only, oldest first,
	// with the head of the commit that put them: those still created
	// only (dirty false) once the log has gone createdAge operations past
	// them are written early and forgotten (writeCreated). A key
	// rewritten or written since is passed over.
	created    []createdPut
	createdAge uint64 // maxCreatedAge; tests set less
	// groupKept bounds the encodings of the states one group of Appends
	// puts and keeps here for a later window (maxKeptStates; log.go).
	groupKept int64

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
	if c == nil {
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

var genSeed = maphash.MakeSeed()

// gen is the count of key's hash (c.mu held).
func (c *stateCache) gen(key []byte) *uint32 {
	return &c.gens[maphash.Bytes(genSeed, key)%uint64(len(c.gens))]
}

// genOf is gen of a key held as a string (the same hash: maphash.String
// is maphash.Bytes of the string's bytes), without copying it to bytes.
func (c *stateCache) genOf(key string) *uint32 {
	return &c.gens[maphash.String(genSeed, key)%uint64(len(c.gens))]
}

// drop forgets the state under key.
func (c *stateCache) drop(key []byte) {
	if c == nil || c.limit == 0 {
		return
	}
	c.mu.Lock()
	*c.gen(key)++
	if v, ok := c.m[string(key)]; ok {
		c.size -= len(key) + len(v) + entryOverhead
		delete(c.m, string(key))
	}
	c.mu.Unlock()
}

// keep holds a copy of v, the committed encoding of the state under key,
// forgetting others at random if the cache is full.
func (c *stateCache) keep(key string, v []byte) {
	if c == nil || c.limit == 0 {
		return
	}
	n := len(key) + len(v) + entryOverhead
	if n > c.limit/16 {
		// Too large to keep: what the cache held of it (a read ahead
		// may have put one there since PutState dropped it) goes.
		c.drop([]byte(key))
		return
	}
	v = append([]byte(nil), v...)
	c.mu.Lock()
	defer c.mu.Unlock()
	*c.gen([]byte(key))++
	c.put(key, v, n)
}

// put holds v under key (c.mu held).
func (c *stateCache) put(key string, v []byte, n int) {
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	old, had := c.m[key]
	if had {
		c.size -= len(key) + len(old) + entryOverhead
	}
	if c.size+n > c.limit {
		// Only when full: starting a walk of the map for each state
		// kept cost more than the rest of keeping it.
		for k, old := range c.m {
			if c.size+n <= c.limit {
				break
			}
			if _, ok := c.dirty[k]; ok || k == key {
				continue
			}
			c.size -= len(k) + len(old) + entryOverhead
			delete(c.m, k)
		}
	}
	// Replaced in place: a delete and an insert of the same key for each
	// state rewritten left the map's tables to be cleaned and grown again.
	c.m[key] = v
	c.size += n
}

// statePut is a state an append put: its key and its encoding (in the
// group's buffers of states, logTx.states, until the group is done).
type statePut struct {
	key  string
	enc  []byte
	read bool // the append read the state before (it existed)
	// created: not read, and kept dirty as created only (PutState did not
	// write it to Badger: createdAlone).
	created bool
}

// keepPuts keeps the states a committed append put and had read before,
// or created and did not write (see above), in the order they were put
// (of a state put twice, by two appends of a group, the last is what the
// commit holds), as dirty: Badger does not hold them yet (PutState). Each
// is marked to be kept once written if it was read before it was put, or
// if it was already so marked (rewritten since the window before). A
// state put without being read and not kept was written to Badger with
// the commit: what the cache held of it goes.
func (c *stateCache) keepPuts(w *logTx) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirty == nil {
		c.dirty = map[string]bool{}
	}
	for _, p := range w.statePuts {
		*c.genOf(p.key)++
		old, had := c.m[p.key]
		wasRewritten, wasDirty := c.dirty[p.key]
		if wasDirty {
			c.dirtySize -= len(p.key) + len(old) + entryOverhead
		}
		if !p.read && !p.created {
			if had {
				c.size -= len(p.key) + len(old) + entryOverhead
				delete(c.m, p.key)
			}
			if wasDirty {
				delete(c.dirty, p.key)
			}
			continue
		}
		n := len(p.key) + len(p.enc) + entryOverhead
		c.put(p.key, append([]byte(nil), p.enc...), n)
		rewritten := p.read || wasRewritten
		c.dirty[p.key] = rewritten
		c.dirtySize += n
		if !rewritten {
			c.created = append(c.created, createdPut{p.key, w.head})
		}
	}
	c.head = w.head
}

// forget drops the dirty entry under key, of an encoding of n bytes,
// once Badger holds it (c.mu held): a state kept as created only.
func (c *stateCache) forget(key string, n int) {
	*c.genOf(key)++
	n += len(key) + entryOverhead
	delete(c.m, key)
	delete(c.dirty, key)
	c.size -= n
	c.dirtySize -= n
}

// createdPut is a state kept dirty as created only (stateCache.created).
type createdPut struct {
	key  string
	head uint64
}

// forgetPuts moves the counts of the states a failed append put: what
// the cache holds of them is still what the last commit left.
func (c *stateCache) forgetPuts(w *logTx) {
	if c == nil {
		return
	}
	for _, p := range w.statePuts {
		c.touch([]byte(p.key))
	}
}

// touch moves key's count: a state read from Badger before is not kept.
func (c *stateCache) touch(key []byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	*c.gen(key)++
	c.mu.Unlock()
}

// lookup is get of key, with key's count (gens) as it was then.
func (c *stateCache) lookup(key []byte) ([]byte, uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[string(key)], *c.gen(key)
}

// admit holds v, read from Badger after lookup gave gen, unless the cache
// holds key already or key's count moved since (a commit may have come
// between: v may be older than it). It returns the bytes held, or nil.
func (c *stateCache) admit(key []byte, v []byte, gen uint32) []byte {
	n := len(key) + len(v) + entryOverhead
	if n > c.limit/16 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if *c.gen(key) != gen || c.m[string(key)] != nil {
		return nil
	}
	c.put(string(key), v, n)
	return v
}

// unmoved says whether key's count is still gen: no append put a state
// under key since gen was read.
func (c *stateCache) unmoved(key []byte, gen uint32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.gen(key) == gen
}

// holds says whether the cache holds src itself under key: the state src
// encodes is what the last commit left.
func (c *stateCache) holds(key []byte, src []byte) bool {
	c.mu.Lock()
	cur := c.m[string(key)]
	c.mu.Unlock()
	return len(cur) > 0 && len(cur) == len(src) && &cur[0] == &src[0]
}

var (
	_ store.StatesAhead   = (*Store)(nil)
	_ store.AheadReader   = (*logTx)(nil)
	_ store.EncodedStates = (*logTx)(nil)
)

// ahead is what StatesAhead read: by state key, the cached bytes of the
// state, or that Badger held none. They are decoded only when an append
// takes one (StateAhead; EncodedStateAhead gives them as they are).
type ahead struct {
	m map[string]aheadState
}

type aheadState struct {
	src []byte // nil: Badger held no state under the key
	gen uint32 // with src nil: the key's count (stateCache.gens) before Badger was read
}

// StatesAhead implements store.StatesAhead: the states of records the
// cache holds, and those it does not, read from Badger and kept in it
// (they are about to be rewritten). A state is given to an append
// (logTx.StateAhead, EncodedStateAhead) only while the cache still holds
// the very bytes read here: any put of it since dropped them (PutState),
// and keeping it again made new ones.
func (s *Store) StatesAhead(ctx context.Context, records []store.RecordKey) store.Ahead {
	c := &s.states
	if c.limit == 0 || ctx.Err() != nil {
		return nil
	}
	a := &ahead{m: make(map[string]aheadState, len(records))}
	type miss struct {
		key []byte
		gen uint32
	}
	var misses []miss
	for _, r := range records {
		if !validPart(r.Kind) || !validPart(r.ID) {
			continue
		}
		key := stateKey(r.Kind, r.ID)
		if _, ok := a.m[string(key)]; ok {
			continue
		}
		src, gen := c.lookup(key)
		if src == nil {
			misses = append(misses, miss{key, gen})
			continue
		}
		a.m[string(key)] = aheadState{src: src} // decoded when taken (StateAhead), if at all
	}
	if len(misses) > 0 {
		// What is not read here is read in the Append.
		_ = s.db.View(func(t *badger.Txn) error {
			for _, m := range misses {
				item, err := t.Get(m.key)
				if errors.Is(err, badger.ErrKeyNotFound) {
					// A new record, as most of an ordinary push's are:
					// not looked for in Badger again in the Append
					// while no put of it came since (StateAhead).
					a.m[string(m.key)] = aheadState{gen: m.gen}
					continue
				}
				if err != nil {
					return err
				}
				v, err := item.ValueCopy(nil)
				if err != nil {
					return err
				}
				src := c.admit(m.key, v, m.gen)
				if src == nil {
					continue
				}
				a.m[string(m.key)] = aheadState{src: src}
			}
			return nil
		})
	}
	return a
}

// StateAhead implements store.AheadReader.
func (w *logTx) StateAhead(a store.Ahead, kind, id string) (*changeset.State, error) {
	if a, ok := a.(*ahead); ok && a != nil && validPart(kind) && validPart(id) {
		key := stateKey(kind, id)
		if e, ok := a.m[string(key)]; ok {
			delete(a.m, string(key)) // given once
			_, put := w.put[string(key)]
			if e.src == nil && !put && w.cache.unmoved(key, e.gen) {
				// No state then, and none put since: every put of a
				// state moves its key's count, in PutState and again
				// once its append committed or failed (keepPuts,
				// forgetPuts), before the next group begins.
				w.cache.hits.Add(1)
				return nil, nil
			}
			if e.src != nil && !put && w.cache.holds(key, e.src) {
				st, err := changeset.DecodeState(e.src)
				if err != nil {
					return nil, err
				}
				w.cache.hits.Add(1)
				w.foundState(key)
				return st, nil
			}
		}
	}
	return w.State(kind, id)
}

// EncodedStateAhead implements store.EncodedStates: the encoding
// StatesAhead read, given as StateAhead gives its decoding (the cache
// still holds those very bytes, and this transaction put none); false
// leaves it for StateAhead.
func (w *logTx) EncodedStateAhead(a store.Ahead, kind, id string) ([]byte, bool) {
	ah, ok := a.(*ahead)
	if !ok || ah == nil || !validPart(kind) || !validPart(id) {
		return nil, false
	}
	key := stateKey(kind, id)
	e, ok := ah.m[string(key)]
	if !ok || e.src == nil {
		return nil, false
	}
	if _, put := w.put[string(key)]; put || !w.cache.holds(key, e.src) {
		return nil, false
	}
	delete(ah.m, string(key))
	w.cache.hits.Add(1)
	w.foundState(key)
	return e.src, true
}
