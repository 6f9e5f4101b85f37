package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// A refusal of the server is shown until it is settled, and settled by
// what the record holds, not by a flag kept beside it: a refused field is
// open while the record still holds the refused operation's value of it
// (the field's value was written by that operation). Writing the field
// again settles it: the secretary's correction (a new operation, sent like
// any other; refused again, it is a new refusal), the centre's value taken
// back (TakeCentre), or a later value pulled from the centre. So nothing
// is kept that could disagree with the record, and a backup restored or a
// store rebuilt shows the same refusals. See docs/refusals.md.

// RefusedField is one field of a record that holds a value the centre
// refused.
type RefusedField struct {
	Field string `json:"field"`
	// Value is what this laptop holds: the refused value.
	Value json.RawMessage `json:"value"`
	// Centre is the last value of the field the centre accepted (from
	// another laptop, or from this one before the refusal); null when
	// the centre holds none.
	Centre json.RawMessage `json:"centre"`
	// Reasons are the server's field errors about this field (their
	// Field may name a part of it: "entries/x.category").
	Reasons []domain.FieldError `json:"reasons,omitempty"`
	// Kept: this laptop's role may not write the field at all (a review
	// field written before the laptop was enrolled; policy.CheckWrite
	// names it forbidden), so no operation of it reaches the centre: a
	// creation sent again leaves it out (leaveOut), and its value is kept
	// on this laptop only until the centre's is taken back (here only).
	Kept bool `json:"kept,omitempty"`

	centre *changeset.FieldValue // nil: the centre holds no value
}

// RefusalView is a refusal mapped to what it refused: the record, its
// title as the record list shows it, and the fields that still hold the
// refused values (Open). A settled refusal has no open field and is not
// listed by Refusals.
type RefusalView struct {
	Refusal
	Kind   string           `json:"kind"`
	Record string           `json:"record"`
	Title  string           `json:"title,omitempty"`
	RegNo  string           `json:"reg_no,omitempty"`
	Action changeset.Action `json:"action"`
	// Created: the refused operation created the record, so the centre
	// holds no record to go back to (TakeCentre refuses; correct it).
	Created bool           `json:"created,omitempty"`
	Open    []RefusedField `json:"open"`
}

// KeptOnly reports whether every open field is one this laptop may not
// write (Kept): nothing is left to correct, and the centre's values
// (none, for a creation it never took) are taken back here only.
func (v RefusalView) KeptOnly() bool {
	for _, f := range v.Open {
		if !f.Kept {
			return false
		}
	}
	return len(v.Open) > 0
}

// What a refusal is about, for a person (Refusal.Cause).
const (
	CauseValue     = "value"     // a value or an item the centre does not take
	CauseForbidden = "forbidden" // this laptop's role or council may not write it
	CauseClock     = "clock"     // this laptop's clock was far ahead
)

// Cause says what the refusal is about, from its code (the protocol's
// syncproto.Code, by its stable text: records does not import the wire).
func (r Refusal) Cause() string {
	switch r.Code {
	case "forbidden", "wrong_council":
		return CauseForbidden
	case "clock":
		return CauseClock
	}
	return CauseValue
}

// ErrNoRefusal is TakeCentre's error for a refusal that is settled or unknown.
var ErrNoRefusal = fmt.Errorf("%w: this refused change is settled already (or unknown)", domain.ErrNotFound)

// Refusals lists the refusals of this laptop's changes still open,
// newest first: those whose record still holds a refused value. A
// refusal whose record is no longer on this laptop, or whose operation
// this laptop no longer holds, has nothing left to show and is left out
// (keneshctl sync status still lists every refusal kept).
func (s *Service) Refusals(ctx context.Context) ([]RefusalView, error) {
	return s.refusals(ctx, s.enrolledWriter(), "", "")
}

// RefusalsOf lists the open refusals of one record, newest first.
func (s *Service) RefusalsOf(ctx context.Context, kind, id string) ([]RefusalView, error) {
	return s.refusals(ctx, s.enrolledWriter(), kind, id)
}

// enrolledWriter is the enrolled role and council (nil before enrollment).
func (s *Service) enrolledWriter() *policy.Device {
	if dev, ok := s.Reader(); ok {
		return &dev
	}
	return nil
}

