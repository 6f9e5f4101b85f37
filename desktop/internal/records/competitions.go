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

// Competitions (domain.Competition): central staff set one up and record
// its entries; each juror scores on their own laptop, which writes only
// that juror's scores. Who writes what is shared/policy's rule, checked
// in tx.apply before anything is saved; the ranking is the domain's.

// ErrNotJuror: this laptop is not on a competition's jury.
var ErrNotJuror = errors.New("this laptop is not on the jury")

func (s *Service) competitionOf(st *changeset.State) (*domain.Competition, error) {
	var c domain.Competition
	bad, err := s.fromFields(policy.CompetitionSchema, st, &c)
	if err != nil {
		return nil, err
	}
	c.ID = st.ID
	c.Meta = meta(st)
	c.Meta.Unreadable = bad
	return &c, nil
}

// SaveCompetition saves a competition as central staff write it: a new
// one (c.ID empty), or the new fields of competition c.ID (its jurors'
// scores stay as they are: central staff never write them). Every fault
// is given at once, before anything is saved.
func (s *Service) SaveCompetition(ctx context.Context, c domain.Competition) (out *domain.Competition, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		var cur *changeset.State
		var old *domain.Competition
		action := changeset.ActionCreate
		if c.ID == "" {
			c.ID = domain.NewID()
		} else {
			if cur, err = tx.state(domain.KindCompetition, c.ID); err != nil {
				return err
			}
			if cur.Deleted() {
				return fmt.Errorf("competition %s is deleted: restore it before editing", c.ID)
			}
			if old, err = tx.s.competitionOf(cur); err != nil {
				return err
			}
			c.Scores = old.Scores
			action = changeset.ActionUpdate
		}
		c.Meta = nil
		c.Normalize()
		if err := c.Validate(s.Today()); err != nil {
			// A score is its juror's: central staff are not refused for
			// a score their change leaves out of the ranking.
			err = faultsBut(err, "scores/")
			// A juror kept as it was is not written, so the server
			// does not refuse the edit for that juror's faults (a
			// laptop named by a word before the rule,
			// domain.LaptopID): nor does the laptop.
			err = faultsOfChangedJurors(err, old, &c)
			if err != nil {
				return err
			}
		}
		st, err := tx.putCompetition(&c, cur, action, "")
		if err != nil {
			return err
		}
		out, err = tx.s.competitionOf(st)
		return err
	})
	return out, err
}

