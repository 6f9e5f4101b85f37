package records

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

func (s *Service) stateOf(ctx context.Context, kind, id string) (*changeset.State, error) {
	st, err := s.st.State(ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%s %s: %w", kind, id, domain.ErrNotFound)
	}
	return st, err
}

// Filter selects records for a list.
type Filter struct {
	Kind     string
	Council  string
	Status   string
	Category string // appeals: right category; events: event kind
	Oblast   string
	District string
	From, To caldate.Date
	Overdue  bool // appeals past their answer deadline, still awaiting the answer
	DueSoon  int  // events with an open follow-up action due within this many days (0: no filter)
	// MilestonesLate selects grants with a milestone not reported met
	// whose due day has passed.
	MilestonesLate bool
	Text           string
	Deleted        bool // include deleted records
	// Where selects further by a record's facts (a report's number); nil
	// does not filter. It runs while the index is locked: it must be
	// quick and call nothing of the Service.
	Where func(*FactRow) bool
}

// List returns the matching records' summaries, newest first, from the index.
func (s *Service) List(f Filter) ([]Summary, error) {
	rows, err := s.query(f)
	if err != nil {
		return nil, err
	}
	today := s.Today()
	out := make([]Summary, len(rows))
	for i, r := range rows {
		out[i] = summaryOf(r, today)
	}
	return out, nil
}

// ListPage returns the summaries of the matching records from offset, at
// most limit of them, newest first, and how many match in all: what a
// list on screen asks for as it scrolls, without building 100,000 lines.
func (s *Service) ListPage(f Filter, offset, limit int) ([]Summary, int, error) {
	q, err := s.indexFilter(f)
	if err != nil {
		return nil, 0, err
	}
	rows, total, err := s.ix.Page(q, max(offset, 0), max(limit, 0))
	if err != nil {
		return nil, 0, err
	}
	today := s.Today()
	out := make([]Summary, len(rows))
	for i, r := range rows {
		out[i] = summaryOf(r, today)
	}
	return out, total, nil
}

// Count returns how many records match.
func (s *Service) Count(f Filter) (int, error) {
	q, err := s.indexFilter(f)
	if err != nil {
		return 0, err
	}
	return s.ix.Count(q)
}

func (s *Service) query(f Filter) ([]*index.Row, error) {
	q, err := s.indexFilter(f)
	if err != nil {
		return nil, err
	}
	return s.ix.Query(q)
}

// indexFilter checks f and turns it into the index's terms.
func (s *Service) indexFilter(f Filter) (index.Filter, error) {
	switch f.Kind {
	case domain.KindAppeal, domain.KindEvent, domain.KindCouncil, domain.KindGrant, domain.KindCompetition:
	case domain.KindSubmission:
		if f.Status != "" && !domain.SubmissionStatus(f.Status).Valid() {
			return index.Filter{}, fmt.Errorf("list: %q is not a status of a web submission (one of: %v)", f.Status, domain.SubmissionStatuses)
		}
	default:
		return index.Filter{}, fmt.Errorf("list: unknown kind %q", f.Kind)
	}
	if f.Status != "" && f.Kind != domain.KindSubmission && !domain.Status(f.Status).Valid() {
		return index.Filter{}, fmt.Errorf("list: %q is not a status (one of: %v)", f.Status, domain.Statuses)
	}
	q := index.Filter{Kind: f.Kind, Council: f.Council, Status: f.Status, Category: f.Category, Oblast: f.Oblast,
		District: f.District, From: f.From.String(), To: f.To.String(), Text: searchText(f.Text), IncludeDeleted: f.Deleted}
	if f.Where != nil {
		where := f.Where
		var r FactRow
		q.Where = func(sc *index.Scanned) bool {
			r = factRowOf(sc)
			return where(&r)
		}
	}
	today := s.Today()
	if f.Overdue {
		q.OverdueOn = today.String()
	}
	if f.DueSoon > 0 {
		q.DueBy = today.AddDays(f.DueSoon).String()
	}
	if f.MilestonesLate {
		q.DueBy = today.AddDays(-1).String()
	}
	return q, nil
}

// Councils lists the councils of this installation.
func (s *Service) Councils(ctx context.Context) ([]domain.Council, error) {
	rows, err := s.ix.Query(index.Filter{Kind: domain.KindCouncil})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Council, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.Council{Code: r.ID, Name: r.Title, Oblast: r.Oblast, District: r.District})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// Entry is one step of a record's history: who changed what, and when.
type Entry struct {
	At      time.Time        `json:"at"`
	HLC     hlc.Timestamp    `json:"hlc"`
	Device  string           `json:"device"`
	Seq     uint64           `json:"seq"`
	Author  string           `json:"author,omitempty"`
	Action  changeset.Action `json:"action"`
	Changes map[string]any   `json:"changes"`
	// Refused: this laptop's change the centre refused (see Refusals);
	// it stays in the history, and never reached another laptop.
	Refused bool `json:"refused,omitempty"`
}

// History returns the operations that made a record, oldest first.
func (s *Service) History(ctx context.Context, kind, id string) ([]Entry, error) {
	if _, err := s.stateOf(ctx, kind, id); err != nil {
		return nil, err
	}
	ops, err := s.st.History(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	list, _ := s.keptRefusals(ctx) // the history reads, refusals or not
	refused := refusedSeqs(list)
	me := s.Device().ID
	out := make([]Entry, 0, len(ops))
	for i := range ops {
		op := &ops[i]
		e := Entry{At: op.HLC.Time(), HLC: op.HLC, Device: op.Device, Seq: op.Seq, Author: op.Author, Action: op.Action,
			Changes: make(map[string]any, len(op.Fields)), Refused: op.Device == me && refused[op.Seq]}
		for name, ch := range op.Fields {
			e.Changes[name] = ch.Value
		}
		out = append(out, e)
	}
	return out, nil
}

// AppealByRegNo finds an appeal's id by its registration number.
func (s *Service) AppealByRegNo(regNo string) (string, error) {
	rows, err := s.ix.Query(index.Filter{Kind: domain.KindAppeal, Text: regNo, IncludeDeleted: true})
	if err != nil {
		return "", err
	}
	for _, r := range rows {
		if r.RegNo == regNo {
			return r.ID, nil
		}
	}
	return "", fmt.Errorf("appeal %s: %w", regNo, domain.ErrNotFound)
}
