package store

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
)

// Scope says which operations a device may read.
type Scope struct {
	All     bool   // every operation (central staff)
	Council string // this council's records ("" for none)
	Global  bool   // records of the global kinds (councils, materials)
}

// PullLimits bound one page.
type PullLimits struct {
	// MaxBytes bounds the encoded operations of the page; the first one
	// is always included.
	MaxBytes int
	// Encode is the operation as the page will carry it (the store does
	// not know the wire): a page is sized by what is really sent, and the
	// encoding is kept (Page.Encoded) so it is made once. nil: the
	// operation as stored.
	Encode func(*changeset.Op) ([]byte, error)
	// MaxOpBytes, if set, withholds an operation whose encoding is longer
	// (Page.Withheld), as one Encode fails on: one that could never fit a
	// page must not stop the pull of everyone who sees it.
	MaxOpBytes int
	MaxOps     int
	MaxScan    int // index entries looked at, visible or not
}

// Page is one page of a pull.
type Page struct {
	Ops     []*changeset.Op
	Encoded [][]byte // Ops as PullLimits.Encode made them
	Bytes   int      // length of Encoded
	// Withheld are operations skipped because they were over MaxOpBytes
	// or could not be encoded (their ids, "device/seq"); the cursor moved
	// past them.
	Withheld []string
	Cursor   uint64 // the server seq of the last entry scanned
	More     bool   // more entries may wait after Cursor
	Head     uint64 // the last server seq given when the page was read
}

// Pull returns the operations after cursor that scope sees, except those of
// device exclude, in server order. A device's scope is read through its
// own indexes: a council's pull never scans another council's operations.
// When nothing visible is left, Cursor moves to the head of the log, so
// the device never rescans what it may not see.
func (s *Store) Pull(ctx context.Context, scope Scope, exclude string, after uint64, lim PullLimits) (*Page, error) {
	if lim.MaxOps <= 0 {
		lim.MaxOps = 1000
	}
	if lim.MaxScan <= 0 {
		lim.MaxScan = 100_000
	}
	p := &Page{Cursor: after}
	err := s.View(ctx, func(x *Txn) error {
		head, err := x.MetaUint(MetaHead)
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
			if ValidPart(scope.Council) {
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

func sortDevices(ds []Device) {
	slices.SortFunc(ds, func(a, b Device) int {
		if c := a.Enrolled.Compare(b.Enrolled); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.ID), []byte(b.ID))
	})
}
