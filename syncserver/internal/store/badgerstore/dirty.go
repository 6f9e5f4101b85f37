package badgerstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
)

// The records' states are written to Badger in windows, not with the
// operations that changed them. An append's commit holds its operations,
// their judgements and everything else it wrote; the states it put are
// kept in the cache as dirty (statecache.go), read from there by the
// appends after it, and written to Badger together once they fill a
// bound, before a reader that scans Badger's states, and at Close. In a
// spread backlog (a record's operations thousands of operations apart)
// each record's state was encoded and written to Badger once per
// operation: its write-ahead log, memtables, flushes and compactions took
// most of the server's CPU beyond the unspread push's (BENCHMARKS.md,
// issue 15, spread5).
//
// A crash loses the dirty states, not what they came from: the log is
// durable, and metaStates says up to which server seq every accepted
// operation's effect is in Badger's states. Open merges the operations
// logged after it into the states again (recoverStates). Merging is
// idempotent and its result does not depend on the order of operations
// (changeset.State.Apply), so a state that a window had already written
// past the mark is merged into the same state.

// metaStates is the meta key of the mark: the states in Badger hold every
// accepted operation up to this server seq.
const metaStates = "states_at"

// dirtyShare: the dirty states are written once they take this share of
// the cache's bound.
const dirtyShare = 3 // of 4

// maxReplay bounds the operations logged after the mark: Open merges
// them again after a crash, reading each one's state. A log of records
// created with their later operations (an ordinary push, written with
// them) leaves few dirty states, and the mark moves on with them.
const maxReplay = 100_000

// maxCreatedAge bounds how long a record's state kept dirty as created
// alone (statecache.go) stays so while nothing rewrites it: once the log
// has gone this many operations past its commit, it is written (with the
// others as old) and forgotten. A spread backlog rewrites its records
// some thousands of operations after their creation (syncbench -spread:
// 20,000 to 40,000 later), and finds them in the cache; a push of records
// created alone and never changed holds in memory only the states of its
// last operations of this many, not the dirty states' bound.
const maxCreatedAge = 50_000

// writeIfDue writes the dirty states if they fill their bound or the log
// has gone maxReplay operations past the mark, else the created states
// maxCreatedAge old (the leader of the groups, after one, s.writer held).
func (s *Store) writeIfDue() error {
	c := &s.states
	c.mu.Lock()
	due := c.dirtySize > c.limit/4*dirtyShare || c.head-c.mark > maxReplay
	old := len(c.created) > 0 && c.head-c.created[0].head > c.createdAge
	c.mu.Unlock()
	if due {
		return s.writeStates()
	}
	if old {
		return s.writeCreated()
	}
	return nil
}

