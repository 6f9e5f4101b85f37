package records

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// A record whose creation the centre refused exists on this laptop alone:
// the server wrote nothing of it, and no other laptop has it. Correcting
// it ("Correct it" on the refusal, or any later edit) must not send an
// update of the changed fields only, which the centre would take as a
// record of those fields alone (no registration number, no appellant, no
// creation): the write is sent as the record's creation again, carrying
// every field the record holds with the correction. It is judged as the
// first creation was, and, taken, settles the refusal whole (every field
// is then that write's), but for the fields this laptop may not write,
// left out (leaveOut) and kept here. See docs/refusals.md.

// refusedCreations remembers which records' creations the centre refused,
// and the refused operations, read once from the refusals kept and read
// again after each answer that refused something (SetAcked, the only
// writer of the refusals). An edit asks it on every save of a record this
// laptop created (the demo's generation makes hundreds of thousands): with
// no refused creation it reads nothing.
type refusedCreations struct {
	mu      sync.Mutex
	known   bool
	keys    map[string]bool // kind:id
	refused map[uint64]bool // seq
}

func (c *refusedCreations) forget() {
	c.mu.Lock()
	c.known, c.keys, c.refused = false, nil, nil
	c.mu.Unlock()
}

// creationRefused reports whether the centre refused this laptop's
// creation of the record and holds nothing of it (no operation of the
// record it accepted, from this laptop or another), and no creation of
// it is on its way again (a correction saved, not sent yet: a second
// creation would be refused as one of a record the centre then holds,
// so a second correction before the sync is an update after it).
func (s *Service) creationRefused(ctx context.Context, kind, id string) (bool, error) {
	c := &s.recreate
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known {
		list, err := s.keptRefusals(ctx)
		if err != nil {
			return false, err
		}
		keys := map[string]bool{}
		me := s.Device().ID
		for _, r := range list {
			op, err := s.st.Op(ctx, me, r.Seq)
			if err != nil {
				continue // gone from this laptop (a restore): nothing to send again
			}
			if op.Action == changeset.ActionCreate {
				keys[op.Kind+":"+op.Record] = true
			}
		}
		c.known, c.keys, c.refused = true, keys, refusedSeqs(list)
	}
	if !c.keys[kind+":"+id] {
		return false, nil
	}
	acked, err := s.metaUint(ctx, MetaSyncAcked)
	if err != nil {
		return false, err
	}
	ops, err := s.st.History(ctx, kind, id)
	if err != nil {
		return false, err
	}
	me := s.Device().ID
	for i := range ops {
		op := &ops[i]
		if op.Device != me || !c.refused[op.Seq] && op.Seq <= acked {
			return false, nil // the centre holds it
		}
		if !c.refused[op.Seq] && op.Action == changeset.ActionCreate {
			return false, nil // its creation is on its way again
		}
	}
	return true, nil
}

// leaveOut takes out of op, a creation sent again, the fields the record
// holds from before that this laptop may not send: sent, the creation
// would be refused for them again, and the secretary, who cannot write
// them, would be stuck correcting it. Those are the fields its role may
// not write (a review field written before the laptop was enrolled, a
// field another role owns), and values no replica could read (text an
// old version wrote where an item belongs): which ones is
// policy.CheckWrite's to say, as the server's judging does, the fields
// its refusal names forbidden, and policy.CheckFields's, the field it
// names, asked again until neither names one. A field the secretary's
// edit wrote (edited) is never left out: that edit is refused, as any.
// The fields left out keep their values on this laptop: their refusal
// stays open (RefusedField.Kept for the first kind).
func leaveOut(dev policy.Device, op *changeset.Op, edited map[string]changeset.Change) []string {
	var out []string
	drop := func(f string) {
		if _, ok := op.Fields[f]; !ok {
			return
		}
		if _, ok := edited[f]; ok {
			return
		}
		delete(op.Fields, f)
		out = append(out, f)
	}
	for range len(op.Fields) { // each pass takes out one field at least
		r := policy.CheckWrite(dev, op, nil)
		if r == nil {
			break
		}
		n := len(out)
		for _, fe := range r.Fields {
			if fe.Code == domain.CodeForbidden {
				drop(fe.Field)
			}
		}
		if r := policy.CheckFields(op); r != nil {
			for _, fe := range r.Fields {
				drop(fe.Field)
			}
		}
		if len(out) == n {
			break // refused for something else: the save says what
		}
	}
	return out
}

// recreation turns the changes of an update into the record's creation
// again: every field cur holds (but removed ones, null), with changes
// over them.
func recreation(cur *changeset.State, changes map[string]changeset.Change) map[string]changeset.Change {
	out := make(map[string]changeset.Change, len(cur.Fields)+len(changes))
	for f, fv := range cur.Fields {
		if changeset.KindOfJSON(fv.Value) == changeset.JSONNull {
			continue
		}
		out[f] = changeset.Change{Value: json.RawMessage(fv.Value)}
	}
	for f, ch := range changes {
		ch.Base = 0 // a creation has nothing before it
		if changeset.KindOfJSON(ch.Value) == changeset.JSONNull {
			delete(out, f)
			continue
		}
		out[f] = ch
	}
	return out
}
