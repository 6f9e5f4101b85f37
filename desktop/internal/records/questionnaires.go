package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/shared/xlsform"
)

// Questionnaires (domain.Questionnaire, one record per version of a
// definition, published by central staff for every council) and their
// responses (domain.Response, a council's records, one item per answer).

var responseSchema = changeset.Schema{Collections: domain.ResponseCollections}

// ErrPublished is a version of a questionnaire published already.
var ErrPublished = errors.New("this version of the questionnaire is published already")

// PublishQuestionnaire saves version f.Version of form f.ID for every
// council; source is the workbook's file name. A version is published
// once: a changed form needs a new version in its settings sheet.
func (s *Service) PublishQuestionnaire(ctx context.Context, f *xlsform.Form, source string) (*domain.Questionnaire, error) {
	def, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("questionnaire %s: %w", f.ID, err)
	}
	q := domain.Questionnaire{ID: domain.QuestionnaireID(f.ID, f.Version), FormID: f.ID, Version: f.Version,
		PublishedOn: s.Today(), Definition: def, Source: source}
	for l, t := range f.Title {
		if l == "" {
			l = f.DefaultLanguage
		}
		if l != "" && t != "" {
			if q.Title == nil {
				q.Title = map[string]string{}
			}
			q.Title[l] = t
		}
	}
	if err := q.Validate(s.Today()); err != nil {
		return nil, err
	}
	var out *domain.Questionnaire
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.state(domain.KindQuestionnaire, q.ID); err == nil {
			return fmt.Errorf("%s version %s: %w (give the form a new version in its settings sheet)", f.ID, f.Version, ErrPublished)
		} else if !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		fields, err := (changeset.Schema{}).ToFields(&q, domain.NotFields...)
		if err != nil {
			return err
		}
		st, err := tx.save(domain.KindQuestionnaire, q.ID, "", changeset.ActionCreate, nil, fields, changeset.Names(&q))
		if err != nil {
			return err
		}
		out, _, err = policy.Questionnaire(st, s.Today())
		if out != nil {
			out.Meta = meta(st)
		}
		return err
	})
	return out, err
}

