package records

import (
	"context"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/shared/domain"
)

// PersonData is everything the store holds about one person: what the law
// on personal information obliges a holder to give that person, or the data
// protection agency, within a week.
type PersonData struct {
	Query    string           `json:"query"`
	Made     time.Time        `json:"made"`
	Device   string           `json:"device"`
	Appeals  []*domain.Appeal `json:"appeals"`
	Speaking []*domain.Event  `json:"events_as_speaker"`
	// Attending are the trainings whose attendance list names the person.
	Attending []*domain.Event `json:"events_as_attendee"`
}

// Person finds the appeals whose appellant's name, phone, e-mail or personal
// ID number contains query, the events where someone of that name spoke,
// and the trainings whose attendance list has someone of that name.
// Matching ignores case and ң ө ү typed as н о у; deleted records are included,
// since the person's data is still held.
func (s *Service) Person(ctx context.Context, query string) (*PersonData, error) {
	q := strings.TrimSpace(query)
	out := &PersonData{Query: q, Made: s.now().UTC(), Device: s.Device().Name, Appeals: []*domain.Appeal{}, Speaking: []*domain.Event{}, Attending: []*domain.Event{}}
	if len([]rune(q)) < 3 {
		return nil, &domain.ValidationError{Kind: "person", Fields: []domain.FieldError{{Field: "query", Code: domain.CodeRequired, Message: "give at least 3 letters or digits of the name, phone, e-mail or PIN"}}}
	}
	folded := index.Fold(q)
	// A phone number is found however it was written: "+996 555 12-34-56"
	// by "0555123456" or "555 123 456".
	digits := phoneDigits(q)
	has := func(vals ...string) bool {
		for _, v := range vals {
			if v != "" && (strings.Contains(index.Fold(v), folded) || digits != "" && strings.Contains(phoneKey(v), digits)) {
				return true
			}
		}
		return false
	}
	for _, kind := range []string{domain.KindAppeal, domain.KindEvent} {
		rows, err := s.ix.Query(index.Filter{Kind: kind, Text: searchText(q), IncludeDeleted: true})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if kind == domain.KindAppeal {
				a, err := s.Appeal(ctx, r.ID)
				if err != nil {
					return nil, err
				}
				if p := a.Appellant; p != nil && has(p.Name, p.Phone, p.Email, p.PIN) {
					out.Appeals = append(out.Appeals, a)
				}
				continue
			}
			e, err := s.Event(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			for _, sp := range e.Speakers {
				if has(sp.Name) {
					out.Speaking = append(out.Speaking, e)
					break
				}
			}
			for _, a := range e.Attendees {
				if has(a.Name) {
					out.Attending = append(out.Attending, e)
					break
				}
			}
		}
	}
	return out, nil
}
