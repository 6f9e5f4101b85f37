package records

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// ChangeAppeal saves what a person changed in an appeal on a form: of the
// fields named (the appeal's JSON field names the form edits), those whose
// value in edited differs from shown, the appeal as the form showed it.
// Every other field keeps its value now, so a field another laptop changed
// since the form opened is not overwritten with what the form showed; in a
// collection (consultations, attachments) only the items the person
// changed, added or removed change, and an item added meanwhile is kept.
// With nothing changed nothing is written, and the appeal now is returned.
func (s *Service) ChangeAppeal(ctx context.Context, id string, shown, edited *domain.Appeal, fields []string) (out *domain.Appeal, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		now, _, err := tx.Appeal(id)
		if err != nil {
			return err
		}
		patch, err := changedFields(domain.KindAppeal, appealSchema, now, shown, edited, fields)
		if err != nil {
			return err
		}
		if patch == nil {
			out = now
			return tx.saveAgain(domain.KindAppeal, id)
		}
		out, err = tx.EditAppeal(id, patch)
		return err
	})
	return out, err
}

// ChangeEvent saves what a person changed in an event on a form (see
// ChangeAppeal; its collections are the follow-up actions and attachments).
func (s *Service) ChangeEvent(ctx context.Context, id string, shown, edited *domain.Event, fields []string) (out *domain.Event, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		st, err := tx.state(domain.KindEvent, id)
		if err != nil {
			return err
		}
		now, err := s.eventOf(st)
		if err != nil {
			return err
		}
		patch, err := changedFields(domain.KindEvent, eventSchema, now, shown, edited, fields)
		if err != nil {
			return err
		}
		if patch == nil {
			out = now
			return tx.saveAgain(domain.KindEvent, id)
		}
		out, err = tx.EditEvent(id, patch)
		return err
	})
	return out, err
}

// changedFields is the patch, onto now, of the named fields in which edited
// differs from shown (a field emptied is null; a collection is now's items
// with the person's changes), or nil when none does.
func changedFields(kind string, schema changeset.Schema, now, shown, edited any, fields []string) (json.RawMessage, error) {
	cur, err := fieldsOf(now)
	if err != nil {
		return nil, err
	}
	before, err := fieldsOf(shown)
	if err != nil {
		return nil, err
	}
	after, err := fieldsOf(edited)
	if err != nil {
		return nil, err
	}
	known := changeset.Names(edited)
	patch := map[string]json.RawMessage{}
	for _, f := range fields {
		if !known[f] {
			return nil, fmt.Errorf("%s has no field %q", kind, f)
		}
		b, a := before[f], after[f]
		if bytes.Equal(b, a) {
			continue
		}
		if slices.Contains(schema.Collections, f) {
			merged, err := mergeItems(cur[f], b, a)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", kind, f, err)
			}
			a = merged
		}
		if a == nil {
			a = json.RawMessage("null")
		}
		patch[f] = a
	}
	if len(patch) == 0 {
		return nil, nil
	}
	return json.Marshal(patch)
}

// mergeItems applies to the items now the changes that turn the items
// shown into edited, by item id: changed items are replaced where they
// are, items removed are dropped, new ones (or without an id) go at the
// end; items neither shown nor edited (added meanwhile) stay.
func mergeItems(now, shown, edited json.RawMessage) (json.RawMessage, error) {
	var cur, before, after []json.RawMessage
	for _, x := range []struct {
		raw  json.RawMessage
		into *[]json.RawMessage
	}{{now, &cur}, {shown, &before}, {edited, &after}} {
		if len(x.raw) > 0 && string(x.raw) != "null" {
			if err := json.Unmarshal(x.raw, x.into); err != nil {
				return nil, err
			}
		}
	}
	idOf := func(item json.RawMessage) string {
		var v struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(item, &v)
		return v.ID
	}
	shownByID := map[string]json.RawMessage{}
	for _, it := range before {
		if id := idOf(it); id != "" {
			shownByID[id] = it
		}
	}
	editedByID := map[string]json.RawMessage{}
	var added []json.RawMessage
	for _, it := range after {
		id := idOf(it)
		if id == "" {
			added = append(added, it)
			continue
		}
		editedByID[id] = it
		if old, ok := shownByID[id]; !ok || !bytes.Equal(old, it) {
			if !slices.ContainsFunc(cur, func(c json.RawMessage) bool { return idOf(c) == id }) {
				added = append(added, it)
			}
		}
	}
	out := make([]json.RawMessage, 0, len(cur)+len(added))
	for _, it := range cur {
		id := idOf(it)
		e, kept := editedByID[id]
		_, wasShown := shownByID[id]
		switch {
		case kept:
			if old := shownByID[id]; bytes.Equal(old, e) {
				out = append(out, it) // untouched here: as it is now
			} else {
				out = append(out, e)
			}
		case wasShown:
			// removed by the person
		default:
			out = append(out, it) // added elsewhere meanwhile
		}
	}
	out = append(out, added...)
	return json.Marshal(out)
}

// fieldsOf is v's JSON object, field by field.
func fieldsOf(v any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(b, &m)
}

// saveAgain is a form saved with nothing changed: no operation, but for
// a record whose creation the centre refused, sent again (Tx.sendAgain).
func (tx *Tx) saveAgain(kind, id string) error {
	cur, err := tx.state(kind, id)
	if err != nil {
		return err
	}
	_, err = tx.sendAgain(cur)
	return err
}