// faultsBut is err without its field errors on fields starting with
// prefix (nil when none is left).
func faultsBut(err error, prefix string) error {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var rest []domain.FieldError
	for _, fe := range ve.Fields {
		if !strings.HasPrefix(fe.Field, prefix) {
			rest = append(rest, fe)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return &domain.ValidationError{Kind: ve.Kind, Fields: rest}
}

// faultsOfChangedJurors is err without the faults of a laptop's id
// (domain.LaptopID) of the jurors c keeps exactly as the stored
// competition old has them (nil when none is left; old is nil for a new
// competition). Only those: two jurors on one laptop are refused
// whichever of them the edit changed.
func faultsOfChangedJurors(err error, old, c *domain.Competition) error {
	var ve *domain.ValidationError
	if old == nil || !errors.As(err, &ve) {
		return err
	}
	var rest []domain.FieldError
	for _, fe := range ve.Fields {
		item, field, _ := strings.Cut(fe.Field, ".")
		if id, ok := strings.CutPrefix(item, "jurors/"); ok && field == "device" && fe.Code == domain.CodeFormat {
			was, had := old.Juror(id)
			now, has := c.Juror(id)
			if had && has && was == now {
				continue
			}
		}
		rest = append(rest, fe)
	}
	if len(rest) == 0 {
		return nil
	}
	return &domain.ValidationError{Kind: ve.Kind, Fields: rest}
}

// putCompetition saves c; own is the one score it writes ("" for central
// staff, who write none). Every other score is kept as the juror's laptop
// wrote it, byte for byte: a score rebuilt here could differ in its bytes
// (the order of its properties) and be saved as this laptop's write of
// another juror's score, which the policy refuses.
func (tx *Tx) putCompetition(c *domain.Competition, cur *changeset.State, action changeset.Action, own string) (*changeset.State, error) {
	fields, err := policy.CompetitionSchema.ToFields(c, domain.NotFields...)
	if err != nil {
		return nil, err
	}
	for name := range fields {
		if strings.HasPrefix(name, "scores/") && name != own {
			delete(fields, name)
		}
	}
	if cur != nil {
		for name, f := range cur.Fields {
			if strings.HasPrefix(name, "scores/") && name != own {
				fields[name] = f.Value
			}
		}
	}
	return tx.save(domain.KindCompetition, c.ID, "", action, cur, fields, changeset.Names(c))
}

// AddEntry adds an entry to competition id (central staff). Its category
// may be given by name; its related jurors by name or device.
func (s *Service) AddEntry(ctx context.Context, id string, e domain.Entry) (*domain.Competition, *domain.Entry, error) {
	c, err := s.Competition(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	e.ID = domain.NewID()
	if cat := c.CategoryByRef(e.Category); cat.ID != "" {
		e.Category = cat.ID
	}
	for i, r := range e.Related {
		if j, ok := c.JurorByRef(r); ok {
			e.Related[i] = j.ID
		}
	}
	c.Entries = append(c.Entries, e)
	out, err := s.SaveCompetition(ctx, *c)
	if err != nil {
		return nil, nil, err
	}
	added, _ := out.Entry(e.ID)
	return out, &added, nil
}

// MarkRelated marks juror (by id, name or device) as related to an entry
// of competition id (by id or number): a conflict of interest, so the
// juror does not score it; related false takes the mark off (central
// staff). A score the juror made of it stays, left out of the ranking.
func (s *Service) MarkRelated(ctx context.Context, id, entry, juror string, related bool) (*domain.Competition, error) {
	c, err := s.Competition(ctx, id)
	if err != nil {
		return nil, err
	}
	e, err := c.FindEntry(entry)
	if err != nil {
		return nil, err
	}
	j, ok := c.JurorByRef(juror)
	if !ok {
		return nil, fmt.Errorf("%q is not a member of the jury of %q: give a juror's name, id or device", juror, c.Title)
	}
	for i := range c.Entries {
		if c.Entries[i].ID != e.ID {
			continue
		}
		c.Entries[i].Related = slices.DeleteFunc(c.Entries[i].Related, func(x string) bool { return x == j.ID })
		if related {
			c.Entries[i].Related = append(c.Entries[i].Related, j.ID)
		}
	}
	return s.SaveCompetition(ctx, *c)
}

// Juror is who this laptop scores as in competition c.
func (s *Service) Juror(c *domain.Competition) (domain.Juror, error) {
	return jurorOn(c, s.Device().ID)
}

func jurorOn(c *domain.Competition, device string) (domain.Juror, error) {
	j, ok := c.JurorOf(device)
	if !ok {
		return j, fmt.Errorf("competition %q: %w (device %s): central staff add a juror with this device's id", c.Title, ErrNotJuror, device)
	}
	return j, nil
}

// ScoreEntry saves this laptop's juror's score of an entry of
// competition id: entry is its id or its number in the competition's
// list (from 1); points are by criterion id. nil points withdraw the
// score. A juror related to the entry is refused with the reason; only
// the faults of this score refuse it.
func (s *Service) ScoreEntry(ctx context.Context, id, entry string, points map[string]int, note string) (out *domain.Competition, err error) {
	err = s.Update(ctx, func(tx *Tx) error {
		cur, err := tx.state(domain.KindCompetition, id)
		if err != nil {
			return err
		}
		if cur.Deleted() {
			return fmt.Errorf("competition %s is deleted", id)
		}
		c, err := tx.s.competitionOf(cur)
		if err != nil {
			return err
		}
		j, err := jurorOn(c, tx.s.dev.ID) // s.mu is held: not s.Device()
		if err != nil {
			return err
		}
		e, err := c.FindEntry(entry)
		if err != nil {
			return err
		}
		if err := c.MayScore(j.ID, e.ID); err != nil {
			return &domain.ValidationError{Kind: domain.KindCompetition, Fields: []domain.FieldError{
				{Field: "scores/" + domain.ScoreID(j.ID, e.ID), Code: domain.CodeForbidden, Message: err.Error()}}}
		}
		sid := domain.ScoreID(j.ID, e.ID)
		c.Scores = slices.DeleteFunc(c.Scores, func(x domain.Score) bool { return x.ID == sid })
		if points != nil {
			c.Scores = append(c.Scores, domain.Score{ID: sid, Juror: j.ID, Entry: e.ID, Points: points, On: s.Today(), Note: strings.TrimSpace(note)})
		}
		c.Meta = nil
		var ve *domain.ValidationError
		if err := c.Validate(s.Today()); errors.As(err, &ve) {
			var own []domain.FieldError
			for _, fe := range ve.Fields {
				if f, _, _ := strings.Cut(fe.Field, "."); f == "scores/"+sid {
					own = append(own, fe)
				}
			}
			if len(own) > 0 {
				return &domain.ValidationError{Kind: domain.KindCompetition, Fields: own}
			}
		}
		st, err := tx.putCompetition(c, cur, changeset.ActionUpdate, "scores/"+sid)
		if err != nil {
			return err
		}
		out, err = tx.s.competitionOf(st)
		return err
	})
	return out, err
}

// PublishWinners marks competition id published today (central staff),
// so that the public site shows its winners; refused, naming who has
// still to score, while a category's ranking is not complete.
func (s *Service) PublishWinners(ctx context.Context, id string, publish bool) (*domain.Competition, error) {
	c, err := s.Competition(ctx, id)
	if err != nil {
		return nil, err
	}
	c.PublishedOn = caldate.Date{}
	if publish {
		c.PublishedOn = s.Today()
	}
	return s.SaveCompetition(ctx, *c)
}

// Competition reads one competition.
func (s *Service) Competition(ctx context.Context, id string) (*domain.Competition, error) {
	st, err := s.stateOf(ctx, domain.KindCompetition, id)
	if err != nil {
		return nil, err
	}
	return s.competitionOf(st)
}

// Competitions lists the competitions this laptop holds, the latest
// deadline first, without deleted ones.
func (s *Service) Competitions(ctx context.Context) ([]domain.Competition, error) {
	rows, err := s.ix.Query(index.Filter{Kind: domain.KindCompetition})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Competition, 0, len(rows))
	for _, row := range rows {
		if row.Deleted {
			continue
		}
		c, err := s.Competition(ctx, row.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	slices.SortStableFunc(out, func(a, b domain.Competition) int { return b.Deadline.Compare(a.Deadline) })
	return out, nil
}
