package records

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/kenesh/kenesh/desktop/internal/facts"
	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// How appeals and events map onto the fields of the change log: their
// collections are items of their own (domain.Collections).
var (
	appealSchema = changeset.Schema{Collections: domain.AppealCollections}
	eventSchema  = changeset.Schema{Collections: domain.EventCollections}
)

func meta(st *changeset.State) *domain.Meta {
	m := &domain.Meta{CreatedBy: st.Author, Device: st.Device, UpdatedAt: st.Updated.Time(), Deleted: st.Deleted()}
	if st.Created != 0 { // 0: its create operation has not arrived yet
		m.CreatedAt = st.Created.Time()
	}
	return m
}

// appealOf rebuilds an appeal from its state, with what is derived on reading.
func (s *Service) appealOf(st *changeset.State) (*domain.Appeal, error) {
	return s.appealOfFields(st, nil)
}

// appealRowFields are the fields of an appeal that its index row, without
// its search words, is made of (rowOf: the columns, the deadlines derived,
// facts.OfAppeal). A report as of a past day makes the rows of every
// appeal merged again from its history: decoding only these leaves out
// the texts (description, appellant, notes) that make most of an appeal's
// JSON. TestRowOfReportFields checks the rows made so against those of
// the whole appeal.
var appealRowFields = map[string]bool{
	"council": true, "oblast": true, "district": true, "status": true, "category": true, "received_on": true,
	"summary": true, "reg_no": true, "registered_on": true, "extension_days": true,
	"channel": true, "authority": true, "gender": true, "age_group": true, "vulnerable_groups": true,
	"answered_on": true, "closed_on": true, "referred_on": true, "consultations": true,
	"published": true, "ready_for_publication": true, "public_summary": true, "rejection_reason": true,
}

// appealSearchFields are appealRowFields and the texts an appeal's search
// words are made of: all that its index row with its search words is made
// of (rowOf with search). A new laptop's first pull makes the row of every
// record it pulls; the fields neither reads (notes, the answer, the
// attachments, the language) are not decoded for it.
// TestRowOfReportFields checks the rows made so against those of the
// whole appeal.
var appealSearchFields = func() map[string]bool {
	m := map[string]bool{"description": true, "village": true, "authority_name": true, "referred_to": true, "appellant": true}
	for f := range appealRowFields {
		m[f] = true
	}
	return m
}()

// appealOfFields is appealOf of only the fields named in only (nil: all),
// and of the collections named there, every item.
func (s *Service) appealOfFields(st *changeset.State, only map[string]bool) (*domain.Appeal, error) {
	var a domain.Appeal
	var bad []string
	var err error
	if only == nil {
		bad, err = s.fromFields(appealSchema, st, &a)
	} else {
		bad, err = s.fromSomeFields(appealSchema, st, only, &a)
	}
	if err != nil {
		return nil, err
	}
	a.ID = st.ID
	a.Meta = meta(st)
	a.Meta.Unreadable = bad
	s.derive(&a, s.Today())
	return &a, nil
}

// derive fills deadlines, overdue flag and next statuses.
func (s *Service) derive(a *domain.Appeal, today caldate.Date) {
	a.NextStatuses = a.Status.Next()
	if a.ReceivedOn.IsZero() {
		return
	}
	d, err := s.rules.Compute(a.ReceivedOn, a.RegisteredOn, a.ExtensionDays)
	if err != nil {
		s.log.Warn("cannot compute deadline", "appeal", a.ID, "err", err)
		return
	}
	a.Deadlines = &d
	a.Overdue = a.Status.AwaitsAnswer() && !a.Meta.Deleted && today.After(d.AnswerBy)
}

func (s *Service) eventOf(st *changeset.State) (*domain.Event, error) {
	var e domain.Event
	bad, err := s.fromFields(eventSchema, st, &e)
	if err != nil {
		return nil, err
	}
	e.ID = st.ID
	e.Meta = meta(st)
	e.Meta.Unreadable = bad
	return &e, nil
}

// fromFields rebuilds a record from its state. Fields that do not fit the
// record type (pulled from a laptop with a bug, or a newer version) are
// left out, named in the result and logged: the record is shown, listed
// and synced with everything else it holds, and the values stay in its
// state and history.
func (s *Service) fromFields(schema changeset.Schema, st *changeset.State, v any) (unreadable []string, err error) {
	return s.unreadable(st, schema.FromState(st, nil, v))
}

