package facts

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kenesh/kenesh/shared/domain"
)

// The facts of a record are one string of fields joined by sep, in the
// order the kind's type lists them, after a tag naming the kind and the
// form's version. It is read by slicing, so a report over 100,000 records
// makes no garbage; values never contain sep or listSep (they are codes,
// dates and numbers, and anything else is cleaned). A new field goes at
// the end with a new version: stored rows are derived again when the
// version changes (records' index digest includes Version).
const (
	sep     = '\x1f'
	listSep = ','
	// Version changes whenever what a kind's facts hold changes.
	Version = 1
)

const (
	tagAppeal = "a1"
	tagEvent  = "e1"
	tagGrant  = "g1"
)

// Outcomes of an appeal, as reports count them (Appeal.Outcome).
const (
	// OutcomeAnswered: the authority answered (answered, or closed after
	// the answer).
	OutcomeAnswered = "answered"
	// OutcomeSettled: closed after verification without an authority's
	// answer (settled at the council, or published only).
	OutcomeSettled = "settled"
	// OutcomeRejected: rejected, or closed after a rejection.
	OutcomeRejected = "rejected"
	// OutcomeOpen: still being handled.
	OutcomeOpen = "open"
)

// Outcomes in the order reports list them.
var Outcomes = []string{OutcomeAnswered, OutcomeSettled, OutcomeRejected, OutcomeOpen}

// Resolved reports whether an appeal with outcome o counts among the
// programme's "appeals resolved": answered by the authority, or settled.
func Resolved(o string) bool { return o == OutcomeAnswered || o == OutcomeSettled }

// Appeal is what reports count of an appeal beyond the index's columns
// (council, oblast, district, status, category, the day it was received,
// the answer's deadline while it is awaited). Dates are YYYY-MM-DD ("" when
// not reached), so that they compare as text.
type Appeal struct {
	Channel, Authority, Gender, AgeGroup string
	// Vulnerable lists the vulnerable groups' codes, joined by ','.
	Vulnerable                         string
	RegisteredOn, RegisterBy, AnswerBy string
	AnsweredOn, ClosedOn, ReferredOn   string
	Outcome                            string
	Consultations                      int
	// InRegister: the public register shows it (domain.Appeal.InRegister).
	InRegister bool
	// DaysToRegister counts calendar days from receipt to registration,
	// DaysToAnswer from registration to the answer; -1 when not known.
	DaysToRegister, DaysToAnswer int
}

// OfAppeal returns the facts of a, whose deadlines have been derived.
func OfAppeal(a *domain.Appeal) string {
	f := Appeal{Channel: a.Channel, Authority: a.Authority, Gender: a.Gender, AgeGroup: a.AgeGroup,
		RegisteredOn:  date(a.RegisteredOn.IsZero(), a.RegisteredOn.String()),
		AnsweredOn:    date(a.AnsweredOn.IsZero(), a.AnsweredOn.String()),
		ClosedOn:      date(a.ClosedOn.IsZero(), a.ClosedOn.String()),
		ReferredOn:    date(a.ReferredOn.IsZero(), a.ReferredOn.String()),
		Consultations: len(a.Consultations), InRegister: a.InRegister(), DaysToRegister: -1, DaysToAnswer: -1}
	f.Vulnerable = strings.Join(a.VulnerableGroups, string(listSep))
	if d := a.Deadlines; d != nil {
		f.RegisterBy = date(d.RegisterBy.IsZero(), d.RegisterBy.String())
		f.AnswerBy = date(d.AnswerBy.IsZero(), d.AnswerBy.String())
	}
	if !a.ReceivedOn.IsZero() && !a.RegisteredOn.IsZero() {
		f.DaysToRegister = a.ReceivedOn.DaysUntil(a.RegisteredOn)
	}
	if !a.RegisteredOn.IsZero() && !a.AnsweredOn.IsZero() {
		f.DaysToAnswer = a.RegisteredOn.DaysUntil(a.AnsweredOn)
	}
	f.Outcome = outcome(a)
	return f.encode()
}