// refusals lists the open refusals (of one record, with kind); writer is
// the enrolled role and council, which say the fields this laptop may
// not write (Kept): s.writer, read by the caller (TakeCentre holds s.mu).
func (s *Service) refusals(ctx context.Context, writer *policy.Device, kind, id string) ([]RefusalView, error) {
	st, err := s.SyncState(ctx)
	if err != nil {
		return nil, err
	}
	if len(st.Refused) == 0 {
		return nil, nil
	}
	refused := refusedSeqs(st.Refused)
	me := s.Device().ID
	var out []RefusalView
	seen := map[uint64]bool{}
	for i := len(st.Refused) - 1; i >= 0; i-- {
		r := st.Refused[i]
		if seen[r.Seq] || s.settled.has(r.Seq) { // refused again after a restore: once
			continue
		}
		seen[r.Seq] = true
		op, err := s.st.Op(ctx, me, r.Seq)
		if errors.Is(err, store.ErrNotFound) {
			s.settled.add(r.Seq)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("refusal of change %d: %w", r.Seq, err)
		}
		if kind != "" && (op.Kind != kind || op.Record != id) {
			continue
		}
		v, ok, err := s.viewRefusal(ctx, writer, r, op, refused, st.Acked)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, v)
		} else {
			s.settled.add(r.Seq)
		}
	}
	return out, nil
}

// settledSet remembers the refusals found settled, so that listing the
// open ones (the status bar, the home, each list, after every change)
// reads only those (BenchmarkRefusals: 1000 settled cost 32-130 ms a
// listing, read each time).
type settledSet struct {
	mu   sync.Mutex
	seqs map[uint64]bool
}

func (c *settledSet) has(seq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seqs[seq]
}

func (c *settledSet) add(seq uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seqs == nil {
		c.seqs = map[uint64]bool{}
	}
	c.seqs[seq] = true
}

// viewRefusal maps one refusal to its record's open fields; ok is false
// when none is open (settled) or the record is gone.
func (s *Service) viewRefusal(ctx context.Context, writer *policy.Device, r Refusal, op *changeset.Op, refused map[uint64]bool, acked uint64) (RefusalView, bool, error) {
	v := RefusalView{Refusal: r, Kind: op.Kind, Record: op.Record, Action: op.Action}
	cur, err := s.st.State(ctx, op.Kind, op.Record)
	if errors.Is(err, store.ErrNotFound) {
		return v, false, nil
	}
	if err != nil {
		return v, false, err
	}
	var open []string
	for f := range op.Fields {
		if fv, ok := cur.Fields[f]; ok && fv.Device == op.Device && fv.Seq == op.Seq {
			open = append(open, f)
		}
	}
	if len(open) == 0 {
		return v, false, nil
	}
	sort.Strings(open)
	centre, accepted, err := s.centreValues(ctx, op.Kind, op.Record, open, refused, acked)
	if err != nil {
		return v, false, err
	}
	// A creation the centre has the record of all the same (a council
	// an offline laptop defined by hand, which the centre holds too) has
	// the centre's values to go back to.
	v.Created = op.Action == changeset.ActionCreate && !accepted
	for _, f := range open {
		rf := RefusedField{Field: f, Value: cur.Fields[f].Value, Centre: json.RawMessage("null")}
		c, ok := centre[f]
		if ok {
			rf.centre, rf.Centre = &c, c.Value
		}
		if sameJSON(rf.Value, rf.Centre) {
			continue // the centre holds this very value: nothing differs
		}
		for _, fe := range r.Fields {
			if about(fe.Field, f) {
				rf.Reasons = append(rf.Reasons, fe)
			}
		}
		rf.Kept = writer != nil && forbiddenField(*writer, cur, f, rf.Value)
		v.Open = append(v.Open, rf)
	}
	if len(v.Open) == 0 {
		return v, false, nil
	}
	if row, ok := s.ix.Get(op.Kind, op.Record); ok {
		v.Title, v.RegNo = row.Title, row.RegNo
	}
	return v, true, nil
}

// forbiddenField reports whether dev may not write field f of the record
// cur at all, whatever its value: policy.CheckWrite refuses an update of
// it alone (here, the value held) naming f forbidden.
func forbiddenField(dev policy.Device, cur *changeset.State, f string, value json.RawMessage) bool {
	op := &changeset.Op{Kind: cur.Kind, Record: cur.ID, Council: cur.Council, Action: changeset.ActionUpdate,
		Fields: map[string]changeset.Change{f: {Value: value}}}
	r := policy.CheckWrite(dev, op, cur)
	if r == nil {
		return false
	}
	for _, fe := range r.Fields {
		if fe.Field == f && fe.Code == domain.CodeForbidden {
			return true
		}
	}
	return false
}

