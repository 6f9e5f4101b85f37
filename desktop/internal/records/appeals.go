package records

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/jsonin"
)

// Fields a patch may not touch: assigned by Kenesh, changed by a workflow
// step, or derived.
var appealFixed = []string{"id", "reg_no", "council", "status", "meta", "deadlines", "overdue", "next_statuses",
	"verified_on", "rejection_reason", "referred_on", "answered_on", "closed_on", "attachments", "imported"}

// CreateAppeal saves a new appeal, giving it an id and a registration number.
func (tx *Tx) CreateAppeal(a domain.Appeal) (*domain.Appeal, error) {
	today := tx.s.Today()
	if a.RegNo != "" {
		return nil, fieldErr(domain.KindAppeal, "reg_no", domain.CodeForbidden, "is assigned by Kenesh; leave it out")
	}
	if a.Status != "" && a.Status != domain.StatusReceived {
		return nil, fieldErr(domain.KindAppeal, "status", domain.CodeForbidden, "a new appeal starts as received; move it with a workflow step")
	}
	if err := tx.newID(domain.KindAppeal, &a.ID); err != nil {
		return nil, err
	}
	if a.Council == "" {
		a.Council = tx.s.home
	}
	a.Normalize(today)
	if err := a.Validate(tx.s.cat, today); err != nil {
		return nil, err
	}
	if err := tx.councilExists(domain.KindAppeal, a.Council); err != nil {
		return nil, err
	}
	regNo, err := tx.nextRegNo(a.Council, a.RegisteredOn.Year())
	if err != nil {
		return nil, err
	}
	a.RegNo = regNo
	return tx.putAppeal(&a, nil, changeset.ActionCreate)
}

func (tx *Tx) putAppeal(a *domain.Appeal, cur *changeset.State, action changeset.Action) (*domain.Appeal, error) {
	fields, err := appealSchema.ToFields(a, domain.NotFields...)
	if err != nil {
		return nil, err
	}
	st, err := tx.save(domain.KindAppeal, a.ID, a.Council, action, cur, fields, changeset.Names(a))
	if err != nil {
		return nil, err
	}
	return tx.s.appealOf(st)
}

// Appeal returns an appeal as this Tx sees it.
func (tx *Tx) Appeal(id string) (*domain.Appeal, *changeset.State, error) {
	st, err := tx.state(domain.KindAppeal, id)
	if err != nil {
		return nil, nil, err
	}
	a, err := tx.s.appealOf(st)
	return a, st, err
}

// EditAppeal changes the fields present in patch (a JSON object of appeal
// fields); the others keep their value.
func (tx *Tx) EditAppeal(id string, patch json.RawMessage) (*domain.Appeal, error) {
	a, st, err := tx.Appeal(id)
	if err != nil {
		return nil, err
	}
	if st.Deleted() {
		return nil, fmt.Errorf("appeal %s is deleted: restore it before editing", a.RegNo)
	}
	var next domain.Appeal
	if err := applyPatch(domain.KindAppeal, a, patch, appealFixed, &next); err != nil {
		return nil, err
	}
	today := tx.s.Today()
	next.Normalize(today)
	if err := next.Validate(tx.s.cat, today); err != nil {
		return nil, err
	}
	return tx.putAppeal(&next, st, changeset.ActionUpdate)
}

// MoveAppeal applies a workflow step.
func (tx *Tx) MoveAppeal(id string, step domain.Step) (*domain.Appeal, error) {
	a, st, err := tx.Appeal(id)
	if err != nil {
		return nil, err
	}
	if st.Deleted() {
		return nil, fmt.Errorf("appeal %s is deleted: restore it before moving it", a.RegNo)
	}
	today := tx.s.Today()
	if err := a.Move(step, today); err != nil {
		return nil, err
	}
	if err := a.Validate(tx.s.cat, today); err != nil {
		return nil, err
	}
	return tx.putAppeal(a, st, changeset.ActionUpdate)
}

// AddConsultation logs a free legal consultation on an appeal, at any step.
func (tx *Tx) AddConsultation(id string, c domain.Consultation) (*domain.Appeal, error) {
	a, st, err := tx.Appeal(id)
	if err != nil {
		return nil, err
	}
	c.ID = ""
	c.AtStatus = ""
	a.Consultations = append(a.Consultations, c)
	today := tx.s.Today()
	a.Normalize(today)
	if err := a.Validate(tx.s.cat, today); err != nil {
		return nil, err
	}
	return tx.putAppeal(a, st, changeset.ActionUpdate)
}

