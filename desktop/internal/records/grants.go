package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// Grants to councils (domain.Grant): central staff record them, with
// their milestones and disbursements; the council's laptop reports the
// milestones. Who writes what is shared/policy's rule, checked in
// tx.apply before anything is saved.

func (s *Service) grantOf(st *changeset.State) (*domain.Grant, error) {
	var g domain.Grant
	bad, err := s.fromFields(policy.GrantSchema, st, &g)
	if err != nil {
		return nil, err
	}
	g.ID = st.ID
	g.Meta = meta(st)
	g.Meta.Unreadable = bad
	return &g, nil
}

// SaveGrant saves a grant as central staff write it: a new one (g.ID
// empty) for g.Council, or the new fields of grant g.ID (its council
// and the council's reports stay as they are). Every fault is given at
// once, before anything is saved.
func (s *Service) SaveGrant(ctx context.Context, g domain.Grant) (out *domain.Grant, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		isNew := g.ID == ""
		var cur *changeset.State
		action := changeset.ActionCreate
		if isNew {
			g.ID = domain.NewID()
		} else {
			if cur, err = tx.state(domain.KindGrant, g.ID); err != nil {
				return err
			}
			if cur.Deleted() {
				return fmt.Errorf("grant %s is deleted: restore it before editing", g.ID)
			}
			old, err := tx.s.grantOf(cur)
			if err != nil {
				return err
			}
			g.Council, g.Reports = old.Council, old.Reports
			action = changeset.ActionUpdate
		}
		g.Meta = nil
		g.Normalize()
		if err := g.Validate(s.Today()); err != nil {
			return err
		}
		if isNew {
			if err := tx.councilExists(domain.KindGrant, g.Council); err != nil {
				return err
			}
		}
		st, err := tx.putGrant(&g, cur, action)
		if err != nil {
			return err
		}
		out, err = tx.s.grantOf(st)
		return err
	})
	return out, err
}

func (tx *Tx) putGrant(g *domain.Grant, cur *changeset.State, action changeset.Action) (*changeset.State, error) {
	fields, err := policy.GrantSchema.ToFields(g, domain.NotFields...)
	if err != nil {
		return nil, err
	}
	return tx.save(domain.KindGrant, g.ID, g.Council, action, cur, fields, changeset.Names(g))
}

// ReportMilestone saves the council's report of a milestone of grant id:
// milestone is its id, or its number in due order from 1 as lists show
// it. met false withdraws a report made by mistake; metOn zero is today
// when met. Only the faults of this report refuse it: a grant that
// central staff must correct elsewhere can still be reported.
func (s *Service) ReportMilestone(ctx context.Context, id, milestone string, met bool, metOn caldate.Date, note string) (out *domain.Grant, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		cur, err := tx.state(domain.KindGrant, id)
		if err != nil {
			return err
		}
		if cur.Deleted() {
			return fmt.Errorf("grant %s is deleted", id)
		}
		g, err := tx.s.grantOf(cur)
		if err != nil {
			return err
		}
		m, err := g.FindMilestone(milestone)
		if err != nil {
			return fmt.Errorf("grant %s: %w", id, err)
		}
		if met && metOn.IsZero() {
			metOn = s.Today()
		}
		if !met {
			metOn = caldate.Date{}
		}
		r := domain.MilestoneReport{ID: m.ID, Met: met, MetOn: metOn, Note: strings.TrimSpace(note)}
		g.Reports = slices.DeleteFunc(g.Reports, func(x domain.MilestoneReport) bool { return x.ID == m.ID })
		g.Reports = append(g.Reports, r)
		g.Meta = nil
		var ve *domain.ValidationError
		if err := g.Validate(s.Today()); errors.As(err, &ve) {
			var own []domain.FieldError
			for _, fe := range ve.Fields {
				if f, _, _ := strings.Cut(fe.Field, "."); f == "reports/"+m.ID {
					own = append(own, fe)
				}
			}
			if len(own) > 0 {
				return &domain.ValidationError{Kind: domain.KindGrant, Fields: own}
			}
		}
		st, err := tx.putGrant(g, cur, changeset.ActionUpdate)
		if err != nil {
			return err
		}
		out, err = tx.s.grantOf(st)
		return err
	})
	return out, err
}

// Grant reads one grant.
func (s *Service) Grant(ctx context.Context, id string) (*domain.Grant, error) {
	st, err := s.stateOf(ctx, domain.KindGrant, id)
	if err != nil {
		return nil, err
	}
	return s.grantOf(st)
}

// Grants lists the grants this laptop holds to council ("": every
// council it reads), the latest started first, without deleted ones.
func (s *Service) Grants(ctx context.Context, council string) ([]domain.Grant, error) {
	rows, err := s.ix.Query(index.Filter{Kind: domain.KindGrant, Council: council})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Grant, 0, len(rows))
	for _, row := range rows {
		if row.Deleted {
			continue
		}
		g, err := s.Grant(ctx, row.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, *g)
	}
	return out, nil
}