// outcome says how an appeal ended (see Outcomes).
func outcome(a *domain.Appeal) string {
	switch {
	case a.Status == domain.StatusRejected, a.Status == domain.StatusClosed && a.RejectionReason != "":
		return OutcomeRejected
	case (a.Status == domain.StatusAnswered || a.Status == domain.StatusClosed) && !a.AnsweredOn.IsZero():
		return OutcomeAnswered
	case a.Status == domain.StatusClosed:
		return OutcomeSettled
	}
	return OutcomeOpen
}

func date(zero bool, s string) string {
	if zero {
		return ""
	}
	return s
}

func (f *Appeal) encode() string {
	var b strings.Builder
	b.WriteString(tagAppeal)
	for _, v := range []string{f.Channel, f.Authority, f.Gender, f.AgeGroup, f.Vulnerable, f.RegisteredOn, f.RegisterBy,
		f.AnswerBy, f.AnsweredOn, f.ClosedOn, f.ReferredOn, f.Outcome, strconv.Itoa(f.Consultations), flag(f.InRegister),
		strconv.Itoa(f.DaysToRegister), strconv.Itoa(f.DaysToAnswer)} {
		b.WriteByte(sep)
		b.WriteString(clean(v))
	}
	return b.String()
}

// ReadAppeal reads the facts OfAppeal wrote into f; ok is false for facts
// of another kind or version (read as if empty). f's strings are
// substrings of s.
func ReadAppeal(s string, f *Appeal) (ok bool) {
	*f = Appeal{DaysToRegister: -1, DaysToAnswer: -1}
	r := reader{s: s}
	if !r.tag(tagAppeal) {
		return false
	}
	f.Channel, f.Authority, f.Gender, f.AgeGroup, f.Vulnerable = r.next(), r.next(), r.next(), r.next(), r.next()
	f.RegisteredOn, f.RegisterBy, f.AnswerBy, f.AnsweredOn = r.next(), r.next(), r.next(), r.next()
	f.ClosedOn, f.ReferredOn, f.Outcome = r.next(), r.next(), r.next()
	f.Consultations = r.int(0)
	f.InRegister = r.next() == "1"
	f.DaysToRegister, f.DaysToAnswer = r.int(-1), r.int(-1)
	return true
}

// Event is what reports count of an event beyond the index's columns
// (council, oblast, district, kind, date).
type Event struct {
	// Participants is "group:female,male,unspecified" per group, joined
	// by ';' (read with EachGroup).
	Participants string
	// FollowUps done and cancelled; OpenDue lists the due days of the open
	// ones, joined by ',' (late or not depends on the report's day).
	Done, Cancelled int
	OpenDue         string
}

// groupSeps takes the separators of Event.Participants out of a group's
// name. Made once: a Replacer built per call cost 3 KB (the report as of
// a past day made 10,000 events' facts: 311 MB a run).
var groupSeps = strings.NewReplacer(":", "", ";", "")

// OfEvent returns the facts of e.
func OfEvent(e *domain.Event) string {
	f := Event{}
	var parts []string
	// A training with an attendance list counts its participants from
	// it, by group and gender (domain.Event.Counted), else what was typed.
	for g, n := range e.Counted() {
		parts = append(parts, clean(groupSeps.Replace(g))+":"+
			strconv.Itoa(n.Female)+","+strconv.Itoa(n.Male)+","+strconv.Itoa(n.Unspecified))
	}
	slices.Sort(parts)
	f.Participants = strings.Join(parts, ";")
	var due []string
	for _, a := range e.FollowUps {
		switch {
		case a.Status == "done":
			f.Done++
		case a.Status == "cancelled":
			f.Cancelled++
		case a.Open():
			if !a.Due.IsZero() {
				due = append(due, a.Due.String())
			} else {
				due = append(due, "9999-12-31") // open with no due day: never late
			}
		}
	}
	slices.Sort(due)
	f.OpenDue = strings.Join(due, ",")
	var b strings.Builder
	b.WriteString(tagEvent)
	for _, v := range []string{f.Participants, strconv.Itoa(f.Done), strconv.Itoa(f.Cancelled), f.OpenDue} {
		b.WriteByte(sep)
		b.WriteString(clean(v))
	}
	return b.String()
}

