package store

import (
	"bytes"

	"github.com/dgraph-io/badger/v4"
)

// opReader reads operations by key, in one snapshot, through a few
// iterators over the log that move forward from where the last read left
// them. A record's operations mostly sit side by side in the log (made
// one after another on one laptop, and records replayed in id order,
// which is the order they were made in): each is then one step of an
// iterator within a block already decrypted and decompressed, where a
// lookup (txn.Get) reads, decrypts and decompresses a block per
// operation, or an iterator's Seek one per level. A few iterators, not
// one: a record's later changes sit far from its first operations, and
// reading them must not lose the place of the stream the next record
// continues.
type opReader struct {
	txn     *badger.Txn
	cursors []*opCursor
	tick    int
	// Steps and seeks count how the operations were found (tests).
	steps, seeks int
}

type opCursor struct {
	it   *badger.Iterator
	used int // tick of the last read, for choosing the one to move away
}

const (
	// opCursors is how many places in the log are kept.
	opCursors = 4
	// opMaxSteps is how far an iterator steps forward before a Seek is
	// cheaper: a block holds about ten operations, a Seek costs a block
	// in every level of the tree.
	opMaxSteps = 48
)

func newOpReader(txn *badger.Txn) *opReader { return &opReader{txn: txn} }

// get returns a copy of the value of the operation at key, or
// badger.ErrKeyNotFound.
func (r *opReader) get(key []byte) ([]byte, error) {
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
		for n := 0; n <= opMaxSteps && it.Valid(); n++ {
			switch c := bytes.Compare(it.Item().Key(), key); {
			case c == 0:
				best.used = r.tick
				r.steps++
				return it.Item().ValueCopy(nil)
			case c > 0:
				return nil, badger.ErrKeyNotFound // passed it: not in the log
			}
			it.Next()
		}
	}
	// Else the least recently used one (or a new one) seeks it.
	var c *opCursor
	if len(r.cursors) < opCursors {
		c = &opCursor{it: r.txn.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceOp)})}
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
	return c.it.Item().ValueCopy(nil)
}

func (r *opReader) close() {
	for _, c := range r.cursors {
		c.it.Close()
	}
	r.cursors = nil
}
