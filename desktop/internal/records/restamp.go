package records

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// Restamp gives this laptop's operations from sequence number from on new
// clock readings, once its clock is right again: what a laptop whose clock
// was set to the wrong year does so that its work can still be sent. The
// server refused those operations for their clock (the protocol's clock refusal)
// and holds none of them, so no other replica has them: they may be
// stamped again without anyone seeing two versions. (An operation the
// server holds is never restamped: from must be past what it acknowledged.)
//
// The new readings come from a clock started after everything the
// operations may follow: every operation pulled and merged here, this
// laptop's operation before from (the server wants a laptop's clocks to
// grow with its sequence numbers), every other write of the records they
// change, and what each of them overwrote. So each still wins the fields
// it won, orders after its record's creation, and the readings grow with
// the sequence numbers. The records they change are merged again from
// their history, with their conflicts, so the laptop's own view agrees
// with what every other replica will make of the new operations.
//
// It returns how many operations were restamped.
func (s *Service) Restamp(ctx context.Context, from uint64) (int, error) {
	if from == 0 {
		return 0, fmt.Errorf("restamp: sequence numbers start at 1")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ops []*changeset.Op
	err := s.st.Ops(ctx, s.dev.ID, from-1, func(op *changeset.Op) error { ops = append(ops, op); return nil })
	if err != nil || len(ops) == 0 {
		return 0, err
	}
	restamped := func(op *changeset.Op) bool { return op.Device == s.dev.ID && op.Seq >= from }
	old := make(map[hlc.Timestamp]bool, len(ops))
	for _, op := range ops {
		old[op.HLC] = true
	}

	last := s.seen
	if from > 1 {
		prev, err := s.st.Op(ctx, s.dev.ID, from-1)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
		if prev != nil {
			last = max(last, prev.HLC)
		}
	}
	type record struct {
		kind, id string
		hist     []changeset.Op
	}
	recs := map[string]*record{}
	var order []*record
	for _, op := range ops {
		for _, ch := range op.Fields {
			if !old[ch.Base] {
				last = max(last, ch.Base)
			}
		}
		key := op.Kind + ":" + op.Record
		if recs[key] != nil {
			continue
		}
		hist, err := s.st.History(ctx, op.Kind, op.Record)
		if err != nil {
			return 0, err
		}
		for i := range hist {
			if !restamped(&hist[i]) {
				last = max(last, hist[i].HLC)
			}
		}
		r := &record{kind: op.Kind, id: op.Record, hist: hist}
		recs[key] = r
		order = append(order, r)
	}

	clock := hlc.NewClock(last, s.now)
	remap := make(map[hlc.Timestamp]hlc.Timestamp, len(ops))
	was := make(map[*changeset.Op]hlc.Timestamp, len(ops))
	for _, op := range ops { // in sequence order: the readings grow with it
		was[op] = op.HLC
		remap[op.HLC] = clock.Now()
		op.HLC = remap[op.HLC]
	}
	// What an operation overwrote or settled may be one of ours restamped.
	renew := func(op *changeset.Op) {
		for name, ch := range op.Fields {
			if t, ok := remap[ch.Base]; ok {
				ch.Base = t
			}
			for i, v := range ch.Settles {
				if t, ok := remap[v.HLC]; ok && v.Device == s.dev.ID {
					ch.Settles[i].HLC = t
				}
			}
			op.Fields[name] = ch
		}
	}
	byID := make(map[uint64]*changeset.Op, len(ops))
	for _, op := range ops {
		renew(op)
		byID[op.Seq] = op
	}

	writes := make([]store.Write, 0, len(ops))
	lastWrite := map[string]int{}
	for _, op := range ops {
		lastWrite[op.Kind+":"+op.Record] = len(writes)
		writes = append(writes, store.Write{Op: op, Restamped: was[op]})
	}
	var rows []*index.Row
	var changed []Changed
	for _, r := range order {
		hist := make([]*changeset.Op, 0, len(r.hist))
		for i := range r.hist {
			op := &r.hist[i]
			if restamped(op) {
				op = byID[op.Seq]
			} else {
				renew(op) // a resolution here may name one of ours
			}
			hist = append(hist, op)
		}
		st, conflicts, err := merge(hist)
		if err != nil {
			return 0, err
		}
		row, err := s.rowFor(st)
		if err != nil {
			return 0, err
		}
		w := &writes[lastWrite[r.kind+":"+r.id]]
		w.State, w.IndexRow, w.SearchText = st, row.Marshal(), []byte(row.Search)
		w.ReplaceConflicts, w.Conflicts = true, conflicts
		rows = append(rows, row)
		changed = append(changed, Changed{Kind: r.kind, ID: r.id})
	}
	s.bulkNew = nil // states written beside a bulk load (see Service)
	meta := map[string][]byte{metaClock: []byte(strconv.FormatUint(uint64(clock.Last()), 10))}
	if err := s.st.Commit(ctx, writes, meta); err != nil {
		return 0, fmt.Errorf("restamp: %w", err)
	}
	s.clock = clock
	s.awaitIndexing()
	if err := s.ix.Put(rows...); err != nil {
		s.log.Error("index update failed after restamping", "err", err)
	}
	s.notify.send(changed)
	s.log.Warn("operations made with a wrong clock were stamped again", "from", from, "ops", len(ops))
	return len(ops), nil
}

// merge makes a record's state from all its operations, and the conflicts
// a replica holding them all keeps open: those the merge finds, less those
// a resolution among them settled.
func merge(ops []*changeset.Op) (*changeset.State, []changeset.Conflict, error) {
	sort.Slice(ops, func(i, j int) bool {
		a, b := ops[i], ops[j]
		if a.HLC != b.HLC {
			return a.HLC < b.HLC
		}
		if a.Device != b.Device {
			return a.Device < b.Device
		}
		return a.Seq < b.Seq
	})
	type key struct {
		field string
		t     hlc.Timestamp
		dev   string
	}
	settled := map[key]bool{}
	for _, op := range ops {
		for _, c := range op.Settled() {
			settled[key{c.Field, c.Loser.HLC, c.Loser.Device}] = true
		}
	}
	st := &changeset.State{}
	open := map[key]changeset.Conflict{}
	var order []key
	for _, op := range ops {
		_, conflicts, err := st.Apply(op)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range conflicts {
			k := key{c.Field, c.Loser.HLC, c.Loser.Device}
			if settled[k] {
				continue
			}
			if _, ok := open[k]; !ok {
				order = append(order, k)
			}
			open[k] = c
		}
	}
	out := make([]changeset.Conflict, 0, len(order))
	for _, k := range order {
		out = append(out, open[k])
	}
	return st, out, nil
}
