package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// ReplayStats says what a replay counted.
type ReplayStats struct {
	// Ops counts the operations merged into the states given (those with
	// a clock at or before the cut-off); Later the operations of kind
	// after it, which the states given leave out.
	Ops, Later int
	// Newest is the newest clock among the operations counted in Ops.
	Newest hlc.Timestamp
}

// ErrMergeAgain, returned by ReplayUpTo's fn for a record given as stored
// now, has ReplayUpTo merge that record again from the operations of its
// history and call fn once more with the state they make.
var ErrMergeAgain = errors.New("merge this record again from its history")

// ReplayUpTo calls fn with every record of kind as the operations of its
// history with a clock at or before cutoff make it, merged as they were
// (changeset.State.Apply: the result does not depend on their order): the
// record as it stood then, by its authors' clocks. A record none of whose
// operations is that old is left out.
//
// One all of whose operations are that old is given with st nil: it is as
// stored now, and fn reads it from the store or the index, whichever it
// needs (a report over 100,000 records mostly unchanged since decodes
// none of them). newest is the clock of its newest operation in the
// snapshot replayed: a state read outside that snapshot (the index's row,
// or the store after a change since) is the same only if its Updated
// clock is newest; if not, fn returns ErrMergeAgain. The others are
// merged again from those operations and given with newest 0.
//
// The history is read in one snapshot, a record at a time (memory does
// not grow with the store); the operations of the records merged again
// through a few iterators over the log that mostly step forward (see
// keyReader), not a lookup each. st, and its values, are ReplayUpTo's: they
// change once fn returns (the next record is merged into the same
// state, its values read into the same buffer); fn keeps st.Clone() with
// its values copied if it needs it after.
func (s *Store) ReplayUpTo(ctx context.Context, kind string, cutoff hlc.Timestamp, fn func(id string, newest hlc.Timestamp, st *changeset.State) error) (ReplayStats, error) {
	var stats ReplayStats
	if !validPart(kind) {
		return stats, fmt.Errorf("replay: bad kind %q", kind)
	}
	prefix := []byte(spaceHistory + kind + ":")
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		ops := newKeyReader(txn, spaceOp)
		defer ops.close()
		dec := &opDecoding{}
		// The laptops that wrote the history: a few, named in every one
		// of its 500,000 keys.
		devices := map[string]string{}
		var id []byte
		var refs []historyRef
		grouped := false // refs has a group's: sorted and each kept once before the replay
		flush := func() error {
			if len(refs) == 0 {
				return nil
			}
			if grouped {
				refs = sortRefs(refs)
			}
			defer func() { refs, grouped = refs[:0], false }()
			return s.replayOne(ctx, ops, dec, kind, string(id), refs, cutoff, &stats, fn)
		}
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			recID, ref, group, ok := parseHistoryKey(item.Key()[len(prefix):], devices)
			if !ok {
				return fmt.Errorf("replay: damaged history key %q", item.Key())
			}
			if !bytes.Equal(recID, id) {
				if err := flush(); err != nil {
					return err
				}
				id = append(id[:0], recID...)
			}
			grouped = grouped || group
			var err error
			if refs, err = appendRefs(item, ref, group, refs, devices); err != nil {
				return fmt.Errorf("replay: %s %s: %w", kind, recID, err)
			}
		}
		return flush()
	})
	if err != nil {
		return stats, fmt.Errorf("replay %s: %w", kind, err)
	}
	return stats, nil
}

// opDecoding is what a replay keeps from record to record to decode
// operations: the decoder of their shared strings and the operations
// decoded into (a record's states hold nothing of them: State.Merge
// copies each value it keeps).
type opDecoding struct {
	dec   changeset.OpDecoder
	ops   []*changeset.Op
	keys  [][]byte
	order []int
	// st is the state a record is merged into, cleared for the next
	// (its map's room kept: 2.7 KB an appeal).
	st changeset.State
}

func (s *Store) replayOne(ctx context.Context, log *keyReader, dec *opDecoding, kind, id string, refs []historyRef, cutoff hlc.Timestamp,
	stats *ReplayStats, fn func(string, hlc.Timestamp, *changeset.State) error) error {
	var upto int // refs are in clock order: refs[:upto] are at or before cutoff
	for upto < len(refs) && refs[upto].hlc <= cutoff {
		upto++
	}
	stats.Later += len(refs) - upto
	if upto == 0 {
		return nil // made after the cut-off
	}
	stats.Ops += upto
	if n := refs[upto-1].hlc; n > stats.Newest {
		stats.Newest = n
	}
	if upto == len(refs) {
		err := fn(id, refs[upto-1].hlc, nil) // as stored now
		if !errors.Is(err, ErrMergeAgain) {
			return err
		}
	}
	// Read in the log's key order (the iterators step forward), merged in
	// clock order.
	need := refs[:upto]
	for len(dec.ops) < len(need) {
		dec.ops = append(dec.ops, &changeset.Op{})
		dec.keys = append(dec.keys, nil)
	}
	keys := dec.keys[:len(need)]
	order := dec.order[:0]
	for i, r := range need {
		keys[i] = appendOpKey(keys[i][:0], r.device, r.seq)
		order = append(order, i)
	}
	dec.order = order
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	// The operations' values are read into one buffer, kept from record
	// to record (log.arena): an operation decoded holds slices of it, and
	// so does the state they merge into (State.Merge keeps them), which
	// fn may not keep.
	ops := dec.ops[:len(need)]
	arena := log.arena[:0]
	for _, i := range order {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := len(arena)
		var err error
		if arena, err = log.getAppend(arena, keys[i]); err != nil {
			return fmt.Errorf("%s %s: history entry without its operation: %w", kind, id, err)
		}
		if err = dec.dec.DecodeInto(arena[start:len(arena):len(arena)], ops[i]); err != nil {
			return fmt.Errorf("%s %s: %w", kind, id, err)
		}
	}
	log.arena = arena
	fields := dec.st.Fields
	if fields == nil {
		fields = make(map[string]changeset.FieldValue, len(ops[0].Fields))
	}
	clear(fields)
	dec.st = changeset.State{Fields: fields}
	st := &dec.st
	for _, op := range ops {
		if err := st.Merge(op); err != nil {
			return fmt.Errorf("%s %s: %w", kind, id, err)
		}
	}
	if err := fn(id, 0, st); errors.Is(err, ErrMergeAgain) {
		return fmt.Errorf("%s %s: merged again, and asked to merge again", kind, id)
	} else if err != nil {
		return err
	}
	return nil
}

// EachStateOf calls fn with the state of each record of kind named in ids,
// in that order, read in one snapshot; a record not held is skipped. fn
// may keep st.
func (s *Store) EachStateOf(ctx context.Context, kind string, ids []string, fn func(st *changeset.State) error) error {
	err := s.db.View(func(txn *badger.Txn) error {
		// Ids in order (an export's are) read as steps of an iterator.
		r := newKeyReader(txn, spaceState)
		defer r.close()
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !validPart(id) {
				continue
			}
			v, err := r.get(stateKey(kind, id))
			if err == badger.ErrKeyNotFound {
				continue
			}
			if err != nil {
				return err
			}
			st, err := changeset.DecodeState(v)
			if err != nil {
				return fmt.Errorf("%s %s: %w", kind, id, err)
			}
			if err := fn(st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s records: %w", kind, err)
	}
	return nil
}