// unreadable is what fromFields returns for the error of FromState.
func (s *Service) unreadable(st *changeset.State, err error) ([]string, error) {
	var fe *changeset.FieldsError
	if errors.As(err, &fe) {
		s.log.Warn("record fields that do not fit its type are left out", "kind", st.Kind, "id", st.ID, "fields", fe.Fields, "err", fe.Err)
		return fe.Fields, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", st.Kind, st.ID, err)
	}
	return nil, nil
}

// fromSomeFields is fromFields of the fields of st named in only (a
// collection's items by the collection's name).
func (s *Service) fromSomeFields(schema changeset.Schema, st *changeset.State, only map[string]bool, v any) ([]string, error) {
	return s.unreadable(st, schema.FromState(st, only, v))
}

func councilOf(st *changeset.State) (*domain.Council, error) {
	var c domain.Council
	if err := (changeset.Schema{}).FromFields(st.Values(), &c); err != nil {
		return nil, fmt.Errorf("council %s: %w", st.ID, err)
	}
	c.Code = st.ID
	return &c, nil
}

// rowFor derives a record's index row from its state.
func (s *Service) rowFor(st *changeset.State) (*index.Row, error) { return s.rowOf(st, true) }

// rowOf is rowFor, with the search words only when search is set (a
// report as of a past day counts rows it never searches).
func (s *Service) rowOf(st *changeset.State, search bool) (*index.Row, error) {
	only := appealRowFields
	if search {
		only = appealSearchFields
	}
	return s.rowOfFields(st, search, only)
}

// rowOfFields is rowOf, an appeal rebuilt from its fields named in
// appealOnly (nil: all of them).
func (s *Service) rowOfFields(st *changeset.State, search bool, appealOnly map[string]bool) (*index.Row, error) {
	r := &index.Row{Kind: st.Kind, ID: st.ID, Council: st.Council, Deleted: st.Deleted(), Updated: uint64(st.Updated)}
	switch st.Kind {
	case domain.KindAppeal:
		a, err := s.appealOfFields(st, appealOnly)
		if err != nil {
			return nil, err
		}
		r.Council, r.Oblast, r.District = a.Council, a.Oblast, a.District
		r.Status, r.Category = string(a.Status), a.Category
		r.Date, r.Title, r.RegNo = a.ReceivedOn.String(), a.Summary, a.RegNo
		if a.Deadlines != nil && a.Status.AwaitsAnswer() {
			r.Deadline = a.Deadlines.AnswerBy.String()
		}
		r.Facts = facts.OfAppeal(a)
		if !search {
			break
		}
		parts := []string{a.RegNo, a.Summary, a.Description, a.Village, a.AuthorityName, a.ReferredTo}
		if a.Appellant != nil {
			// Found by name or phone: the law gives a person the right to
			// everything held about them, within a week.
			// The phone as one number too, however it was written.
			parts = append(parts, a.Appellant.Name, a.Appellant.Phone, phoneKey(a.Appellant.Phone), a.Appellant.Email, a.Appellant.PIN)
		}
		r.Search = index.SearchText(parts...)
	case domain.KindEvent:
		e, err := s.eventOf(st)
		if err != nil {
			return nil, err
		}
		r.Council, r.Oblast, r.District = e.Council, e.Oblast, e.District
		r.Category, r.Date, r.Title = e.Kind, e.Date.String(), e.Title
		r.Facts = facts.OfEvent(e)
		for _, f := range e.FollowUps {
			if f.Open() && !f.Due.IsZero() && (r.DueNext == "" || f.Due.String() < r.DueNext) {
				r.DueNext = f.Due.String()
			}
		}
		if !search {
			break
		}
		parts := []string{e.Title, e.Topic, e.Agenda, e.Village, e.Venue, e.Notes}
		parts = append(parts, e.Decisions...)
		for _, sp := range e.Speakers {
			parts = append(parts, sp.Name, sp.Organisation)
		}
		// A training's attendees, so that a request for what is held
		// about a person finds them (Person).
		for _, a := range e.Attendees {
			parts = append(parts, a.Name, a.Organisation)
		}
		r.Search = index.SearchText(parts...)
	case domain.KindSubmission:
		if err := s.submissionRow(st, r); err != nil {
			return nil, err
		}
	case domain.KindExport:
		x, err := exportOf(st)
		if err != nil {
			return nil, err
		}
		r.Date, r.Title = caldate.Of(x.At.In(Bishkek)).String(), x.Format
	case domain.KindMaterial:
		m, err := materialOf(st)
		if err != nil {
			return nil, err
		}
		r.Date, r.Title, r.Category = m.PublishedOn.String(), m.Title, m.Language
		r.Search = index.SearchText(m.Title, m.Description, m.Topic, m.Audience, m.File.Name)
	case domain.KindQuestionnaire:
		var q domain.Questionnaire
		if _, err := s.fromFields(changeset.Schema{}, st, &q); err != nil {
			return nil, err
		}
		r.Date, r.Category, r.Title = q.PublishedOn.String(), q.FormID, q.Title["ky"]
		if r.Title == "" {
			r.Title = q.FormID
		}
		r.Search = index.SearchText(q.FormID, q.Version, q.Title["ky"], q.Title["ru"], q.Title["en"])
	case domain.KindResponse:
		resp, err := s.responseOf(st)
		if err != nil {
			return nil, err
		}
		r.Council, r.Date, r.Category, r.Title = resp.Council, resp.FilledOn.String(), resp.FormID, resp.FormID+" "+resp.Version
	case domain.KindGrant:
		g, err := s.grantOf(st)
		if err != nil {
			return nil, err
		}
		// DueNext: the first milestone not reported met, for the home
		// screen's late milestones (Filter.MilestonesLate).
		r.Council, r.Date, r.Title = g.Council, g.StartOn.String(), firstLine(g.Purpose, 120)
		r.Facts = facts.OfGrant(g)
		if d := g.NextDue(); !d.IsZero() {
			r.DueNext = d.String()
		}
		if !search {
			break
		}
		parts := []string{g.Purpose, g.Notes}
		for _, m := range g.Milestones {
			parts = append(parts, m.Title)
		}
		r.Search = index.SearchText(parts...)
	case domain.KindCompetition:
		c, err := s.competitionOf(st)
		if err != nil {
			return nil, err
		}
		r.Date, r.Category, r.Title = c.Deadline.String(), c.Audience, c.Title
		if !search {
			break
		}
		parts := []string{c.Title, c.Rules, c.Notes}
		for _, e := range c.Entries {
			parts = append(parts, e.Title, e.Author)
		}
		r.Search = index.SearchText(parts...)
	case domain.KindCouncil:
		c, err := councilOf(st)
		if err != nil {
			return nil, err
		}
		r.Council, r.Oblast, r.District, r.Title = c.Code, c.Oblast, c.District, c.Name
		r.Search = index.SearchText(c.Code, c.Name)
	}
	return r, nil
}

