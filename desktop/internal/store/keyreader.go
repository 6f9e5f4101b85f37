package store

import (
	"bytes"

	"github.com/dgraph-io/badger/v4"
)

// keyReader reads values by key, in one snapshot, through a few
// iterators over a key space (the log, the states) that move forward from
// where the last read left them. Reads mostly come in key order, near
// each other: a record's operations sit side by side in the log (made one
// after another on one laptop, and records replayed in id order, which is
// the order they were made in); an export reads states in id order. Each
// read is then one step of an iterator within a block already decrypted
// and decompressed, where a lookup (txn.Get) reads, decrypts and
// decompresses a block per key, or an iterator's Seek one per level. A
// few iterators, not one: a record's later changes sit far from its first
// operations, and reading them must not lose the place of the stream the
// next record continues.
type keyReader struct {
	txn     *badger.Txn
	prefix  []byte
	cursors []*opCursor
	tick    int
	// arena is a buffer its user reads values into and reuses.
	arena []byte
	// Steps and seeks count how the values were found (tests).
	steps, seeks int
}

type opCursor struct {
	it   *badger.Iterator
	used int // tick of the last read, for choosing the one to move away
}

const (
	// readCursors is how many places in the key space are kept.
	readCursors = 4
	// readMaxSteps is how far an iterator steps forward before a Seek is
	// cheaper: a block holds about ten operations or states, a Seek costs
	// a block in every level of the tree.
	readMaxSteps = 48
)

// newKeyReader reads keys that start with prefix (a key space).
func newKeyReader(txn *badger.Txn, prefix string) *keyReader {
	return &keyReader{txn: txn, prefix: []byte(prefix)}
}

// get returns a copy of the value at key (which starts with the reader's
// prefix), or badger.ErrKeyNotFound.
func (r *keyReader) get(key []byte) ([]byte, error) { return r.getAppend(nil, key) }

// getAppend is get, the value appended to buf: the value is
// buf[len(buf):] of the slice returned.
func (r *keyReader) getAppend(buf, key []byte) ([]byte, error) {
	r.tick++
	// The iterator standing nearest before key (or on it) steps to it.
	var best *opCursor
	for _, c := range r.cursors {
		if !c.it.Valid() {
			continue
		}
		k := c.it.Item().Key()
		if bytes.Compare(k, key) <= 0 && (best == nil || bytes.Compare(k, best.it.Item().Key()) > 0) {
			best = c
		}
	}
	if best != nil {
		it := best.it
		for n := 0; n <= readMaxSteps && it.Valid(); n++ {
			switch c := bytes.Compare(it.Item().Key(), key); {
			case c == 0:
				best.used = r.tick
				r.steps++
				return appendValue(buf, it.Item())
			case c > 0:
				return nil, badger.ErrKeyNotFound // passed it: not in the log
			}
			it.Next()
		}
	}
	// Else the least recently used one (or a new one) seeks it.
	var c *opCursor
	if len(r.cursors) < readCursors {
		c = &opCursor{it: r.txn.NewIterator(badger.IteratorOptions{Prefix: r.prefix})}
		r.cursors = append(r.cursors, c)
	} else {
		c = r.cursors[0]
		for _, o := range r.cursors[1:] {
			if o.used < c.used {
				c = o
			}
		}
	}
	c.used = r.tick
	r.seeks++
	c.it.Seek(key)
	if !c.it.Valid() || !bytes.Equal(c.it.Item().Key(), key) {
		return nil, badger.ErrKeyNotFound
	}
	return appendValue(buf, c.it.Item())
}

func appendValue(buf []byte, item *badger.Item) ([]byte, error) {
	err := item.Value(func(v []byte) error {
		buf = append(buf, v...)
		return nil
	})
	return buf, err
}

func (r *keyReader) close() {
	for _, c := range r.cursors {
		c.it.Close()
	}
	r.cursors = nil
}
