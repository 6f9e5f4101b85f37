package records

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// Conflicts lists the concurrent edits kept for a person on this laptop
// to resolve: only those this laptop may resolve. A central laptop holds
// every council's conflicts, but it writes only the review fields, so a
// council's conflict on its own fields is the council's to settle and is
// not shown (nor counted) here; the rule is policy.CheckWrite's, the one
// Resolve's operation must pass.
func (s *Service) Conflicts(ctx context.Context) ([]changeset.Conflict, error) {
	s.mu.Lock()
	writer := s.writer
	s.mu.Unlock()
	var out []changeset.Conflict
	err := s.st.Conflicts(ctx, func(c changeset.Conflict) error {
		if writer == nil || s.mayResolve(ctx, *writer, c) {
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// mayResolve reports whether dev may write the conflict's field, as the
// resolution would. A value that does not fit the field (an item of a
// collection that is no item, text an old laptop wrote and a server of
// before policy.CheckItem kept; a member or a field of the wrong type,
// before policy.CheckField) is asked of as its removal: the conflict is
// shown, to be settled with a value that fits.
func (s *Service) mayResolve(ctx context.Context, dev policy.Device, c changeset.Conflict) bool {
	cur, err := s.st.State(ctx, c.Kind, c.Record)
	if err != nil {
		return false
	}
	value := c.Winner.Value
	if policy.CheckField(c.Kind, c.Record, c.Field, value) != nil {
		value = json.RawMessage("null")
	}
	op := &changeset.Op{Kind: c.Kind, Record: c.Record, Council: cur.Council, Action: changeset.ActionUpdate,
		Fields: map[string]changeset.Change{c.Field: {Value: value}}}
	return policy.CheckWrite(dev, op, cur) == nil
}

// Written is one value of a field and who wrote it, when.
type Written struct {
	Value json.RawMessage `json:"value"`
	At    time.Time       `json:"at"`
	// By is the author the writing operation names: the laptop's
	// registered name (its enrollment's). "" when this laptop does not
	// hold that operation.
	By     string `json:"by,omitempty"`
	Device string `json:"device"`
}

// ConflictView is an open conflict as a person decides it: the value the
// record holds now (the winner, unless the field was written again since)
// and the value that lost, each with who wrote it and when.
type ConflictView struct {
	Kind     string             `json:"kind"`
	Record   string             `json:"record"`
	Field    string             `json:"field"`
	Current  Written            `json:"current"`
	Other    Written            `json:"other"`
	Conflict changeset.Conflict `json:"-"`
}

// ConflictViews lists Conflicts with the values as they stand and their
// authors.
func (s *Service) ConflictViews(ctx context.Context) ([]ConflictView, error) {
	list, err := s.Conflicts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ConflictView, 0, len(list))
	for _, c := range list {
		cur := c.Winner
		if st, err := s.st.State(ctx, c.Kind, c.Record); err == nil {
			if f, ok := st.Fields[c.Field]; ok {
				cur = f
			}
		}
		out = append(out, ConflictView{Kind: c.Kind, Record: c.Record, Field: c.Field,
			Current: s.written(ctx, cur), Other: s.written(ctx, c.Loser), Conflict: c})
	}
	return out, nil
}

func (s *Service) written(ctx context.Context, f changeset.FieldValue) Written {
	w := Written{Value: f.Value, At: f.HLC.Time(), Device: f.Device}
	if op, err := s.st.Op(ctx, f.Device, f.Seq); err == nil && op.HLC == f.HLC {
		w.By = op.Author
	}
	return w
}

// Resolve settles the open conflicts on one field of a record by saving
// value (JSON) as the field's new value: an edit that has seen the value
// now (Base) and names every competing value it settles (Settles), so it
// raises no new conflict, and on arrival at every other laptop closes the
// same conflicts there. Its clock is this laptop's, which has observed
// every value merged here (none is further ahead than MaxAhead: what is,
// is held back), so it orders after each of them and wins on every
// replica. A conflict no longer open (resolved meanwhile here, or by a
// resolution pulled from another laptop) is domain.ErrNotFound: a stale
// card never overwrites a merge made elsewhere.
func (s *Service) Resolve(ctx context.Context, kind, id, field string, value []byte) error {
	if !json.Valid(value) {
		return fmt.Errorf("%w: the value is not JSON", domain.ErrInvalid)
	}
	// An item of a collection is null or an item with its id, whose
	// members fit its type, and a field fits the record's: the server
	// refuses anything else (policy.CheckField), and a merge written as
	// text for a removed item's conflict was saved once.
	if r := policy.CheckField(kind, id, field, value); r != nil {
		return r
	}
	return s.Update(ctx, func(tx *Tx) error {
		// Read under the service's lock: a pull cannot settle these
		// conflicts between this check and the save.
		var settled []changeset.Conflict
		err := s.st.Conflicts(ctx, func(c changeset.Conflict) error {
			if c.Kind == kind && c.Record == id && c.Field == field {
				settled = append(settled, c)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(settled) == 0 {
			return fmt.Errorf("no open conflict on %s of %s %s (resolved already?): %w", field, kind, id, domain.ErrNotFound)
		}
		st, err := tx.state(kind, id)
		if err != nil {
			return err
		}
		// Even keeping the value now is an operation: it records who
		// settled the conflict, and it reaches the other laptops.
		cur := st.Fields[field]
		ch := changeset.Change{Value: value, Base: cur.HLC}
		for _, c := range settled {
			ch.Settles = append(ch.Settles, changeset.Version{HLC: c.Loser.HLC, Device: c.Loser.Device})
		}
		if len(ch.Settles) > changeset.MaxSettles {
			ch.Settles = ch.Settles[:changeset.MaxSettles]
			settled = settled[:changeset.MaxSettles]
		}
		if _, err := tx.apply(kind, id, st.Council, changeset.ActionUpdate, st, map[string]changeset.Change{field: ch}); err != nil {
			return err
		}
		tx.writes[len(tx.writes)-1].Resolved = settled
		return nil
	})
}
