package badgerstore

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Pull implements store.Log. A device's scope is read through its own
// indexes: a council's pull never scans another council's operations. The
// snapshot it reads holds every sequence number up to its head (Append
// commits them one writer at a time), so the page's cursor never passes a
// number that could still appear.
func (s *Store) Pull(ctx context.Context, scope store.Scope, exclude string, after uint64, lim store.PullLimits) (*store.Page, error) {
	if lim.MaxOps <= 0 {
		lim.MaxOps = 1000
	}
	if lim.MaxScan <= 0 {
		lim.MaxScan = 100_000
	}
	p := &store.Page{Cursor: after}
	err := s.view(ctx, func(x *txn) error {
		head, err := x.metaUint(metaHead)
		if err != nil {
			return err
		}
		p.Head = head
		if after >= head {
			// Nothing new; a cursor past the head comes from before a
			// restore: point it back at the head so new work is seen.
			p.Cursor = head
			return nil
		}
		var srcs []source
		logs := newLogReader(x.t)
		defer logs.close()
		if scope.All {
			srcs = append(srcs, &logSource{next: after + 1, head: head})
		} else {
			if scope.Global {
				srcs = append(srcs, newIndexSource(x.t, spaceGlobalIx, after))
			}
			if validPart(scope.Council) {
				srcs = append(srcs, newIndexSource(x.t, pullIxPrefix(scope.Council), after))
			}
		}
		defer func() {
			for _, c := range srcs {
				c.close()
			}
		}()
		scanned := 0
		// One decoder for the page: the strings that recur from operation
		// to operation (devices, kinds, councils, authors, field names)
		// are made once, not for every operation of every laptop's pull.
		var dec changeset.OpDecoder
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, seq, err := next(srcs)
			if err != nil {
				return err
			}
			if c == nil {
				p.Cursor = max(p.Cursor, head)
				return nil
			}
			if scanned >= lim.MaxScan {
				p.More = true
				return nil
			}
			scanned++
			// An index names the author: skip our own without reading
			// the operation.
			if author, ok := c.author(); ok && author == exclude {
				p.Cursor = seq
				c.advance()
				continue
			}
			e := s.tail.Get(seq)
			var raw []byte
			if e == nil {
				if raw, err = logs.op(seq); err != nil {
					return err
				}
				op := &changeset.Op{}
				if err := dec.DecodeInto(raw, op); err != nil {
					return fmt.Errorf("log entry %d: %w", seq, err)
				}
				e = s.tail.Keep(seq, head, op, len(raw), &lim)
			}
			op := e.Op
			if op.Device == exclude {
				p.Cursor = seq
				c.advance()
				continue
			}
			var enc []byte
			var size int
			var encErr error
			switch {
			case lim.Encode != nil:
				enc, encErr = lim.Encode(op)
				size = len(enc)
			case lim.Size != nil:
				size = e.SizeOf(&lim)
			default:
				if raw == nil {
					raw, err = logs.op(seq)
					if err != nil {
						return err
					}
				}
				enc, size = raw, len(raw)
			}
			if encErr != nil || lim.MaxOpBytes > 0 && size > lim.MaxOpBytes {
				p.Withheld = append(p.Withheld, op.ID())
				p.Cursor = seq
				c.advance()
				continue
			}
			if len(p.Ops) > 0 && (len(p.Ops) >= lim.MaxOps || p.Bytes+size > lim.MaxBytes) {
				p.More = true
				return nil
			}
			p.Add(op, enc, e, size, &lim)
			p.Cursor = seq
			c.advance()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	return p, nil
}

// logReader finds operations in the log's batches by server seq, keeping
// the batch it read last (a pull reads them in order, mostly from one
// batch after another).
type logReader struct {
	t   *badger.Txn
	it  *badger.Iterator
	cur *batch
}

// newLogReader makes a reader whose iterator is made when first needed:
// a pull of the log's tail finds its operations in the store's Tail.
func newLogReader(t *badger.Txn) *logReader { return &logReader{t: t} }

func (r *logReader) close() {
	if r.it != nil {
		r.it.Close()
	}
}

// op returns the storage encoding of operation seq (the reader's copy).
func (r *logReader) op(seq uint64) ([]byte, error) {
	if r.cur == nil || seq < r.cur.first || seq > r.cur.last {
		r.cur = nil
		if r.it == nil {
			r.it = r.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceLogBatch)})
		}
		r.it.Seek(logBatchKey(seq))
		if !r.it.Valid() {
			return nil, fmt.Errorf("operation %d is not in the log", seq)
		}
		b, err := logBatchOf(r.it.Item())
		if err != nil {
			return nil, err
		}
		r.cur = b
	}
	op := r.cur.item(seq)
	if op == nil {
		return nil, fmt.Errorf("operation %d is not in the log (batch %d-%d)", seq, r.cur.first, r.cur.last)
	}
	return op, nil
}

