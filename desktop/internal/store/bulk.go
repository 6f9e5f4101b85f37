package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// CommitBulk writes writes as Commit does, for a bulk load (a new
// laptop's first pull): their keys sorted, in Badger's batched writes
// rather than one transaction, then forced to disk; then, in one durable
// transaction after them, meta. It has no size limit of one transaction.
//
// It is not atomic: a crash part-way can leave some of writes stored and
// meta not. It is for writes that are harmless to make again over what a
// crash left, such as a pulled page whose cursor is in meta (pulled again
// and applied again, it changes nothing).
//
// Why sorted: written in key order, the tables Badger flushes each cover a
// narrow range of keys, and the compactions that merge them into the
// levels below (where a first pull spent half its CPU, BENCHMARKS.md)
// rewrite little beside them; operations, histories, states and index
// rows interleaved, each table overlapped nearly every other.
func (s *Store) CommitBulk(ctx context.Context, writes []Write, meta map[string][]byte) error {
	if err := s.WriteBulk(ctx, writes); err != nil {
		return err
	}
	// Durable (with what WriteBulk wrote before this began) before meta
	// (the cursor) says they are there.
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("save: %w", classify(err))
	}
	return s.Commit(ctx, nil, meta)
}

// WriteBulk writes writes as CommitBulk does, neither forced to disk nor
// followed by meta: part of a bulk load's window written while the rest is
// still being made (records writes a window's operations while it builds
// their records' index rows), durable once a CommitBulk begun after it
// returned has returned. A WriteBulk and a CommitBulk running at once must
// not write the same key: which of them lands last is not known.
func (s *Store) WriteBulk(ctx context.Context, writes []Write) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkSpace(); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	list := bulkList{kvList: make(kvList, 0, bulkEntries(writes)), groups: historyGroups{refs: make([]groupRef, 0, len(writes))}}
	err := s.db.View(func(txn *badger.Txn) error {
		for _, w := range writes {
			if err := putWriteTo(txn, &list, w); err != nil {
				return err
			}
		}
		return list.putGroups()
	})
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, e := range list.sorted() {
		if e.del {
			err = wb.Delete(e.k)
		} else {
			err = wb.Set(e.k, e.v)
		}
		if err != nil {
			return fmt.Errorf("save: %w", classify(err))
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("save: %w", classify(err))
	}
	return nil
}

// bulkEntries is about how many keys putWriteTo gives for writes: an
// operation's, a state's, its index row's and its search text's (the
// history's groups, one a record, are counted with the states; conflicts
// and held operations, rare, are not counted).
func bulkEntries(writes []Write) int {
	n := 0
	for _, w := range writes {
		if w.Op != nil {
			n++
		}
		if w.State != nil {
			n += 3
		}
	}
	return n
}

// bulkList is a bulk load's kvList with the bytes of its keys and values
// in an arena of large chunks: a window's 100,000 keys and values were as
// many allocations and more (each value encoded into a slice grown from
// nothing), an eighth of a new laptop's first pull's allocations
// (BENCHMARKS.md, pull7 helper). Badger's WriteBatch keeps what it is
// given until it is flushed, and the list lives until WriteBulk returns.
type bulkList struct {
	kvList
	arena  []byte
	groups historyGroups // the window's history (history.go)
}

// bulkChunk is the size of an arena chunk: a few hundred operations.
const bulkChunk = 256 << 10

// room returns a slice of length 0 to append a key of n bytes to, or a
// value of about n bytes (more is fine: append then gives it memory of
// its own), kept once keep is given what was appended. A nil list (a
// transaction: Badger keeps what Txn.Set is given until the commit) gives
// memory of its own.
func (l *bulkList) room(n int) []byte {
	if l == nil {
		return make([]byte, 0, n)
	}
	return l.take(n)
}

// valueRoom is room for a value whose size is not known: a nil list gives
// nil to append to.
func (l *bulkList) valueRoom(n int) []byte {
	if l == nil {
		return nil
	}
	return l.take(n)
}

func (l *bulkList) take(n int) []byte {
	if cap(l.arena)-len(l.arena) < n {
		l.arena = make([]byte, 0, max(bulkChunk, n))
	}
	return l.arena[len(l.arena):len(l.arena)]
}

// keep marks b, appended to room's slice, as taken from the arena (unless
// append moved it: it is then memory of its own), and returns it with no
// room to grow into what the arena gives next.
func (l *bulkList) keep(b []byte) []byte {
	if l != nil && len(b) <= cap(l.arena)-len(l.arena) {
		l.arena = l.arena[:len(l.arena)+len(b)]
	}
	return b[:len(b):len(b)]
}

// kvList collects a bulk load's keys in the order putWriteTo gives them.
type kvList []kvEntry

type kvEntry struct {
	k, v []byte
	del  bool
	n    int32 // its place in the list (sorted)
}

func (l *kvList) Set(k, v []byte) error {
	*l = append(*l, kvEntry{k: k, v: v})
	return nil
}

func (l *kvList) Delete(k []byte) error {
	*l = append(*l, kvEntry{k: k, del: true})
	return nil
}

// sorted returns the entries in key order, one per key: of a key set or
// deleted several times, the last, as in a transaction.
//
// The entries are first grouped by their key's first byte (its key space:
// operations, histories, states, rows...) in the order they came, a
// counting sort; a group already in order, as each of a window's spaces
// usually is (one laptop's operations by sequence number, its records'
// ids time-ordered and a record's operations together), is then left as
// it is, and only a group out of order is sorted. Sorting the whole
// window, its spaces interleaved (an operation's key, its history's, the
// next operation's...), was 3-5% of a first pull's CPU (BENCHMARKS.md,
// pull7 and pull8 helpers).
func (l kvList) sorted() kvList {
	if len(l) == 0 {
		return l
	}
	var count [257]int
	for _, e := range l {
		count[firstByte(e.k)+1]++
	}
	for b := 1; b < len(count); b++ {
		count[b] += count[b-1]
	}
	// count[b] is now where the group of first byte b starts.
	start := count
	out := make(kvList, len(l))
	for i, e := range l {
		e.n = int32(i)
		b := firstByte(e.k)
		out[count[b]] = e
		count[b]++
	}
	// Equal keys in the order they came, by their place: a stable sort
	// (insertion sorts and in-place merges of 56-byte entries) took twice
	// as long as this one on a window's 100,000 keys (BenchmarkKVListSorted).
	cmp := func(a, b kvEntry) int {
		if c := bytes.Compare(a.k, b.k); c != 0 {
			return c
		}
		return int(a.n - b.n)
	}
	for b := range 256 {
		if g := out[start[b]:start[b+1]]; !slices.IsSortedFunc(g, cmp) {
			slices.SortFunc(g, cmp)
		}
	}
	kept := out[:0]
	for i, e := range out {
		if i+1 < len(out) && bytes.Equal(e.k, out[i+1].k) {
			continue // a later write of the same key wins
		}
		kept = append(kept, e)
	}
	return kept
}

// firstByte is k's first byte, 0 for an empty key (which sorts first).
func firstByte(k []byte) int {
	if len(k) == 0 {
		return 0
	}
	return int(k[0])
}

// Empty reports whether the store holds no record: no state, and no
// operation of any device.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	empty := true
	err := s.db.View(func(txn *badger.Txn) error {
		for _, p := range []string{spaceState, spaceOp} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(p)})
			it.Rewind()
			if it.Valid() {
				empty = false
			}
			it.Close()
		}
		return nil
	})
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		return false, fmt.Errorf("read store: %w", err)
	}
	return empty, nil
}
