package records

import (
	"context"
	"fmt"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// The records list the files attached to them; their content is kept apart
// (package files).

// Attachments returns the attachments of a record; an error if the record
// does not exist or its kind has no attachments.
func (s *Service) Attachments(ctx context.Context, kind, id string) ([]domain.Attachment, error) {
	switch kind {
	case domain.KindAppeal:
		a, err := s.Appeal(ctx, id)
		if err != nil {
			return nil, err
		}
		return a.Attachments, nil
	case domain.KindEvent:
		e, err := s.Event(ctx, id)
		if err != nil {
			return nil, err
		}
		return e.Attachments, nil
	}
	return nil, fmt.Errorf("only appeals and events have attachments, not %q", kind)
}

// Attachment returns the attachment of a record named by ref, its id or
// its file name.
func (s *Service) Attachment(ctx context.Context, kind, id, ref string) (*domain.Attachment, error) {
	list, err := s.Attachments(ctx, kind, id)
	if err != nil {
		return nil, fmt.Errorf("attachment: %w", err)
	}
	for i := range list {
		if list[i].ID == ref || list[i].Name == ref {
			att := list[i]
			return &att, nil
		}
	}
	return nil, fmt.Errorf("attachment %s of %s %s: %w", ref, kind, id, domain.ErrNotFound)
}

// AddAttachment adds att, whose content is stored already, to a record.
func (s *Service) AddAttachment(ctx context.Context, kind, id string, att domain.Attachment) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.addAttachment(kind, id, att) })
}

func (tx *Tx) addAttachment(kind, id string, att domain.Attachment) error {
	st, err := tx.state(kind, id)
	if err != nil {
		return err
	}
	if st.Deleted() {
		return fmt.Errorf("%s %s is deleted: restore it before attaching files", kind, id)
	}
	// One new collection item: only that field changes, whatever else the
	// record holds, so it merges with concurrent edits of the record.
	probe := struct {
		Attachments []domain.Attachment `json:"attachments"`
	}{[]domain.Attachment{att}}
	fields, err := (changeset.Schema{Collections: []string{"attachments"}}).ToFields(probe)
	if err != nil {
		return err
	}
	if err := domain.ValidateAttachment(kind, att); err != nil {
		return err
	}
	changes := map[string]changeset.Change{}
	for k, v := range fields {
		changes[k] = changeset.Change{Value: v}
	}
	_, err = tx.apply(kind, id, st.Council, changeset.ActionUpdate, st, changes)
	return err
}

// RemoveAttachment removes the attachment attID from a record.
func (s *Service) RemoveAttachment(ctx context.Context, kind, id, attID string) error {
	return s.Update(ctx, func(tx *Tx) error {
		st, err := tx.state(kind, id)
		if err != nil {
			return err
		}
		field := "attachments" + changeset.ItemSep + attID
		if _, ok := st.Fields[field]; !ok {
			return fmt.Errorf("attachment %s of %s %s: %w", attID, kind, id, domain.ErrNotFound)
		}
		_, err = tx.apply(kind, id, st.Council, changeset.ActionUpdate, st, map[string]changeset.Change{
			field: {Value: []byte("null"), Base: st.Fields[field].HLC},
		})
		return err
	})
}
