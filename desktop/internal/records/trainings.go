package records

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/shared/xlsform"
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

// ErrAttendanceHidden is the attendance list of a training this laptop's
// role may not read (policy.MayReadAttendance).
var ErrAttendanceHidden = errors.New("the attendance list names people: only the training's council and central staff read it")

// Attendance is the attendance list of training event, ordered by name,
// for a laptop whose role may read it (policy.MayReadAttendance; a laptop
// not yet enrolled reads what it holds).
func (s *Service) Attendance(ctx context.Context, event string) (*domain.Event, []domain.Attendee, error) {
	e, err := s.Event(ctx, event)
	if err != nil {
		return nil, nil, err
	}
	if dev, enrolled := s.Reader(); enrolled && !policy.MayReadAttendance(dev, e.Council) {
		return nil, nil, fmt.Errorf("training %s: %w", event, ErrAttendanceHidden)
	}
	return e, e.AttendeesByName(), nil
}

// SaveAttendee adds a to the attendance list of training event (a.ID
// empty), or changes attendee a.ID. It returns the training and the
// attendee as saved.
func (s *Service) SaveAttendee(ctx context.Context, event string, a domain.Attendee) (*domain.Event, *domain.Attendee, error) {
	e, saved, err := s.SaveAttendees(ctx, event, []domain.Attendee{a})
	if err != nil {
		return nil, nil, err
	}
	return e, &saved[0], nil
}

// SaveAttendees saves several attendees at once (a list typed from a
// paper sheet): all of them, or, with any at fault, none, every fault
// named.
func (s *Service) SaveAttendees(ctx context.Context, event string, list []domain.Attendee) (*domain.Event, []domain.Attendee, error) {
	if len(list) == 0 {
		return nil, nil, errors.New("no attendees to save")
	}
	list = slices.Clone(list)
	isNew := make([]bool, len(list))
	for i := range list {
		isNew[i] = list[i].ID == ""
		list[i].Normalize()
	}
	e, err := s.editTraining(ctx, event, func(e *domain.Event) ([]string, error) {
		own := []string{"attendees"}
		for k, a := range list {
			i := slices.IndexFunc(e.Attendees, func(x domain.Attendee) bool { return x.ID == a.ID })
			switch {
			case i < 0 && !isNew[k]:
				return nil, fmt.Errorf("training %s has no attendee %s: %w", event, a.ID, domain.ErrNotFound)
			case i < 0:
				e.Attendees = append(e.Attendees, a)
			default:
				e.Attendees[i] = a
			}
			own = append(own, "attendees/"+a.ID)
		}
		return own, nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([]domain.Attendee, len(list))
	for i, a := range list {
		out[i], _ = e.Attendee(a.ID)
	}
	return e, out, nil
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

// TrainingResults is what the tests taken at training event show before
// and after it (xlsform.Form.Learn): one result per version of a form
// that tells a test before from one after (xlsform.Form.Staged) and has
// responses linked to the training, ordered by form and version. Other
// forms filled at the training (feedback) are not tests and are left out.
func (s *Service) TrainingResults(ctx context.Context, event string) ([]xlsform.Learning, error) {
	if _, err := s.Event(ctx, event); err != nil {
		return nil, err
	}
	all, err := s.Responses(ctx, "")
	if err != nil {
		return nil, err
	}
	type key struct{ form, version string }
	byForm := map[key][]xlsform.Answers{}
	var keys []key
	for _, r := range all {
		if r.Event != event {
			continue
		}
		k := key{r.FormID, r.Version}
		if _, ok := byForm[k]; !ok {
			keys = append(keys, k)
		}
		byForm[k] = append(byForm[k], r.AnswerMap())
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.form, b.form); c != 0 {
			return c
		}
		return strings.Compare(a.version, b.version)
	})
	var out []xlsform.Learning
	for _, k := range keys {
		_, f, err := s.Questionnaire(ctx, k.form, k.version)
		if err != nil {
			return nil, fmt.Errorf("the results of training %s: %w", event, err)
		}
		if f.Staged() {
			out = append(out, f.Learn(byForm[k]))
		}
	}
	return out, nil
}
