package records

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

var eventFixed = []string{"id", "council", "meta", "attachments", "imported"}

// CreateEvent saves a new event.
func (tx *Tx) CreateEvent(e domain.Event) (*domain.Event, error) {
	if err := tx.newID(domain.KindEvent, &e.ID); err != nil {
		return nil, err
	}
	if e.Council == "" {
		e.Council = tx.s.home
	}
	e.Normalize()
	today := tx.s.Today()
	if err := e.Validate(tx.s.cat, today); err != nil {
		return nil, err
	}
	if err := tx.councilExists(domain.KindEvent, e.Council); err != nil {
		return nil, err
	}
	return tx.putEvent(&e, nil, changeset.ActionCreate)
}

func (tx *Tx) putEvent(e *domain.Event, cur *changeset.State, action changeset.Action) (*domain.Event, error) {
	fields, err := eventSchema.ToFields(e, domain.NotFields...)
	if err != nil {
		return nil, err
	}
	st, err := tx.save(domain.KindEvent, e.ID, e.Council, action, cur, fields, changeset.Names(e))
	if err != nil {
		return nil, err
	}
	return tx.s.eventOf(st)
}

// EditEvent changes the fields present in patch.
func (tx *Tx) EditEvent(id string, patch json.RawMessage) (*domain.Event, error) {
	st, err := tx.state(domain.KindEvent, id)
	if err != nil {
		return nil, err
	}
	if st.Deleted() {
		return nil, fmt.Errorf("event %s is deleted: restore it before editing", id)
	}
	e, err := tx.s.eventOf(st)
	if err != nil {
		return nil, err
	}
	var next domain.Event
	if err := applyPatch(domain.KindEvent, e, patch, eventFixed, &next); err != nil {
		return nil, err
	}
	next.Normalize()
	if err := next.Validate(tx.s.cat, tx.s.Today()); err != nil {
		return nil, err
	}
	return tx.putEvent(&next, st, changeset.ActionUpdate)
}

// AddCouncil saves a council, or changes its name and place.
func (tx *Tx) AddCouncil(c domain.Council) (*domain.Council, error) {
	if err := c.Validate(tx.s.cat); err != nil {
		return nil, err
	}
	cur, err := tx.state(domain.KindCouncil, c.Code)
	action := changeset.ActionUpdate
	if err != nil {
		cur, action = nil, changeset.ActionCreate
	}
	fields, err := (changeset.Schema{}).ToFields(c, "code")
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.Deleted() {
		fields[changeset.DeletedField] = json.RawMessage("false")
	}
	st, err := tx.save(domain.KindCouncil, c.Code, c.Code, action, cur, fields, changeset.Names(c))
	if err != nil {
		return nil, err
	}
	return councilOf(st)
}

// CreateEvent saves a new event.
func (s *Service) CreateEvent(ctx context.Context, e domain.Event) (out *domain.Event, err error) {
	err = s.Update(ctx, func(tx *Tx) error { out, err = tx.CreateEvent(e); return err })
	return out, err
}

// EditEvent changes the fields in patch.
func (s *Service) EditEvent(ctx context.Context, id string, patch json.RawMessage) (out *domain.Event, err error) {
	err = s.Update(ctx, func(tx *Tx) error { out, err = tx.EditEvent(id, patch); return err })
	return out, err
}

// AddCouncil saves a council.
func (s *Service) AddCouncil(ctx context.Context, c domain.Council) (out *domain.Council, err error) {
	err = s.Update(ctx, func(tx *Tx) error { out, err = tx.AddCouncil(c); return err })
	return out, err
}

// Event reads one event.
func (s *Service) Event(ctx context.Context, id string) (*domain.Event, error) {
	st, err := s.stateOf(ctx, domain.KindEvent, id)
	if err != nil {
		return nil, err
	}
	return s.eventOf(st)
}