// source is one sequence-ordered stream of a pull: the log itself, or a
// pull index.
type source interface {
	// peek returns the next seq, or ok false at the end.
	peek() (seq uint64, ok bool, err error)
	// author returns the next operation's author when the source knows it.
	author() (string, bool)
	advance()
	close()
}

// logSource walks every operation from next up to head: the log has no
// gaps, every number up to the head the pull read is in a batch.
type logSource struct {
	next, head uint64
}

func (s *logSource) peek() (uint64, bool, error) { return s.next, s.next <= s.head, nil }
func (s *logSource) author() (string, bool)      { return "", false }
func (s *logSource) advance()                    { s.next++ }
func (s *logSource) close()                      {}

// indexSource walks one pull index's entries after a cursor.
type indexSource struct {
	it      *badger.Iterator
	prefix  []byte
	after   uint64
	entries []ixEntry
	i       int
	done    bool
}

// newIndexSource opens the index at prefix after the cursor after. Its
// entries' values are read as the pull comes to them, not prefetched:
// Badger prefetches each value in a goroutine of its own (Iterator.fill),
// started for each of the first PrefetchSize entries at the seek and each
// entry after, and Item.Value waits for it. With hundreds of laptops
// syncing at once the pull then waited for those goroutines to come up
// through a run queue of hundreds of others, for values that are a few
// bytes in memory (an index entry is the seqs and authors of one group of
// appends: below the value threshold but for the largest pushes' groups).
func newIndexSource(t *badger.Txn, prefix string, after uint64) *indexSource {
	it := t.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
	it.Seek(seqKey(prefix, after+1))
	return &indexSource{it: it, prefix: []byte(prefix), after: after}
}

func (s *indexSource) peek() (uint64, bool, error) {
	for s.i >= len(s.entries) {
		if s.done || !s.it.Valid() {
			s.done = true
			return 0, false, nil
		}
		item := s.it.Item()
		last := u64(item.Key()[len(s.prefix):])
		var err error
		err = item.Value(func(v []byte) error {
			s.entries, err = decodeIndex(last, v, s.entries[:0])
			return err
		})
		if err != nil {
			return 0, false, fmt.Errorf("pull index %s: %w", s.prefix, err)
		}
		s.i = 0
		for s.i < len(s.entries) && s.entries[s.i].seq <= s.after {
			s.i++
		}
		s.it.Next()
	}
	return s.entries[s.i].seq, true, nil
}

func (s *indexSource) author() (string, bool) { return s.entries[s.i].author, true }
func (s *indexSource) advance()               { s.i++ }
func (s *indexSource) close()                 { s.it.Close() }

// next returns the source whose next entry has the lowest seq, and that
// seq, or nil at the end of every source.
func next(srcs []source) (source, uint64, error) {
	var best source
	var bestSeq uint64
	for _, c := range srcs {
		seq, ok, err := c.peek()
		if err != nil {
			return nil, 0, err
		}
		if ok && (best == nil || seq < bestSeq) {
			best, bestSeq = c, seq
		}
	}
	return best, bestSeq, nil
}
