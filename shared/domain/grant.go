package domain

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kenesh/kenesh/shared/caldate"
)

// Small grants: the programme gives a council a grant for an advocacy
// campaign. Central staff record it (purpose, amount, dates, the
// milestones it must meet and what was paid out); the council reports
// each milestone as met. A grant is a council's record, read by that
// council and central staff, like its events.

// KindGrant is the record kind of a grant to a council.
const KindGrant = "grant"

// CurrencyKGS is the Kyrgyz som, the only currency of the programme's
// grants.
const CurrencyKGS = "KGS"

// MaxGrantAmount bounds an amount in som: larger is a typing error (the
// programme's grants are tens or hundreds of thousands).
const MaxGrantAmount = 1_000_000_000

// GrantCollections: milestones, the council's reports of them and the
// disbursements are items of their own, so central staff moving a due
// date and the council reporting the same milestone both keep theirs:
// the report is an item apart from the milestone it reports, with the
// milestone's id.
var GrantCollections = []string{"milestones", "reports", "disbursements"}

// GrantReportFields are the fields a council's laptop writes on a grant:
// its reports, one item a milestone. Everything else is central staff's.
const GrantReportFields = "reports"

// Grant is a grant to a council. Amounts are whole som.
type Grant struct {
	ID            string            `json:"id"`
	Council       string            `json:"council"`
	Purpose       string            `json:"purpose"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	StartOn       caldate.Date      `json:"start_on"`
	EndOn         caldate.Date      `json:"end_on"`
	Milestones    []Milestone       `json:"milestones,omitempty"`
	Reports       []MilestoneReport `json:"reports,omitempty"`
	Disbursements []Disbursement    `json:"disbursements,omitempty"`
	Notes         string            `json:"notes,omitempty"`
	Meta          *Meta             `json:"meta,omitempty"`
}

// Milestone is what the council must have done by a day (a campaign's
// launch, a hearing held, a report delivered).
type Milestone struct {
	ID    string       `json:"id"`
	Title string       `json:"title"`
	Due   caldate.Date `json:"due"`
}

// MilestoneReport is the council's report of a milestone: its id is the
// milestone's.
type MilestoneReport struct {
	ID    string       `json:"id"`
	Met   bool         `json:"met"`
	MetOn caldate.Date `json:"met_on,omitzero"`
	Note  string       `json:"note,omitempty"`
}

// Disbursement is a payment of part of the grant to the council.
type Disbursement struct {
	ID     string       `json:"id"`
	On     caldate.Date `json:"on"`
	Amount int64        `json:"amount"`
	Note   string       `json:"note,omitempty"`
}

// Report returns the report of milestone id, if the council made one.
func (g *Grant) Report(id string) (MilestoneReport, bool) {
	for _, r := range g.Reports {
		if r.ID == id {
			return r, true
		}
	}
	return MilestoneReport{}, false
}

// MilestoneMet reports whether milestone id is reported met.
func (g *Grant) MilestoneMet(id string) bool {
	r, ok := g.Report(id)
	return ok && r.Met
}

// ErrNoMilestone is a milestone a grant does not have.
var ErrNoMilestone = errors.New("the grant has no such milestone")

// MilestonesByDue are the grant's milestones in due order (then by id),
// as lists number them from 1.
func (g *Grant) MilestonesByDue() []Milestone {
	out := slices.Clone(g.Milestones)
	slices.SortStableFunc(out, func(a, b Milestone) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// FindMilestone finds a milestone by its id or its number in due order
// (1 is the first due).
func (g *Grant) FindMilestone(ref string) (Milestone, error) {
	ms := g.MilestonesByDue()
	if n, err := strconv.Atoi(ref); err == nil {
		if n >= 1 && n <= len(ms) {
			return ms[n-1], nil
		}
		return Milestone{}, fmt.Errorf("milestone %d: %w (it has %d, numbered from 1 in due order)", n, ErrNoMilestone, len(ms))
	}
	for _, m := range ms {
		if m.ID == ref {
			return m, nil
		}
	}
	return Milestone{}, fmt.Errorf("milestone %q: %w (give its id or its number in due order)", ref, ErrNoMilestone)
}

// Disbursed is the sum of the disbursements.
func (g *Grant) Disbursed() int64 {
	var n int64
	for _, d := range g.Disbursements {
		n += d.Amount
	}
	return n
}

// NextDue is the earliest due day of a milestone not reported met (zero
// when every milestone is met): late when before today.
func (g *Grant) NextDue() caldate.Date {
	var next caldate.Date
	for _, m := range g.Milestones {
		if !m.Due.IsZero() && !g.MilestoneMet(m.ID) && (next.IsZero() || m.Due.Before(next)) {
			next = m.Due
		}
	}
	return next
}

// MetCount is how many milestones are reported met.
func (g *Grant) MetCount() int {
	n := 0
	for _, m := range g.Milestones {
		if g.MilestoneMet(m.ID) {
			n++
		}
	}
	return n
}

// Normalize fills what a form would: the currency, the ids of new
// milestones and disbursements; and orders milestones by due day.
func (g *Grant) Normalize() {
	g.Purpose = strings.TrimSpace(g.Purpose)
	g.Currency = strings.ToUpper(strings.TrimSpace(g.Currency))
	if g.Currency == "" {
		g.Currency = CurrencyKGS
	}
	for i := range g.Milestones {
		g.Milestones[i].Title = strings.TrimSpace(g.Milestones[i].Title)
		if g.Milestones[i].ID == "" {
			g.Milestones[i].ID = NewID()
		}
	}
	for i := range g.Disbursements {
		if g.Disbursements[i].ID == "" {
			g.Disbursements[i].ID = NewID()
		}
	}
	sort.SliceStable(g.Milestones, func(i, j int) bool { return g.Milestones[i].Due.Before(g.Milestones[j].Due) })
}

// Validate checks a grant; today bounds dates (zero skips that check).
// Faults of an item are named by the item's field in the change log
// ("milestones/ID.due"), so that the server can tell which operation
// wrote them.
func (g *Grant) Validate(today caldate.Date) error {
	c := &checker{kind: KindGrant}
	c.councilRef("council", g.Council)
	c.text("purpose", g.Purpose, MaxLong, true)
	switch {
	case g.Amount <= 0:
		c.add("amount", CodeRange, "%d som: a grant's amount is a positive number of som", g.Amount)
	case g.Amount > MaxGrantAmount:
		c.add("amount", CodeRange, "%d som is more than %d: check the number of zeros", g.Amount, MaxGrantAmount)
	}
	if g.Currency != CurrencyKGS {
		c.add("currency", CodeUnknown, "%q is not the programme's currency: grants are in Kyrgyz som (KGS)", g.Currency)
	}
	c.date("start_on", g.StartOn, true, today)
	c.date("end_on", g.EndOn, true, today)
	if !g.StartOn.IsZero() && !g.EndOn.IsZero() && !g.EndOn.After(g.StartOn) {
		c.add("end_on", CodeRange, "the grant ends on %s, which is not after it starts on %s", g.EndOn, g.StartOn)
	}
	milestones := map[string]bool{}
	for _, m := range g.Milestones {
		p := "milestones/" + m.ID
		if !ValidID(m.ID) || milestones[m.ID] {
			c.add(p, CodeFormat, "%q is not a milestone's id, or is used twice", m.ID)
		}
		milestones[m.ID] = true
		c.text(p+".title", m.Title, MaxTitle, true)
		c.date(p+".due", m.Due, true, caldate.Date{})
		if !m.Due.IsZero() && !g.StartOn.IsZero() && !g.EndOn.IsZero() && (m.Due.Before(g.StartOn) || m.Due.After(g.EndOn)) {
			c.add(p+".due", CodeRange, "milestone %q is due on %s, outside the grant (%s to %s)", m.Title, m.Due, g.StartOn, g.EndOn)
		}
	}
	for _, r := range g.Reports {
		p := "reports/" + r.ID
		if !milestones[r.ID] {
			c.add(p, CodeUnknown, "reports a milestone the grant does not have (%q)", r.ID)
		}
		switch {
		case r.Met && r.MetOn.IsZero():
			c.add(p+".met_on", CodeRequired, "is required: the day the milestone was met (YYYY-MM-DD)")
		case !r.Met && !r.MetOn.IsZero():
			c.add(p+".met_on", CodeMismatch, "a milestone not met has no day it was met (%s)", r.MetOn)
		}
		c.date(p+".met_on", r.MetOn, false, caldate.Date{})
		c.notFuture(p+".met_on", r.MetOn, today)
		if !r.MetOn.IsZero() && !g.StartOn.IsZero() && r.MetOn.Before(g.StartOn) {
			c.add(p+".met_on", CodeRange, "%s is before the grant starts on %s", r.MetOn, g.StartOn)
		}
		c.text(p+".note", r.Note, MaxLong, false)
	}
	seen := map[string]bool{}
	for _, d := range g.Disbursements {
		p := "disbursements/" + d.ID
		if !ValidID(d.ID) || seen[d.ID] {
			c.add(p, CodeFormat, "%q is not a disbursement's id, or is used twice", d.ID)
		}
		seen[d.ID] = true
		c.date(p+".on", d.On, true, caldate.Date{})
		c.notFuture(p+".on", d.On, today)
		if d.Amount <= 0 || d.Amount > MaxGrantAmount {
			c.add(p+".amount", CodeRange, "%d som: a disbursement is a positive number of som", d.Amount)
		}
		c.text(p+".note", d.Note, MaxShort, false)
	}
	if paid := g.Disbursed(); g.Amount > 0 && paid > g.Amount {
		c.add("disbursements", CodeRange, "%d som disbursed in all, more than the grant's %d som: correct a disbursement or the amount", paid, g.Amount)
	}
	c.text("notes", g.Notes, MaxLong, false)
	return c.err()
}

// GrantFaultFields are the fields of the change log whose writing can
// cause fe, a fault Grant.Validate found: a fault of an item is its
// item's; the end before the start is either date's; disbursements over
// the amount are the amount's or any disbursement's ("disbursements/"
// stands for every item of the collection).
func GrantFaultFields(fe FieldError) []string {
	switch fe.Field {
	case "end_on":
		return []string{"start_on", "end_on"}
	case "disbursements":
		return []string{"amount", "disbursements/"}
	}
	field, _, _ := strings.Cut(fe.Field, ".")
	if strings.HasPrefix(field, "milestones/") && strings.HasSuffix(fe.Field, ".due") {
		// Outside the grant's dates: the dates' fault too.
		return []string{field, "start_on", "end_on"}
	}
	if strings.HasPrefix(field, "reports/") {
		// A report of a milestone removed, or met before the start.
		return []string{field, "milestones/" + strings.TrimPrefix(field, "reports/"), "start_on"}
	}
	return []string{field}
}