// ReadEvent reads the facts OfEvent wrote into f (see ReadAppeal).
func ReadEvent(s string, f *Event) (ok bool) {
	*f = Event{}
	r := reader{s: s}
	if !r.tag(tagEvent) {
		return false
	}
	f.Participants = r.next()
	f.Done, f.Cancelled = r.int(0), r.int(0)
	f.OpenDue = r.next()
	return true
}

// EachGroup calls fn with each group of an event's participants and its
// counts by gender.
func (f *Event) EachGroup(fn func(group string, female, male, unspecified int)) {
	for s := f.Participants; s != ""; {
		var item string
		item, s, _ = strings.Cut(s, ";")
		g, counts, ok := strings.Cut(item, ":")
		if !ok {
			continue
		}
		a, rest, _ := strings.Cut(counts, ",")
		b, c, _ := strings.Cut(rest, ",")
		fn(g, atoi(a), atoi(b), atoi(c))
	}
}

// EachOpenDue calls fn with the due day of each open follow-up action.
func (f *Event) EachOpenDue(fn func(due string)) {
	for s := f.OpenDue; s != ""; {
		var d string
		d, s, _ = strings.Cut(s, ",")
		fn(d)
	}
}

// Grant is what reports count of a grant to a council beyond the index's
// columns (council, the day it starts): its amount and what was paid out,
// in som; its milestones, those reported met, and the due days of the
// others, joined by ',' (late or not depends on the report's day).
type Grant struct {
	Amount, Disbursed int64
	Milestones, Met   int
	UnmetDue          string
}

// OfGrant returns the facts of g.
func OfGrant(g *domain.Grant) string {
	f := Grant{Amount: g.Amount, Disbursed: g.Disbursed(), Milestones: len(g.Milestones), Met: g.MetCount()}
	var due []string
	for _, m := range g.Milestones {
		if !g.MilestoneMet(m.ID) && !m.Due.IsZero() {
			due = append(due, m.Due.String())
		}
	}
	slices.Sort(due)
	f.UnmetDue = strings.Join(due, ",")
	var b strings.Builder
	b.WriteString(tagGrant)
	for _, v := range []string{strconv.FormatInt(f.Amount, 10), strconv.FormatInt(f.Disbursed, 10), strconv.Itoa(f.Milestones), strconv.Itoa(f.Met), f.UnmetDue} {
		b.WriteByte(sep)
		b.WriteString(clean(v))
	}
	return b.String()
}

// ReadGrant reads the facts OfGrant wrote into f (see ReadAppeal).
func ReadGrant(s string, f *Grant) (ok bool) {
	*f = Grant{}
	r := reader{s: s}
	if !r.tag(tagGrant) {
		return false
	}
	f.Amount, f.Disbursed = int64(r.int(0)), int64(r.int(0))
	f.Milestones, f.Met = r.int(0), r.int(0)
	f.UnmetDue = r.next()
	return true
}

// EachList calls fn with each code of a list of codes joined by ','.
func EachList(list string, fn func(code string)) {
	for s := list; s != ""; {
		var c string
		c, s, _ = strings.Cut(s, string(listSep))
		if c != "" {
			fn(c)
		}
	}
}

type reader struct {
	s string
}

func (r *reader) tag(t string) bool {
	if !strings.HasPrefix(r.s, t) || len(r.s) > len(t) && r.s[len(t)] != sep {
		return false
	}
	r.s = r.s[len(t):]
	return true
}

// next returns the next field ("" past the end).
func (r *reader) next() string {
	if r.s == "" {
		return ""
	}
	r.s = r.s[1:] // the separator
	i := strings.IndexByte(r.s, sep)
	if i < 0 {
		v := r.s
		r.s = ""
		return v
	}
	v := r.s[:i]
	r.s = r.s[i:]
	return v
}

func (r *reader) int(def int) int {
	v := r.next()
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def
	}
	return n
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// clean keeps a value from breaking the form: a pulled record may hold
// anything in a field that should be a code.
func clean(v string) string {
	if strings.IndexByte(v, sep) < 0 {
		return v
	}
	return strings.ReplaceAll(v, string(sep), "")
}