// Summary is a list line: what the index holds, ready to print or show.
type Summary struct {
	Kind     string        `json:"kind"`
	ID       string        `json:"id"`
	RegNo    string        `json:"reg_no,omitempty"`
	Council  string        `json:"council"`
	Oblast   string        `json:"oblast,omitempty"`
	Date     caldate.Date  `json:"date"`
	Status   string        `json:"status,omitempty"`
	Category string        `json:"category,omitempty"`
	Title    string        `json:"title"`
	AnswerBy *caldate.Date `json:"answer_by,omitempty"`
	Overdue  bool          `json:"overdue,omitempty"`
	DueNext  *caldate.Date `json:"followup_due,omitempty"`
	Deleted  bool          `json:"deleted,omitempty"`
}

func summaryOf(r *index.Row, today caldate.Date) Summary {
	out := Summary{Kind: r.Kind, ID: r.ID, RegNo: r.RegNo, Council: r.Council, Oblast: r.Oblast,
		Status: r.Status, Category: r.Category, Title: r.Title, Deleted: r.Deleted}
	out.Date, _ = caldate.Parse(r.Date)
	if d, err := caldate.Parse(r.Deadline); err == nil {
		out.AnswerBy = &d
		out.Overdue = today.After(d) && !r.Deleted
	}
	if d, err := caldate.Parse(r.DueNext); err == nil {
		out.DueNext = &d
	}
	return out
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// phoneKey is a Kyrgyz phone number's national digits, however it was
// written: "+996 555 12-34-56", "0555 123456" and "555123456" are all
// 555123456. Other digit strings keep all their digits.
func phoneKey(s string) string {
	d := digitsOnly(s)
	switch {
	case len(d) == 12 && strings.HasPrefix(d, "996"):
		return d[3:]
	case len(d) == 10 && strings.HasPrefix(d, "0"):
		return d[1:]
	}
	return d
}

// phoneDigits returns phoneKey(q) when q is a phone or ID number as a
// person types one (at least 6 digits, no letters), else "".
func phoneDigits(q string) string {
	d := phoneKey(q)
	if len(d) < 6 || strings.IndexFunc(q, unicode.IsLetter) >= 0 {
		return ""
	}
	return d
}

// searchText is what the index searches for q: a phone number typed with
// spaces or dashes is searched as its digits, which the index holds whole.
func searchText(q string) string {
	if d := phoneDigits(q); d != "" {
		return d
	}
	return q
}

// firstLine is s's first line, at most n characters (a list's title).
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