// writeCreated writes the states still dirty as created only that the log
// has gone more than createdAge/2 operations past (so that they go in
// batches, not a few after each group), and forgets them (s.writer held).
// The mark does not move: the other dirty states are not written. A crash
// merges the operations after the mark into these states again, which
// changes nothing (merging is idempotent).
func (s *Store) writeCreated() error {
	c := &s.states
	type kv struct {
		key string
		v   []byte
	}
	c.mu.Lock()
	var snap []kv
	i := 0
	for ; i < len(c.created) && c.head-c.created[i].head > c.createdAge/2; i++ {
		k := c.created[i].key
		if rewritten, ok := c.dirty[k]; ok && !rewritten {
			snap = append(snap, kv{k, c.m[k]})
		}
	}
	c.created = slices.Delete(c.created, 0, i)
	c.mu.Unlock()
	if len(snap) == 0 {
		return nil
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, e := range snap {
		// The cache's bytes are never changed: Badger may hold them
		// until the batch is written.
		if err := wb.Set([]byte(e.key), e.v); err != nil {
			return fmt.Errorf("write created states: %w", classify(err))
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("write created states: %w", classify(err))
	}
	c.mu.Lock()
	for _, e := range snap {
		if cur, ok := c.m[e.key]; ok && sameSlice(cur, e.v) && !c.dirty[e.key] {
			c.forget(e.key, len(e.v))
		}
	}
	c.mu.Unlock()
	return nil
}

// flushStates writes the dirty states (Close, the readers of every state).
func (s *Store) flushStates() error {
	s.writer.Lock()
	defer s.writer.Unlock()
	return s.writeStates()
}

// statesView runs fn in a snapshot taken once the dirty states are
// written, before any append commits again: its states hold every
// operation of its log.
func (s *Store) statesView(ctx context.Context, fn func(*txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.writer.Lock()
	err := s.writeStates()
	t := s.db.NewTransaction(false)
	s.writer.Unlock()
	defer t.Discard()
	if err != nil {
		return err
	}
	return fn(&txn{t: t})
}

// writeStates writes the dirty states to Badger, then the mark of the
// head they hold, and only then counts them clean (s.writer held: no
// group commits meanwhile, and one window at a time: a window written
// after a later one would put older states back).
func (s *Store) writeStates() error {
	c := &s.states
	type kv struct {
		key string
		v   []byte
	}
	c.mu.Lock()
	head, mark := c.head, c.mark
	snap := make([]kv, 0, len(c.dirty))
	for k := range c.dirty {
		snap = append(snap, kv{k, c.m[k]})
	}
	c.mu.Unlock()
	if len(snap) == 0 && head == mark {
		return nil
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, e := range snap {
		// The cache's bytes are never changed: Badger may hold them
		// until the batch is written.
		if err := wb.Set([]byte(e.key), e.v); err != nil {
			return fmt.Errorf("write states: %w", classify(err))
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("write states: %w", classify(err))
	}
	err := s.db.Update(func(t *badger.Txn) error { return t.Set(metaKey(metaStates), be(head)) })
	if err != nil {
		return fmt.Errorf("write states' mark: %w", classify(err))
	}
	c.mu.Lock()
	c.mark = head
	c.created = nil // every one written
	for _, e := range snap {
		if cur, ok := c.m[e.key]; ok && sameSlice(cur, e.v) {
			if !c.dirty[e.key] {
				// Created only (statecache.go): Badger holds it now,
				// and the cache keeps only what is rewritten.
				c.forget(e.key, len(e.v))
				continue
			}
			delete(c.dirty, e.key)
			c.dirtySize -= len(e.key) + len(e.v) + entryOverhead
		}
	}
	c.mu.Unlock()
	return nil
}

// recoverStates merges the operations logged after the states' mark into
// Badger's states (a crash lost the dirty ones), and sets the cache's
// head. A store without the mark (made by an older release, which wrote
// each state with its operations) has its states up to its head.
func (s *Store) recoverStates(ctx context.Context) error {
	var head, at uint64
	var marked bool
	err := s.view(ctx, func(x *txn) error {
		var err error
		if head, err = x.metaUint(metaHead); err != nil {
			return err
		}
		b, ok, err := x.get(metaKey(metaStates))
		at, marked = u64(b), ok
		return err
	})
	if err != nil {
		return err
	}
	if !marked || at >= head {
		s.states.head, s.states.mark = head, head
		return s.db.Update(func(t *badger.Txn) error { return t.Set(metaKey(metaStates), be(head)) })
	}
	states := map[string]*changeset.State{}
	var order []string
	err = s.EachOp(ctx, at, func(_ uint64, op *changeset.Op) error {
		key := string(stateKey(op.Kind, op.Record))
		st, ok := states[key]
		if !ok {
			var err error
			if err = s.view(ctx, func(x *txn) (err error) { st, err = x.State(op.Kind, op.Record); return err }); err != nil {
				return err
			}
			if st == nil {
				st = &changeset.State{}
			}
			states[key] = st
			order = append(order, key)
		}
		return st.Merge(op)
	})
	if err != nil {
		return fmt.Errorf("merge the operations after %d: %w", at, err)
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for _, key := range order {
		b, err := states[key].AppendBinary(nil)
		if err != nil {
			return err
		}
		if err := wb.Set([]byte(key), b); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	s.states.head, s.states.mark = head, head
	return s.db.Update(func(t *badger.Txn) error { return t.Set(metaKey(metaStates), be(head)) })
}

// logFlushError reports a window of states that could not be written.
func (s *Store) logFlushError(err error) {
	if s.logger != nil {
		s.logger.Error("badgerstore: states not written yet", "err", err)
	}
}