// Questionnaires lists every version of every questionnaire this laptop
// holds, newest published first.
func (s *Service) Questionnaires(ctx context.Context) ([]domain.Questionnaire, error) {
	rows, err := s.ix.Query(index.Filter{Kind: domain.KindQuestionnaire})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Questionnaire, 0, len(rows))
	for _, r := range rows {
		if r.Deleted {
			continue
		}
		q, _, err := s.questionnaireByID(ctx, r.ID)
		if err != nil {
			// A definition this version cannot read (a newer app's
			// form) is left out of the list, never the whole list.
			s.log.Warn("a questionnaire that cannot be read is not listed", "id", r.ID, "err", err)
			continue
		}
		out = append(out, *q)
	}
	slices.SortStableFunc(out, func(a, b domain.Questionnaire) int {
		if c := b.PublishedOn.Compare(a.PublishedOn); c != 0 {
			return c
		}
		if c := b.Meta.CreatedAt.Compare(a.Meta.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}

func (s *Service) questionnaireByID(ctx context.Context, id string) (*domain.Questionnaire, *xlsform.Form, error) {
	st, err := s.stateOf(ctx, domain.KindQuestionnaire, id)
	if err != nil {
		return nil, nil, err
	}
	q, f, err := policy.Questionnaire(st, s.Today())
	if err != nil {
		return nil, nil, err
	}
	q.Meta = meta(st)
	return q, f, nil
}

// Questionnaire returns version of form formID and its form; version ""
// is the newest published here.
func (s *Service) Questionnaire(ctx context.Context, formID, version string) (*domain.Questionnaire, *xlsform.Form, error) {
	if version != "" {
		return s.questionnaireByID(ctx, domain.QuestionnaireID(formID, version))
	}
	all, err := s.Questionnaires(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, q := range all {
		if q.FormID == formID {
			return s.questionnaireByID(ctx, q.ID)
		}
	}
	return nil, nil, fmt.Errorf("questionnaire %s: %w (it reaches this laptop with the sync after central staff publish it)", formID, domain.ErrNotFound)
}

// SaveResponse saves a response: a new one (r.ID empty) to version
// r.Version of form r.FormID (the newest here when empty), for r.Council
// (this laptop's council when empty), or new answers to response r.ID
// (its form, version and council stay). r.Answers are all its answers:
// a question left out is unanswered. They are checked against the
// definition (xlsform.Form.Check) before anything is saved.
func (s *Service) SaveResponse(ctx context.Context, r domain.Response) (*domain.Response, error) {
	isNew := r.ID == ""
	if isNew {
		r.ID = domain.NewID()
		if r.Council == "" {
			r.Council = s.HomeCouncil()
		}
		if r.FilledOn.IsZero() {
			r.FilledOn = s.Today()
		}
	} else {
		old, err := s.Response(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		r.Council, r.FormID, r.Version = old.Council, old.FormID, old.Version
		if r.FilledOn.IsZero() {
			r.FilledOn = old.FilledOn
		}
		if r.Event == "" {
			r.Event = old.Event
		}
	}
	r.Normalize()
	_, f, err := s.Questionnaire(ctx, r.FormID, r.Version)
	if err != nil {
		return nil, err
	}
	r.Version, r.Meta = f.Version, nil
	answers := xlsform.Answers{}
	var kept []domain.Answer
	for _, a := range r.Answers {
		if answeredValue(a.Value) {
			answers[a.ID] = a.Value
			kept = append(kept, a)
		}
	}
	r.Answers = kept
	// Every fault at once: the response's own fields, then its answers,
	// each named by its question.
	var faults []domain.FieldError
	for _, err := range []error{r.Validate(s.Today()), f.Check(answers, s.Today())} {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			faults = append(faults, ve.Fields...)
		} else if err != nil {
			return nil, err
		}
	}
	if len(faults) > 0 {
		return nil, &domain.ValidationError{Kind: domain.KindResponse, Fields: faults}
	}
	fields, err := responseSchema.ToFields(&r, domain.NotFields...)
	if err != nil {
		return nil, err
	}
	var out *domain.Response
	err = s.Update(ctx, func(tx *Tx) error {
		var cur *changeset.State
		action := changeset.ActionCreate
		if !isNew {
			st, err := tx.state(domain.KindResponse, r.ID)
			if err != nil {
				return fmt.Errorf("response %s: %w", r.ID, err)
			}
			cur, action = st, changeset.ActionUpdate
		}
		st, err := tx.save(domain.KindResponse, r.ID, r.Council, action, cur, fields, changeset.Names(&r))
		if err != nil {
			return err
		}
		out, err = s.responseOf(st)
		return err
	})
	return out, err
}

// answeredValue: null, "" and [] are no answer, and are not kept.
func answeredValue(v json.RawMessage) bool {
	t := strings.TrimSpace(string(v))
	return t != "" && t != "null" && t != `""` && t != "[]"
}

// Response returns a response.
func (s *Service) Response(ctx context.Context, id string) (*domain.Response, error) {
	st, err := s.stateOf(ctx, domain.KindResponse, id)
	if err != nil {
		return nil, err
	}
	return s.responseOf(st)
}

// responseOf rebuilds a response; answers or fields that do not fit (a
// laptop with a bug, a newer version) are left out and named in
// Meta.Unreadable, as for every kind.
func (s *Service) responseOf(st *changeset.State) (*domain.Response, error) {
	var r domain.Response
	bad, err := s.fromFields(responseSchema, st, &r)
	if err != nil {
		return nil, err
	}
	r.ID = st.ID
	r.Meta = meta(st)
	r.Meta.Unreadable = bad
	return &r, nil
}

// Responses lists the responses to form formID ("": every form) this
// laptop may read, newest filled first, without deleted ones.
func (s *Service) Responses(ctx context.Context, formID string) ([]domain.Response, error) {
	rows, err := s.ix.Query(index.Filter{Kind: domain.KindResponse})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Response, 0, len(rows))
	for _, row := range rows {
		if row.Deleted || formID != "" && row.Category != formID {
			continue
		}
		r, err := s.Response(ctx, row.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	slices.SortStableFunc(out, func(a, b domain.Response) int {
		if c := b.FilledOn.Compare(a.FilledOn); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, nil
}
