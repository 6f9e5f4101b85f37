package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/facts"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Words puts a report in words in one language: the labels of its numbers,
// terms by their names, councils by their names. The Reports page, the
// XLSX summary and the PDF all show a report through it, so they say the
// same thing.
type Words struct {
	Tr  *l10n.Tr
	Cat *refdata.Catalog
	// Councils names the councils by their codes.
	Councils map[string]string
}

// NewWords makes the words of lang.
func NewWords(lang string, cat *refdata.Catalog, councils []domain.Council) (Words, error) {
	msgs, err := l10n.Load()
	if err != nil {
		return Words{}, err
	}
	w := Words{Tr: msgs.In(lang), Cat: cat, Councils: map[string]string{}}
	for _, c := range councils {
		w.Councils[c.Code] = c.Name
	}
	return w, nil
}

// Term names a code of list; None is "not stated".
func (w Words) Term(list refdata.List, code string) string {
	if code == None || code == "" {
		return w.Tr.T("report.none")
	}
	if t, ok := w.Cat.Term(list, code); ok {
		return t.Names.In(w.Tr.Lang)
	}
	return code
}

// Status names an appeal's status.
func (w Words) Status(s string) string {
	if s == None || s == "" {
		return w.Tr.T("report.none")
	}
	if k := "status." + s; w.Tr.Has(k) {
		return w.Tr.T(k)
	}
	return s
}

// Region names an oblast or city of republican significance.
func (w Words) Region(code string) string {
	if code == None || code == "" {
		return w.Tr.T("report.none")
	}
	if r, ok := w.Cat.Region(code); ok {
		return r.Names.In(w.Tr.Lang)
	}
	return code
}

// District names a district with its oblast ("Ат-Башы району, Нарын
// облусу"), its code when it is not known.
func (w Words) District(code string) string {
	d, r, ok := w.Cat.District(code)
	if !ok {
		return code
	}
	return d.Names.In(w.Tr.Lang) + ", " + r.Names.In(w.Tr.Lang)
}

// Council names a council (its code when it is not known here).
func (w Words) Council(code string) string {
	if n := w.Councils[code]; n != "" {
		return n
	}
	return code
}

// Group names a group of figures set side by side: a council, an oblast,
// a month or a quarter.
func (w Words) Group(by, key string) string {
	if key == None {
		return w.Tr.T("report.none")
	}
	switch by {
	case ByCouncil:
		return w.Council(key)
	case ByOblast:
		return w.Region(key)
	case ByMonth, ByQuarter:
		y, m := periodStart(key)
		if by == ByMonth {
			return w.Tr.Month(y, time.Month(m), false)
		}
		return w.Tr.T("report.quarter", "q", (m+2)/3, "year", strconv.Itoa(y))
	}
	return key
}

// Outcome names an outcome (facts.Outcomes).
func (w Words) Outcome(o string) string {
	if o == None {
		return w.Tr.T("report.none")
	}
	return w.Tr.T("report.outcome." + o)
}

// Section is a titled table of a report's numbers: a label per row and a
// cell per column.
type Section struct {
	ID      string   // stable: "appeals.by_channel"
	Title   string   // in words
	Columns []string // the heads of the cells' columns
	Rows    []Row
}

// Row is a line of a section.
type Row struct {
	Label string
	Cells []Cell
	// Total marks a row that sums the others.
	Total bool
}

// Cell is one number of a report, as shown and as a number.
type Cell struct {
	Text string
	// Value is the number (a count, a median in days, a share from 0 to
	// 1); Valid is false where there is none (a median of nothing).
	Value float64
	Valid bool
	Share bool
	// Sel names the records behind the number, when a list can show
	// them (Selection.Measure is empty otherwise).
	Sel Selection
}

func (w Words) count(n int, sel Selection) Cell {
	return Cell{Text: w.Tr.Int(n), Value: float64(n), Valid: true, Sel: sel}
}