// about reports whether a field error the server named (a field, an
// item, or a part of one: "entries/x.category") is about field f.
func about(named, f string) bool {
	if named == f || strings.HasPrefix(named, f+".") || strings.HasPrefix(f, named+changeset.ItemSep) {
		return true
	}
	return false
}

// centreValues works out, from the record's history, the last value of
// each field the centre accepted: every operation pulled from another
// laptop, and this laptop's own that the server acknowledged and did not
// refuse. Its pending operations (not sent yet) are not the centre's.
func (s *Service) centreValues(ctx context.Context, kind, id string, fields []string, refused map[uint64]bool, acked uint64) (map[string]changeset.FieldValue, bool, error) {
	ops, err := s.st.History(ctx, kind, id)
	if err != nil {
		return nil, false, err
	}
	me := s.Device().ID
	out := map[string]changeset.FieldValue{}
	accepted := false    // the centre holds any operation of the record
	for i := range ops { // oldest first, by clock: the last write wins
		op := &ops[i]
		if op.Device == me && (refused[op.Seq] || op.Seq > acked) {
			continue
		}
		accepted = true
		for _, f := range fields {
			if ch, ok := op.Fields[f]; ok {
				out[f] = changeset.FieldValue{Value: ch.Value, HLC: op.HLC, Device: op.Device, Seq: op.Seq, Base: ch.Base}
			}
		}
	}
	for f, fv := range out {
		if changeset.KindOfJSON(fv.Value) == changeset.JSONNull {
			delete(out, f) // removed at the centre: as if none
		}
	}
	return out, accepted, nil
}

// sameJSON reports whether two JSON values are the same value (objects'
// members in any order); null and nothing are the same.
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if len(a) > 0 && json.Unmarshal(a, &x) != nil || len(b) > 0 && json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TakeCentre settles the refusal of this laptop's change seq by giving
// its record back the values the centre holds, on every field still
// holding a refused value: the secretary's "take the centre's value".
//
// Where this laptop may write those fields it is a new operation, sent
// like any other (it records who undid the change, and it orders after
// the refused value everywhere). Where its role may not write them at all
// (the refusal's very cause: a field written before the laptop was
// enrolled), no operation could reach the centre, and none needs to: the
// fields are given back their accepted values in this laptop's state
// only, exactly as the centre and every other laptop hold them. The
// refused operation stays in the history either way. A refused creation
// has no centre's value to go back to (domain.ErrInvalid): correct it;
// once corrected, the fields it still holds that this laptop may not
// write (Kept, left out of the creation sent again) go back to none, here
// only.
func (s *Service) TakeCentre(ctx context.Context, seq uint64) error {
	return s.Update(ctx, func(tx *Tx) error {
		views, err := s.refusals(ctx, s.writer, "", "")
		if err != nil {
			return err
		}
		var v *RefusalView
		for i := range views {
			if views[i].Seq == seq {
				v = &views[i]
			}
		}
		if v == nil {
			return ErrNoRefusal
		}
		if v.Created && !v.KeptOnly() {
			return fmt.Errorf("%w: the centre never took this record, so it has no value to go back to: correct the record and save it", domain.ErrInvalid)
		}
		cur, err := tx.state(v.Kind, v.Record)
		if err != nil {
			return err
		}
		changes := make(map[string]changeset.Change, len(v.Open))
		for _, f := range v.Open {
			changes[f.Field] = changeset.Change{Value: f.Centre, Base: cur.Fields[f.Field].HLC}
		}
		if !v.KeptOnly() { // kept: no operation of them could pass
			_, err = tx.apply(v.Kind, v.Record, cur.Council, changeset.ActionUpdate, cur, changes)
			var r *policy.Refusal
			if !errors.As(err, &r) {
				return err
			}
		}
		// Forbidden to this laptop: back to the accepted values here only.
		next := cur.Clone()
		for _, f := range v.Open {
			if f.centre == nil {
				delete(next.Fields, f.Field)
			} else {
				next.Fields[f.Field] = *f.centre
			}
		}
		row, err := s.rowFor(next)
		if err != nil {
			return err
		}
		tx.states[v.Kind+":"+v.Record] = next
		tx.writes = append(tx.writes, store.Write{State: next, IndexRow: row.Marshal(), SearchText: []byte(row.Search)})
		tx.rows = append(tx.rows, row)
		tx.changed = append(tx.changed, Changed{Kind: v.Kind, ID: v.Record})
		return nil
	})
}