// applyPatch overlays patch on cur (both as JSON objects) into next,
// refusing unknown fields and fixed ones, so a typing error in a script is
// an error rather than silently ignored.
func applyPatch(kind string, cur any, patch json.RawMessage, fixed []string, next any) error {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(patch, &p); err != nil {
		return fmt.Errorf("%s: the changes must be a JSON object of fields: %w", kind, err)
	}
	if len(p) == 0 {
		return fmt.Errorf("%s: no fields to change", kind)
	}
	for k := range p {
		if slices.Contains(fixed, k) {
			return fieldErr(kind, k, domain.CodeForbidden, "cannot be edited (it is assigned by Kenesh or changed by a workflow step)")
		}
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for k, v := range p {
		m[k] = v
	}
	b, err = json.Marshal(m)
	if err != nil {
		return err
	}
	return jsonin.Decode(kind, b, next)
}

func fieldErr(kind, field, code, msg string) error {
	return &domain.ValidationError{Kind: kind, Fields: []domain.FieldError{{Field: field, Code: code, Message: msg}}}
}

// newID assigns a fresh id, or accepts a given one that is valid and unused
// (records imported from elsewhere keep their id).
func (tx *Tx) newID(kind string, id *string) error {
	if *id == "" {
		*id = domain.NewID()
		return nil
	}
	if !domain.ValidID(*id) {
		return fieldErr(kind, "id", domain.CodeFormat, "is not a UUID; leave it out and Kenesh assigns one")
	}
	if _, err := tx.state(kind, *id); err == nil {
		return fieldErr(kind, "id", domain.CodeForbidden, "is already used by another record")
	}
	return nil
}

func (tx *Tx) councilExists(kind, code string) error {
	if st, err := tx.state(domain.KindCouncil, code); err == nil && !st.Deleted() {
		return nil
	}
	return fieldErr(kind, "council", domain.CodeUnknown, fmt.Sprintf("%q is not a council of this installation (add it with 'keneshctl council add')", code))
}

// Delete marks a record deleted. The record and its history are kept (the
// tombstone syncs like any edit); Restore undoes it.
func (tx *Tx) Delete(kind, id string) error { return tx.setDeleted(kind, id, true) }

// Restore undoes Delete.
func (tx *Tx) Restore(kind, id string) error { return tx.setDeleted(kind, id, false) }

func (tx *Tx) setDeleted(kind, id string, del bool) error {
	st, err := tx.state(kind, id)
	if err != nil {
		return err
	}
	if st.Deleted() == del {
		return nil
	}
	action := changeset.ActionDelete
	if !del {
		action = changeset.ActionUpdate
	}
	v := json.RawMessage("false")
	if del {
		v = json.RawMessage("true")
	}
	_, err = tx.apply(kind, id, st.Council, action, st, map[string]changeset.Change{
		changeset.DeletedField: {Value: v, Base: st.Fields[changeset.DeletedField].HLC},
	})
	return err
}

// Service-level single saves, each its own transaction.

// CreateAppeal saves a new appeal.
func (s *Service) CreateAppeal(ctx context.Context, a domain.Appeal) (out *domain.Appeal, err error) {
	err = s.Update(ctx, func(tx *Tx) error { out, err = tx.CreateAppeal(a); return err })
	return out, err
}

// EditAppeal changes the fields in patch.
func (s *Service) EditAppeal(ctx context.Context, id string, patch json.RawMessage) (out *domain.Appeal, err error) {
	err = s.Update(ctx, func(tx *Tx) error { out, err = tx.EditAppeal(id, patch); return err })
	return out, err
}

// MoveAppeal applies a workflow step.
func (s *Service) MoveAppeal(ctx context.Context, id string, step domain.Step) (out *domain.Appeal, err error) {
	err = s.Update(ctx, func(tx *Tx) error { out, err = tx.MoveAppeal(id, step); return err })
	return out, err
}

// AddConsultation logs a legal consultation.
func (s *Service) AddConsultation(ctx context.Context, id string, c domain.Consultation) (out *domain.Appeal, err error) {
	err = s.Update(ctx, func(tx *Tx) error { out, err = tx.AddConsultation(id, c); return err })
	return out, err
}

// Delete marks a record deleted.
func (s *Service) Delete(ctx context.Context, kind, id string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Delete(kind, id) })
}

// Restore undoes a deletion.
func (s *Service) Restore(ctx context.Context, kind, id string) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.Restore(kind, id) })
}

// Appeal reads one appeal.
func (s *Service) Appeal(ctx context.Context, id string) (*domain.Appeal, error) {
	st, err := s.stateOf(ctx, domain.KindAppeal, id)
	if err != nil {
		return nil, err
	}
	return s.appealOf(st)
}