func (w Words) days(d *float64) Cell {
	if d == nil {
		return Cell{Text: "—"}
	}
	return Cell{Text: w.decimal(*d), Value: *d, Valid: true}
}

func (w Words) share(s *float64, sel Selection) Cell {
	if s == nil {
		return Cell{Text: "—", Share: true}
	}
	return Cell{Text: w.decimal(math.Round(*s*1000)/10) + " %", Value: *s, Valid: true, Share: true, Sel: sel}
}

// decimal writes a number with at most one decimal, with the language's
// decimal sign.
func (w Words) decimal(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	if w.Tr.Lang != "en" {
		for i := range len(s) {
			if s[i] == '.' {
				s = s[:i] + "," + s[i+1:]
			}
		}
	}
	return s
}

// Sections lists the figures of r's summary (or of the group with key
// group, "" for the summary) in words: the programme's indicators (of the
// summary only), then events, participants, follow-up actions, appeals
// and their handling. Each count names the records behind it.
func (r *Report) Sections(w Words, group string) []Section {
	fig := r.Summary
	if group != "" {
		i := slices.IndexFunc(r.Groups, func(g Group) bool { return g.Key == group })
		if i < 0 {
			return nil
		}
		fig = r.Groups[i].Figures
	}
	sel := func(measure, key string) Selection {
		return Selection{Filter: r.Filter, Group: group, Measure: measure, Key: key}
	}
	tr := w.Tr
	one := []string{tr.T("report.col.count")}
	var out []Section
	if group == "" {
		in := r.Indicators
		target := func(n int) Cell { return w.count(n, Selection{}) }
		none := Cell{}
		out = append(out, Section{ID: "indicators", Title: tr.T("report.sec.indicators"),
			Columns: []string{tr.T("report.col.count"), tr.T("report.col.target")}, Rows: []Row{
				{Label: tr.T("report.ind.councils"), Cells: []Cell{w.count(in.Councils, Selection{}), target(in.CouncilsTarget)}},
				{Label: tr.T("report.ind.oblasts"), Cells: []Cell{w.count(in.Oblasts, Selection{}), target(in.OblastsTarget)}},
				{Label: tr.T("report.ind.active"), Cells: []Cell{w.count(in.Active, Selection{}), none}},
				{Label: tr.T("report.ind.public_platforms"), Cells: []Cell{w.count(in.PublicPlatforms, Selection{}), none}},
				{Label: tr.T("report.ind.people_reached"), Cells: []Cell{w.count(in.PeopleReached, Selection{}), none}},
				{Label: tr.T("report.ind.appeals_resolved"), Cells: []Cell{w.count(in.AppealsResolved, sel(AppealsResolved, "")), none}},
			}})
	}
	ev := fig.Events
	kinds := Section{ID: EventsByKind, Title: tr.T("report.sec.events"), Columns: one,
		Rows: []Row{{Label: tr.T("report.events_total"), Cells: []Cell{w.count(ev.Total, sel(EventsTotal, ""))}, Total: true}}}
	for _, k := range w.codes(refdata.EventKinds, ev.ByKind) {
		kinds.Rows = append(kinds.Rows, Row{Label: w.Term(refdata.EventKinds, k), Cells: []Cell{w.count(ev.ByKind[k], sel(EventsByKind, k))}})
	}
	out = append(out, kinds)

	parts := Section{ID: "events.participants", Title: tr.T("report.sec.participants"),
		Columns: []string{tr.T("field.female"), tr.T("field.male"), tr.T("field.unspecified"), tr.T("field.total")}}
	gendered := func(g Gendered, s Selection) []Cell {
		return []Cell{w.count(g.Female, Selection{}), w.count(g.Male, Selection{}), w.count(g.Unspecified, Selection{}), w.count(g.Total, s)}
	}
	for _, t := range w.Cat.Terms(refdata.ParticipantGroups) {
		parts.Rows = append(parts.Rows, Row{Label: t.Names.In(tr.Lang), Cells: gendered(ev.Participants[t.Code], sel(EventsWithGroup, t.Code))})
	}
	parts.Rows = append(parts.Rows, Row{Label: tr.T("field.total"), Cells: gendered(ev.ParticipantsTotal, Selection{}), Total: true})
	out = append(out, parts)

	fu := ev.FollowUps
	out = append(out, Section{ID: "events.followups", Title: tr.T("report.sec.followups"), Columns: one, Rows: []Row{
		{Label: tr.T("report.fu.open"), Cells: []Cell{w.count(fu.Open, sel(EventsFollowOpen, ""))}},
		{Label: tr.T("report.fu.late"), Cells: []Cell{w.count(fu.Late, sel(EventsFollowLate, ""))}},
		{Label: tr.T("report.fu.done"), Cells: []Cell{w.count(fu.Done, Selection{})}},
		{Label: tr.T("report.fu.cancelled"), Cells: []Cell{w.count(fu.Cancelled, Selection{})}},
	}})

	ap := fig.Appeals
	out = append(out, Section{ID: AppealsTotal, Title: tr.T("report.sec.appeals"), Columns: one, Rows: []Row{
		{Label: tr.T("report.appeals_total"), Cells: []Cell{w.count(ap.Total, sel(AppealsTotal, ""))}, Total: true},
	}})
	byTerm := func(id, title string, list refdata.List, m map[string]int) {
		s := Section{ID: id, Title: title, Columns: one}
		for _, k := range w.codes(list, m) {
			s.Rows = append(s.Rows, Row{Label: w.Term(list, k), Cells: []Cell{w.count(m[k], sel(id, k))}})
		}
		out = append(out, s)
	}
	byTerm(AppealsChannel, tr.T("report.sec.by_channel"), refdata.AppealChannels, ap.ByChannel)
	byTerm(AppealsCategory, tr.T("report.sec.by_category"), refdata.RightCategories, ap.ByCategory)
	byTerm(AppealsAuthority, tr.T("report.sec.by_authority"), refdata.Authorities, ap.ByAuthority)
	status := Section{ID: AppealsStatus, Title: tr.T("report.sec.by_status"), Columns: one}
	for _, st := range domain.Statuses {
		if n, ok := ap.ByStatus[string(st)]; ok {
			status.Rows = append(status.Rows, Row{Label: w.Status(string(st)), Cells: []Cell{w.count(n, sel(AppealsStatus, string(st)))}})
		}
	}
	out = append(out, status)
	outcome := Section{ID: AppealsOutcome, Title: tr.T("report.sec.by_outcome"), Columns: one}
	for _, o := range facts.Outcomes {
		if n, ok := ap.ByOutcome[o]; ok {
			outcome.Rows = append(outcome.Rows, Row{Label: w.Outcome(o), Cells: []Cell{w.count(n, sel(AppealsOutcome, o))}})
		}
	}
	out = append(out, outcome)
	byTerm(AppealsGender, tr.T("report.sec.by_gender"), refdata.Genders, ap.ByGender)
	byTerm(AppealsAgeGroup, tr.T("report.sec.by_age_group"), refdata.AgeGroups, ap.ByAgeGroup)
	byTerm(AppealsVulnerable, tr.T("report.sec.by_vulnerable_group"), refdata.VulnerableGroups, ap.ByVulnerableGroup)

	out = append(out, Section{ID: "appeals.handling", Title: tr.T("report.sec.handling"), Columns: one, Rows: []Row{
		{Label: tr.T("report.h.registered_in_time"), Cells: []Cell{w.count(ap.RegisteredInTime, sel(AppealsRegInTime, ""))}},
		{Label: tr.T("report.h.median_register"), Cells: []Cell{w.days(ap.MedianDaysToRegister)}},
		{Label: tr.T("report.h.answered"), Cells: []Cell{w.count(ap.Answered, sel(AppealsAnswered, ""))}},
		{Label: tr.T("report.h.answered_in_time"), Cells: []Cell{w.count(ap.AnsweredInTime, sel(AppealsAnsInTime, ""))}},
		{Label: tr.T("report.h.share_in_time"), Cells: []Cell{w.share(ap.ShareAnsweredInTime, sel(AppealsAnsInTime, ""))}},
		{Label: tr.T("report.h.median_answer"), Cells: []Cell{w.days(ap.MedianDaysToAnswer)}},
		{Label: tr.T("report.h.overdue", "day", r.Day), Cells: []Cell{w.count(ap.Overdue, sel(AppealsOverdue, ""))}},
		{Label: tr.T("report.h.consultations"), Cells: []Cell{w.count(ap.Consultations, sel(AppealsConsulted, ""))}},
		{Label: tr.T("report.h.published"), Cells: []Cell{w.count(ap.Published, sel(AppealsPublished, ""))}},
		{Label: tr.T("report.h.resolved"), Cells: []Cell{w.count(ap.Resolved, sel(AppealsResolved, ""))}},
	}})
	// Small grants, where the report counts any (a council's laptop
	// without one is not shown a table of zeros).
	if r.Summary.Grants.Total > 0 {
		g := fig.Grants
		out = append(out, Section{ID: "grants", Title: tr.T("report.sec.grants"), Columns: one, Rows: []Row{
			{Label: tr.T("report.g.total"), Cells: []Cell{w.count(g.Total, Selection{})}, Total: true},
			{Label: tr.T("report.g.amount"), Cells: []Cell{w.count(int(g.Amount), Selection{})}},
			{Label: tr.T("report.g.disbursed"), Cells: []Cell{w.count(int(g.Disbursed), Selection{})}},
			{Label: tr.T("report.g.milestones"), Cells: []Cell{w.count(g.Milestones, Selection{})}},
			{Label: tr.T("report.g.met"), Cells: []Cell{w.count(g.MilestonesMet, Selection{})}},
			{Label: tr.T("report.g.late", "day", r.Day), Cells: []Cell{w.count(g.MilestonesLate, Selection{})}},
			{Label: tr.T("report.g.pending"), Cells: []Cell{w.count(g.MilestonesPending, Selection{})}},
		}})
	}
	return out
}

