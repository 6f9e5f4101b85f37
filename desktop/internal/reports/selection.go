package reports

import (
	"fmt"
	"strings"

	"github.com/kenesh/kenesh/desktop/internal/facts"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
)

// Measures a Selection names: a number of a report, by its JSON path.
// Those of the "by" maps take the map's key.
const (
	EventsTotal       = "events.total"
	EventsByKind      = "events.by_kind"
	EventsWithGroup   = "events.participants" // events with participants of the group Key
	EventsFollowLate  = "events.followups.late"
	EventsFollowOpen  = "events.followups.open"
	AppealsTotal      = "appeals.total"
	AppealsChannel    = "appeals.by_channel"
	AppealsCategory   = "appeals.by_category"
	AppealsAuthority  = "appeals.by_authority"
	AppealsStatus     = "appeals.by_status"
	AppealsOutcome    = "appeals.by_outcome"
	AppealsGender     = "appeals.by_gender"
	AppealsAgeGroup   = "appeals.by_age_group"
	AppealsVulnerable = "appeals.by_vulnerable_group"
	AppealsRegInTime  = "appeals.registered_in_time"
	AppealsAnswered   = "appeals.answered"
	AppealsAnsInTime  = "appeals.answered_in_time"
	AppealsOverdue    = "appeals.overdue"
	AppealsConsulted  = "appeals.consultations" // appeals with a consultation
	AppealsPublished  = "appeals.published"
	AppealsResolved   = "appeals.resolved"
)

// Selection names the records behind one number of a report: its measure,
// the key of a "by" map, and the group (with the report's By) it is in.
// Its records filter lists exactly the records the number counts (for a
// sum, such as participants or consultations, the records it adds up).
type Selection struct {
	Filter  Filter // the report's
	Group   string // "" for the summary
	Measure string
	Key     string
}

// Kind is the record kind the measure counts.
func (s Selection) Kind() string {
	if strings.HasPrefix(s.Measure, "events.") {
		return domain.KindEvent
	}
	return domain.KindAppeal
}

// Records is the records filter of s: the report's filter, its group and
// the measure's condition, on the report's day (day: YYYY-MM-DD; overdue
// and late are counted on it). It reads today's index: a report as of a
// past day has no records filter (the records have changed since).
func (s Selection) Records(day string) (records.Filter, error) {
	if !s.Filter.AsOf.IsZero() {
		return records.Filter{}, fmt.Errorf("the records behind a report as of %s are those of that day: list them with an export as of that day", s.Filter.AsOf)
	}
	f := records.Filter{Kind: s.Kind(), Council: s.Filter.Council, Oblast: s.Filter.Oblast, District: s.Filter.District, From: s.Filter.From, To: s.Filter.To}
	cond, err := s.condition(day)
	if err != nil {
		return f, err
	}
	by, group := s.Filter.By, s.Group
	if group != "" && by == "" {
		return f, fmt.Errorf("a group %q without a way to group by", group)
	}
	var ap facts.Appeal
	var ev facts.Event
	f.Where = func(r *records.FactRow) bool {
		if group != "" && GroupKey(by, r.Council, r.Oblast, r.Date) != group {
			return false
		}
		if r.Kind == domain.KindAppeal {
			facts.ReadAppeal(r.Facts, &ap)
		} else {
			facts.ReadEvent(r.Facts, &ev)
		}
		return cond(r, &ap, &ev)
	}
	return f, nil
}

type condition func(r *records.FactRow, ap *facts.Appeal, ev *facts.Event) bool

func (s Selection) condition(day string) (condition, error) {
	k := s.Key
	is := func(v string) bool { return keyOr(v) == k }
	switch s.Measure {
	case EventsTotal, AppealsTotal:
		return func(*records.FactRow, *facts.Appeal, *facts.Event) bool { return true }, nil
	case EventsByKind:
		return func(r *records.FactRow, _ *facts.Appeal, _ *facts.Event) bool { return is(r.Category) }, nil
	case EventsWithGroup:
		return func(_ *records.FactRow, _ *facts.Appeal, ev *facts.Event) bool {
			found := false
			ev.EachGroup(func(g string, f, m, u int) { found = found || g == k && f+m+u > 0 })
			return found
		}, nil
	case EventsFollowLate, EventsFollowOpen:
		late := s.Measure == EventsFollowLate
		return func(_ *records.FactRow, _ *facts.Appeal, ev *facts.Event) bool {
			found := false
			ev.EachOpenDue(func(due string) { found = found || (due < day) == late })
			return found
		}, nil
	case AppealsChannel:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return is(ap.Channel) }, nil
	case AppealsCategory:
		return func(r *records.FactRow, _ *facts.Appeal, _ *facts.Event) bool { return is(r.Category) }, nil
	case AppealsAuthority:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return is(ap.Authority) }, nil
	case AppealsStatus:
		return func(r *records.FactRow, _ *facts.Appeal, _ *facts.Event) bool { return is(r.Status) }, nil
	case AppealsOutcome:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return is(ap.Outcome) }, nil
	case AppealsGender:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return is(ap.Gender) }, nil
	case AppealsAgeGroup:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return is(ap.AgeGroup) }, nil
	case AppealsVulnerable:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool {
			found := false
			facts.EachList(ap.Vulnerable, func(g string) { found = found || g == k })
			return found
		}, nil
	case AppealsRegInTime:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return RegisteredInTime(ap) }, nil
	case AppealsAnswered:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return ap.AnsweredOn != "" }, nil
	case AppealsAnsInTime:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return AnsweredInTime(ap) }, nil
	case AppealsOverdue:
		return func(r *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return Overdue(r, ap, day) }, nil
	case AppealsConsulted:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return ap.Consultations > 0 }, nil
	case AppealsPublished:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return ap.InRegister }, nil
	case AppealsResolved:
		return func(_ *records.FactRow, ap *facts.Appeal, _ *facts.Event) bool { return facts.Resolved(ap.Outcome) }, nil
	}
	return nil, fmt.Errorf("a report has no number %q", s.Measure)
}
