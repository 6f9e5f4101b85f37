package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/policy"
)

// Tx is a batch of saves that commit together, in one durable store
// transaction, or not at all. Reads inside a Tx see its own earlier saves.
type Tx struct {
	s       *Service
	ctx     context.Context
	seq     uint64
	states  map[string]*changeset.State
	writes  []store.Write
	rows    []*index.Row
	meta    map[string][]byte
	regnos  map[string]uint64
	changed []Changed
}

// Update runs fn in a Tx and commits what it saved. If fn or the commit
// fails nothing is saved, the device's counters do not move, and the error
// is returned.
func (s *Service) Update(ctx context.Context, fn func(tx *Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.awaitIndexing() // a save sees every record stored before it in the index
	tx := &Tx{s: s, ctx: ctx, seq: s.seq.Load(), states: map[string]*changeset.State{}, meta: map[string][]byte{}, regnos: map[string]uint64{}}
	lastClock := s.clock.Last()
	if err := fn(tx); err != nil {
		s.clock = hlc.NewClock(lastClock, s.now) // timestamps issued for nothing are forgotten
		return err
	}
	if len(tx.writes) == 0 {
		return nil
	}
	tx.meta[metaSeq] = []byte(strconv.FormatUint(tx.seq, 10))
	tx.meta[metaClock] = []byte(strconv.FormatUint(uint64(s.clock.Last()), 10))
	for k, n := range tx.regnos {
		tx.meta[k] = []byte(strconv.FormatUint(n, 10))
	}
	// A record saved several times in one Tx needs its operations each, but
	// only its last state and index row.
	s.bulkNew = nil // states written beside a bulk load (see Service)
	dedupeStates(tx.writes)
	if err := s.st.Commit(ctx, tx.writes, tx.meta); err != nil {
		s.clock = hlc.NewClock(lastClock, s.now)
		return err
	}
	s.seq.Store(tx.seq)
	if err := s.ix.Put(tx.rows...); err != nil {
		// The save is durable; only the in-memory index is behind. It is
		// rebuilt at the next start, and this is a programming error.
		s.log.Error("index update failed after a save", "err", err)
	}
	s.notify.send(tx.changed)
	return nil
}

// state returns the record's state as this Tx sees it.
func (tx *Tx) state(kind, id string) (*changeset.State, error) {
	if st, ok := tx.states[kind+":"+id]; ok {
		return st, nil
	}
	st, err := tx.s.st.State(tx.ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s %s: %w", kind, id, domain.ErrNotFound)
	}
	return st, err
}

// save turns a record's complete new field set into an operation (only the
// fields that differ), applies it and queues the write. known are the
// field names of the record type (changeset.Names): fields it does not
// know, written by a newer version, are kept.
func (tx *Tx) save(kind, id, council string, action changeset.Action, cur *changeset.State, fields map[string]json.RawMessage, known map[string]bool) (*changeset.State, error) {
	changes := changeset.Diff(cur, fields, known)
	if len(changes) == 0 {
		if cur == nil {
			return nil, fmt.Errorf("%s: nothing to save", kind)
		}
		if action != changeset.ActionUpdate {
			return cur, nil // nothing changed: no operation
		}
		return tx.sendAgain(cur)
	}
	return tx.apply(kind, id, council, action, cur, changes)
}

// sendAgain saves a record of this laptop's whose creation the centre
// refused, unchanged, as its creation again (apply): "Correct it" saved
// with nothing changed, since the refusal may have been for what the
// form does not hold (a field this laptop may not write, left out now).
// Any other record, or one whose creation is sent again already, or one
// this laptop would refuse itself, is left as it is: no operation.
func (tx *Tx) sendAgain(cur *changeset.State) (*changeset.State, error) {
	if cur.Device != tx.s.dev.ID {
		return cur, nil
	}
	if again, err := tx.s.creationRefused(tx.ctx, cur.Kind, cur.ID); err != nil || !again {
		return cur, err
	}
	next, err := tx.apply(cur.Kind, cur.ID, cur.Council, changeset.ActionUpdate, cur, nil)
	var r *policy.Refusal
	if errors.As(err, &r) {
		return cur, nil // refused here already: nothing sent
	}
	return next, err
}

func (tx *Tx) apply(kind, id, council string, action changeset.Action, cur *changeset.State, changes map[string]changeset.Change) (*changeset.State, error) {
	s := tx.s
	judged := cur // the state the server will judge the operation on
	edited := changes
	again := false
	if action == changeset.ActionUpdate && cur != nil && cur.Device == s.dev.ID {
		// A record of this laptop's whose creation the centre refused
		// is sent whole, as its creation again (recreate.go).
		var err error
		again, err = s.creationRefused(tx.ctx, kind, id)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", kind, id, err)
		}
		if again {
			action, changes, judged = changeset.ActionCreate, recreation(cur, changes), nil
		}
	}
	op := &changeset.Op{
		Device: s.dev.ID, Seq: tx.seq + 1, HLC: s.clock.Now(),
		Kind: kind, Record: id, Council: council, Action: action, Author: s.author, Fields: changes,
	}
	if again && s.writer != nil {
		leaveOut(*s.writer, op, edited)
	}
	if err := op.Validate(); err != nil {
		return nil, err
	}
	// What the server would refuse is refused here, before it is saved:
	// a refused operation stays in this laptop's history but never
	// reaches the centre.
	if s.writer != nil {
		if r := policy.CheckWrite(*s.writer, op, judged); r != nil {
			return nil, r
		}
	} else if r := policy.CheckFields(op); r != nil {
		// Not enrolled yet: who may write is the server's to say once
		// it is, but a value no replica could read is refused already.
		return nil, r
	}
	next := &changeset.State{}
	if cur != nil {
		next = cur.Clone()
	}
	if _, _, err := next.Apply(op); err != nil {
		return nil, err
	}
	row, err := s.rowFor(next)
	if err != nil {
		return nil, err
	}
	tx.seq++
	tx.states[kind+":"+id] = next
	tx.writes = append(tx.writes, store.Write{Op: op, State: next, IndexRow: row.Marshal(), SearchText: []byte(row.Search)})
	tx.rows = append(tx.rows, row)
	tx.changed = append(tx.changed, Changed{Kind: kind, ID: id})
	return next, nil
}

// nextRegNo returns the next registration number of this laptop for council and year.
func (tx *Tx) nextRegNo(council string, year int) (string, error) {
	key := fmt.Sprintf("%s%s:%d", metaRegNoPrefix, council, year)
	n, ok := tx.regnos[key]
	if !ok {
		var err error
		if n, err = tx.s.metaUint(tx.ctx, key); err != nil {
			return "", err
		}
	}
	n++
	tx.regnos[key] = n
	return domain.FormatRegNo(council, year, tx.s.dev.Tag, n), nil
}