// codes lists the codes a "by" map holds in the order of list, then those
// list does not know, then None.
func (w Words) codes(list refdata.List, m map[string]int) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range w.Cat.Terms(list) {
		if _, ok := m[t.Code]; ok {
			out = append(out, t.Code)
			seen[t.Code] = true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] && k != None {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	out = append(out, rest...)
	if _, ok := m[None]; ok {
		out = append(out, None)
	}
	return out
}

// GroupTable sets the main figures of r's groups side by side (nil when r
// has no groups): one row per council, oblast, month or quarter, and a
// total.
func (r *Report) GroupTable(w Words) *Section {
	if r.Filter.By == "" {
		return nil
	}
	tr := w.Tr
	s := &Section{ID: "groups." + r.Filter.By, Title: tr.T("report.by." + r.Filter.By), Columns: []string{
		tr.T("report.col.events"), tr.T("report.col.participants"), tr.T("report.col.appeals"), tr.T("report.col.answered"),
		tr.T("report.col.in_time"), tr.T("report.col.overdue"), tr.T("report.col.published"), tr.T("report.col.resolved")}}
	row := func(label, group string, f Figures, total bool) Row {
		sel := func(m string) Selection { return Selection{Filter: r.Filter, Group: group, Measure: m} }
		if total {
			sel = func(m string) Selection { return Selection{Filter: r.Filter, Measure: m} }
		}
		return Row{Label: label, Total: total, Cells: []Cell{
			w.count(f.Events.Total, sel(EventsTotal)),
			w.count(f.Events.ParticipantsTotal.Total, Selection{}),
			w.count(f.Appeals.Total, sel(AppealsTotal)),
			w.count(f.Appeals.Answered, sel(AppealsAnswered)),
			w.share(f.Appeals.ShareAnsweredInTime, sel(AppealsAnsInTime)),
			w.count(f.Appeals.Overdue, sel(AppealsOverdue)),
			w.count(f.Appeals.Published, sel(AppealsPublished)),
			w.count(f.Appeals.Resolved, sel(AppealsResolved)),
		}}
	}
	// The grants' amounts and milestones met, where the report counts
	// any grant.
	grants := r.Summary.Grants.Total > 0
	if grants {
		s.Columns = append(s.Columns, tr.T("report.col.grants_amount"), tr.T("report.col.milestones_met"))
		plain := row
		row = func(label, group string, f Figures, total bool) Row {
			rw := plain(label, group, f, total)
			rw.Cells = append(rw.Cells, w.count(int(f.Grants.Amount), Selection{}), w.count(f.Grants.MilestonesMet, Selection{}))
			return rw
		}
	}
	for _, g := range r.Groups {
		s.Rows = append(s.Rows, row(w.Group(r.Filter.By, g.Key), g.Key, g.Figures, false))
	}
	s.Rows = append(s.Rows, row(tr.T("field.total"), "", r.Summary, true))
	return s
}

// Period says the report's period in words: "01.01.2026 – 31.03.2026",
// "from 01.01.2026", "all time".
func (r *Report) Period(w Words) string {
	f, t := r.Filter.From, r.Filter.To
	switch {
	case f.IsZero() && t.IsZero():
		return w.Tr.T("report.period_all")
	case t.IsZero():
		return w.Tr.T("report.period_from", "from", f)
	case f.IsZero():
		return w.Tr.T("report.period_to", "to", t)
	}
	return fmt.Sprintf("%s – %s", w.Tr.Date(f), w.Tr.Date(t))
}

// ScopeText says whose records the report counts: every council, one
// council, one district, one oblast.
func (r *Report) ScopeText(w Words) string {
	switch {
	case r.Filter.Council != "":
		return w.Council(r.Filter.Council)
	case r.Scope != "all":
		return w.Council(r.Scope)
	case r.Filter.District != "":
		return w.District(r.Filter.District)
	case r.Filter.Oblast != "":
		return w.Region(r.Filter.Oblast)
	}
	return w.Tr.T("report.scope_all")
}

// Head is what a report says before its figures: its title and what it
// was computed from.
type Head struct {
	Title string
	Lines []HeadLine
}

// HeadLine is a label and its value, in words.
type HeadLine struct {
	Label, Value string
}

// Heading is r's head in words: the programme, the period, whose records,
// the day the figures are as of, when it was made, the log point it was
// computed from and its digest, with which anyone can check later that
// two copies of a report say the same.
func (r *Report) Heading(w Words, programme string) Head {
	tr := w.Tr
	h := Head{Title: tr.T("report.title")}
	add := func(key, v string) { h.Lines = append(h.Lines, HeadLine{Label: tr.T(key), Value: v}) }
	if programme != "" {
		add("report.head.programme", programme)
	}
	add("report.head.period", r.Period(w))
	add("report.head.scope", r.ScopeText(w))
	if r.Replay != nil {
		add("report.head.as_of", tr.T("report.as_of_value", "day", r.Day, "ops", r.Replay.Ops, "later", r.Replay.Later))
	} else {
		add("report.head.day", tr.Date(r.Day))
	}
	add("report.head.made_at", tr.DateTime(r.MadeAt))
	point := tr.T("report.point_value", "cursor", r.Point.Cursor, "clock", strconv.FormatUint(r.Point.Clock, 10))
	if !r.Point.ClockAt.IsZero() {
		point += " (" + tr.DateTime(r.Point.ClockAt) + ")"
	}
	add("report.head.log_point", point)
	add("report.head.digest", r.Digest)
	return h
}
