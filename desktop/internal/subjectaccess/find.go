package subjectaccess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// Found is what the client core holds about one person, before it is put
// into words: the records themselves, so that one search can be printed in
// any language.
type Found struct {
	Query  string    // what was searched for, as typed
	At     time.Time // when the search ran
	Holder Holder

	// Appeals where the person is the appellant, newest first, deleted
	// ones included: their data is still held.
	Appeals []*domain.Appeal
	// History holds, by appeal id, the entries of that appeal's history
	// that wrote the appellant's personal data, oldest first: earlier
	// values (a corrected phone number, a changed consent) are held too.
	History map[string][]records.Entry
	// Events where the person is named, with the entries that name them.
	Events []Mention
	// Linked are events the appeals refer to (an appeal received at a
	// hearing), by id, to name them in words.
	Linked map[string]*domain.Event
	// Councils by code, to name them in words.
	Councils map[string]domain.Council
	// Withheld counts records that matched but belong to councils this
	// laptop may not give out (policy.MayRead): another council answers
	// for them.
	Withheld int
}

// Mention is an event where the person is named, and how.
type Mention struct {
	Event    *domain.Event
	Speakers []domain.Speaker // the event's speakers who are the person
	// Attendees are a training's attendees who are the person.
	Attendees []domain.Attendee
}

// Holder is who holds the data and answers the request.
type Holder struct {
	Device  string // the laptop's name
	Role    string // the role it was enrolled with (domain.Role*), "" before enrollment
	Council string // its council's code: the enrolled one; before enrollment, the home council of new records
}

// personalFields are the fields of an appeal that carry the appellant's
// personal data: a history entry that wrote one of them is part of what is
// held about the person.
var personalFields = []string{"appellant", "anonymous", "gender", "age_group", "vulnerable_groups", "publish_identity_consent"}

// Source is what Find reads: the client core's records service.
type Source interface {
	Person(ctx context.Context, query string) (*records.PersonData, error)
	History(ctx context.Context, kind, id string) ([]records.Entry, error)
	Event(ctx context.Context, id string) (*domain.Event, error)
	Councils(ctx context.Context) ([]domain.Council, error)
	Enrollment(ctx context.Context) (*records.Enrollment, error)
	Device() records.Device
	HomeCouncil() string
}

var _ Source = (*records.Service)(nil)

// Find gathers what src holds about the person query names (at least 3
// letters or digits of a name, phone, e-mail or personal ID number; see
// records.Service.Person for how it matches). An enrolled laptop gives out
// only what its role may read (a secretary: their council's records;
// central staff: every council's); a laptop not yet enrolled holds only
// what was recorded on it, and gives all of it.
func Find(ctx context.Context, src Source, query string) (*Found, error) {
	data, err := src.Person(ctx, query)
	if err != nil {
		return nil, err
	}
	f := &Found{Query: data.Query, At: data.Made, History: map[string][]records.Entry{},
		Linked: map[string]*domain.Event{}, Councils: map[string]domain.Council{},
		Holder: Holder{Device: src.Device().Name, Council: src.HomeCouncil()}}
	may := func(string, string) bool { return true }
	switch e, err := src.Enrollment(ctx); {
	case err == nil:
		f.Holder.Role = e.Role
		if e.Name != "" {
			f.Holder.Device = e.Name
		}
		// An enrolled laptop holds data for its council, or (central
		// staff) for no council in particular.
		f.Holder.Council = e.Council
		dev := policy.Device{Role: e.Role, Council: e.Council}
		may = func(kind, council string) bool { return policy.MayRead(dev, kind, council) }
	case !errors.Is(err, records.ErrNotEnrolled):
		return nil, fmt.Errorf("reading the enrollment: %w", err)
	}

	for _, a := range data.Appeals {
		if !may(domain.KindAppeal, a.Council) {
			f.Withheld++
			continue
		}
		f.Appeals = append(f.Appeals, a)
		hist, err := src.History(ctx, domain.KindAppeal, a.ID)
		if err != nil {
			return nil, fmt.Errorf("history of appeal %s: %w", a.RegNo, err)
		}
		for _, e := range hist {
			if carriesPersonal(e) {
				f.History[a.ID] = append(f.History[a.ID], e)
			}
		}
		if a.EventID != "" {
			if _, done := f.Linked[a.EventID]; !done {
				ev, err := src.Event(ctx, a.EventID)
				switch {
				case err == nil:
					f.Linked[a.EventID] = ev
				case !errors.Is(err, domain.ErrNotFound):
					return nil, fmt.Errorf("event of appeal %s: %w", a.RegNo, err)
				}
			}
		}
	}
	folded := index.Fold(strings.TrimSpace(query))
	for _, e := range data.Speaking {
		if !may(domain.KindEvent, e.Council) {
			f.Withheld++
			continue
		}
		m := Mention{Event: e}
		for _, s := range e.Speakers {
			if strings.Contains(index.Fold(s.Name), folded) {
				m.Speakers = append(m.Speakers, s)
			}
		}
		f.Events = append(f.Events, m)
	}
	// A training's attendance list: a mention of its own, or the same
	// event's where the person also spoke.
	for _, e := range data.Attending {
		if !may(domain.KindEvent, e.Council) {
			f.Withheld++
			continue
		}
		i := slices.IndexFunc(f.Events, func(m Mention) bool { return m.Event.ID == e.ID })
		if i < 0 {
			f.Events = append(f.Events, Mention{Event: e})
			i = len(f.Events) - 1
		}
		for _, a := range e.Attendees {
			if strings.Contains(index.Fold(a.Name), folded) {
				f.Events[i].Attendees = append(f.Events[i].Attendees, a)
			}
		}
	}
	cs, err := src.Councils(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the councils: %w", err)
	}
	for _, c := range cs {
		f.Councils[c.Code] = c
	}
	return f, nil
}

