package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// Trainings (domain/training.go): the attendance list and the materials
// used are items of the training's event, each written by an operation
// of its own, so two laptops adding people to the same training offline
// both keep theirs, and removing one is an operation in the history.

// editTraining loads event id, lets change edit it and saves what
// changed. Only the faults of the fields named by own (a field or an
// item of the change log, "attendees/ID") refuse the save: an old event
// a later rule would refuse can still get its attendance.
func (s *Service) editTraining(ctx context.Context, id string, change func(e *domain.Event) (own []string, err error)) (out *domain.Event, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		cur, err := tx.state(domain.KindEvent, id)
		if err != nil {
			return err
		}
		if cur.Deleted() {
			return fmt.Errorf("event %s is deleted: restore it before changing its attendance", id)
		}
		e, err := tx.s.eventOf(cur)
		if err != nil {
			return err
		}
		if !e.IsTraining() {
			return fmt.Errorf("event %s is a %s, not a training: attendance and materials are kept for trainings (make its kind training first)", id, e.Kind)
		}
		own, err := change(e)
		if err != nil {
			return err
		}
		e.Meta = nil
		var ve *domain.ValidationError
		if err := e.Validate(tx.s.cat, tx.s.Today()); errors.As(err, &ve) {
			var mine []domain.FieldError
			for _, fe := range ve.Fields {
				f, _, _ := strings.Cut(fe.Field, ".")
				if slices.Contains(own, f) {
					mine = append(mine, fe)
				}
			}
			if len(mine) > 0 {
				return &domain.ValidationError{Kind: domain.KindEvent, Fields: mine}
			}
		} else if err != nil {
			return err
		}
		out, err = tx.putEvent(e, cur, changeset.ActionUpdate)
		return err
	})
	return out, err
}

// SaveAttendee adds a to the attendance list of training event (a.ID
// empty), or changes attendee a.ID. It returns the training and the
// attendee as saved.
func (s *Service) SaveAttendee(ctx context.Context, event string, a domain.Attendee) (*domain.Event, *domain.Attendee, error) {
	isNew := a.ID == ""
	a.Normalize()
	e, err := s.editTraining(ctx, event, func(e *domain.Event) ([]string, error) {
		i := slices.IndexFunc(e.Attendees, func(x domain.Attendee) bool { return x.ID == a.ID })
		switch {
		case i < 0 && !isNew:
			return nil, fmt.Errorf("training %s has no attendee %s: %w", event, a.ID, domain.ErrNotFound)
		case i < 0:
			e.Attendees = append(e.Attendees, a)
		default:
			e.Attendees[i] = a
		}
		return []string{"attendees/" + a.ID, "attendees"}, nil
	})
	if err != nil {
		return nil, nil, err
	}
	saved, _ := e.Attendee(a.ID)
	return e, &saved, nil
}

// RemoveAttendee takes attendee id off the attendance list of training
// event. The removal is an operation of its own: the history shows who
// removed whom, and a laptop that had not seen the removal keeps its own
// edits of other attendees.
func (s *Service) RemoveAttendee(ctx context.Context, event, id string) (*domain.Event, error) {
	return s.editTraining(ctx, event, func(e *domain.Event) ([]string, error) {
		n := len(e.Attendees)
		e.Attendees = slices.DeleteFunc(e.Attendees, func(x domain.Attendee) bool { return x.ID == id })
		if len(e.Attendees) == n {
			return nil, fmt.Errorf("training %s has no attendee %s: %w", event, id, domain.ErrNotFound)
		}
		return nil, nil
	})
}

// UseMaterial marks material (a material this laptop holds) used at
// training event, or, with used false, not used.
func (s *Service) UseMaterial(ctx context.Context, event, material string, used bool) (*domain.Event, error) {
	if used {
		m, err := s.Material(ctx, material)
		if err != nil {
			return nil, fmt.Errorf("material %s: %w (list the materials with keneshctl material list)", material, err)
		}
		if m.Meta != nil && m.Meta.Deleted {
			return nil, fmt.Errorf("material %s is withdrawn", material)
		}
	}
	return s.editTraining(ctx, event, func(e *domain.Event) ([]string, error) {
		has := e.UsesMaterial(material)
		switch {
		case used && !has:
			e.Materials = append(e.Materials, domain.MaterialUse{ID: material})
		case !used && has:
			e.Materials = slices.DeleteFunc(e.Materials, func(m domain.MaterialUse) bool { return m.ID == material })
		}
		return []string{"materials/" + material}, nil
	})
}
