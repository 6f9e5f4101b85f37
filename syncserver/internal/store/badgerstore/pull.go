package badgerstore

import (
	"bytes"
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
		var srcs []*cursor
		if scope.All {
			srcs = append(srcs, newCursor(x.t, spaceLog, after, false))
		} else {
			if scope.Global {
				srcs = append(srcs, newCursor(x.t, spaceGlobal, after, true))
			}
			if validPart(scope.Council) {
				srcs = append(srcs, newCursor(x.t, pullPrefix(scope.Council), after, true))
			}
		}
		defer func() {
			for _, c := range srcs {
				c.it.Close()
			}
		}()
		scanned := 0
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			c := next(srcs)
			if c == nil {
				p.Cursor = max(p.Cursor, head)
				return nil
			}
			if scanned >= lim.MaxScan {
				p.More = true
				return nil
			}
			scanned++
			seq, item := c.seq(), c.it.Item()
			if c.indexed {
				// The index value is the author: skip our own without
				// reading the operation.
				own := false
				if err := item.Value(func(v []byte) error { own = string(v) == exclude; return nil }); err != nil {
					return err
				}
				if own {
					p.Cursor = seq
					c.it.Next()
					continue
				}
				if item, err = x.t.Get(logKey(seq)); err != nil {
					return fmt.Errorf("pull index entry %d without its operation: %w", seq, err)
				}
			}
			var raw []byte
			if raw, err = item.ValueCopy(nil); err != nil {
				return err
			}
			op, err := changeset.DecodeOp(raw)
			if err != nil {
				return fmt.Errorf("log entry %d: %w", seq, err)
			}
			if op.Device == exclude {
				p.Cursor = seq
				c.it.Next()
				continue
			}
			enc := raw
			var encErr error
			if lim.Encode != nil {
				enc, encErr = lim.Encode(op)
			}
			if encErr != nil || lim.MaxOpBytes > 0 && len(enc) > lim.MaxOpBytes {
				p.Withheld = append(p.Withheld, op.ID())
				p.Cursor = seq
				c.it.Next()
				continue
			}
			if len(p.Ops) > 0 && (len(p.Ops) >= lim.MaxOps || p.Bytes+len(enc) > lim.MaxBytes) {
				p.More = true
				return nil
			}
			p.Ops = append(p.Ops, op)
			p.Encoded = append(p.Encoded, enc)
			p.Bytes += len(enc)
			p.Cursor = seq
			c.it.Next()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	return p, nil
}

// cursor walks one sequence-ordered key space from after+1.
type cursor struct {
	it      *badger.Iterator
	prefix  []byte
	indexed bool // values are author ids, not operations
}

func newCursor(t *badger.Txn, prefix string, after uint64, indexed bool) *cursor {
	it := t.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: !indexed, PrefetchSize: 32})
	it.Seek(seqKey(prefix, after+1))
	return &cursor{it: it, prefix: []byte(prefix), indexed: indexed}
}

func (c *cursor) seq() uint64 { return u64(c.it.Item().Key()[len(c.prefix):]) }

// next returns the source whose next entry has the lowest seq, or nil.
func next(srcs []*cursor) *cursor {
	var best *cursor
	for _, c := range srcs {
		if !c.it.Valid() || !bytes.HasPrefix(c.it.Item().Key(), c.prefix) {
			continue
		}
		if best == nil || c.seq() < best.seq() {
			best = c
		}
	}
	return best
}