func carriesPersonal(e records.Entry) bool {
	for _, name := range personalFields {
		if _, ok := e.Changes[name]; ok {
			return true
		}
	}
	return false
}

// changeValue decodes a history entry's value of one field into v. The
// entry holds the value as stored (JSON); null or absent leaves v as it is.
func changeValue(e records.Entry, field string, v any) (bool, error) {
	raw, ok := e.Changes[field]
	if !ok {
		return false, nil
	}
	var b []byte
	switch x := raw.(type) {
	case json.RawMessage:
		b = x
	case []byte:
		b = x
	default:
		var err error
		if b, err = json.Marshal(x); err != nil {
			return false, err
		}
	}
	if len(b) == 0 || string(b) == "null" {
		return true, nil
	}
	return true, json.Unmarshal(b, v)
}

// Language is the person's language as far as the records tell: that of
// their latest appeal that records one, else Kyrgyz. A document is best
// written in it; a person may ask for another.
func (f *Found) Language() string {
	lang, latest := l10n.Default, caldate.Date{}
	for _, a := range f.Appeals {
		if l10n.Valid(a.Language) && (latest.IsZero() || a.ReceivedOn.After(latest)) {
			lang, latest = a.Language, a.ReceivedOn
		}
	}
	return lang
}

// Without returns what was found less the records refs name (appeal ids or
// registration numbers, event ids): a search for a surname also finds
// namesakes, and another person's data is not this person's to receive.
// A ref that names nothing found is an error, so a typing mistake never
// leaves a namesake's appeal in the answer unnoticed.
func (f *Found) Without(refs []string) (*Found, error) {
	drop := map[string]bool{}
	for _, r := range refs {
		if r = strings.TrimSpace(r); r != "" {
			drop[r] = false
		}
	}
	out := *f
	out.Appeals, out.Events = nil, nil
	for _, a := range f.Appeals {
		_, byID := drop[a.ID]
		_, byReg := drop[a.RegNo]
		if byID || byReg {
			drop[a.ID], drop[a.RegNo] = true, true
			continue
		}
		out.Appeals = append(out.Appeals, a)
	}
	for _, m := range f.Events {
		if _, ok := drop[m.Event.ID]; ok {
			drop[m.Event.ID] = true
			continue
		}
		out.Events = append(out.Events, m)
	}
	var unknown []string
	for r, used := range drop {
		if !used {
			unknown = append(unknown, r)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%s: not among the records found for %q (give an appeal's id or registration number, or an event's id)", strings.Join(unknown, ", "), f.Query)
	}
	return &out, nil
}
