package reports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/facts"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Schema names the form of a report's JSON; a change that a script reading
// it would notice takes a new number.
const Schema = "kenesh.report/1"

// Ways to set figures side by side (Filter.By).
const (
	ByCouncil = "council"
	ByOblast  = "oblast"
	ByMonth   = "month"
	ByQuarter = "quarter"
)

// Bys lists them.
var Bys = []string{ByCouncil, ByOblast, ByMonth, ByQuarter}

// None is the key under which a report counts records that do not say (an
// appeal with no authority, an appellant whose gender was not recorded).
const None = "none"

// Filter is what a report is asked for. Appeals count in the period by
// the day they were received, events by the day they were held; Council,
// Oblast and District select by the record's own council, oblast and
// district.
type Filter struct {
	From     caldate.Date `json:"from,omitzero"`
	To       caldate.Date `json:"to,omitzero"`
	Council  string       `json:"council,omitempty"`
	Oblast   string       `json:"oblast,omitempty"`
	District string       `json:"district,omitempty"`
	// AsOf computes the report from the operation log as it stood at the
	// end of that day in Bishkek (see AsOf in the package doc).
	AsOf caldate.Date `json:"as_of,omitzero"`
	By   string       `json:"by,omitempty"`
}

// Report is a report's figures, what they were computed from, and their
// digest.
type Report struct {
	Schema string `json:"schema"`
	Filter Filter `json:"filter"`
	// Day is the day the figures are as of: overdue appeals and late
	// follow-up actions are those late on it (today, or the as-of day).
	Day caldate.Date `json:"day"`
	// Scope is "all" (central staff, or a laptop not enrolled), or the one
	// council whose records this laptop reads.
	Scope string `json:"scope"`
	// Point is the point of the operation log the figures come from.
	Point domain.LogPoint `json:"log_point"`
	// Replay says what an as-of report merged again from the log.
	Replay *Replay `json:"replay,omitempty"`
	// Digest is the SHA-256 of the figures with their filter and day (not
	// of the log point): the same figures give the same digest.
	Digest     string     `json:"digest"`
	Indicators Indicators `json:"indicators"`
	Summary    Figures    `json:"summary"`
	Groups     []Group    `json:"groups,omitempty"`
	MadeAt     time.Time  `json:"made_at"`
}

// Replay says what an as-of report read of the operation log.
type Replay struct {
	// Cutoff is the last instant counted: the end of the as-of day in
	// Bishkek.
	Cutoff time.Time `json:"cutoff"`
	// Ops counts the operations merged; Later those after the cut-off
	// (the changes that make today's figures differ).
	Ops   int `json:"ops"`
	Later int `json:"later"`
}

// Indicators are the programme's (Programme), for the whole report.
type Indicators struct {
	// Councils in the report's scope and filter, and the oblasts they sit
	// in; Active those that recorded an event or appeal in the period.
	Councils        int `json:"councils"`
	CouncilsTarget  int `json:"councils_target"`
	Oblasts         int `json:"oblasts"`
	OblastsTarget   int `json:"oblasts_target"`
	Active          int `json:"active_councils"`
	PublicPlatforms int `json:"public_platforms"`
	PeopleReached   int `json:"people_reached"`
	AppealsResolved int `json:"appeals_resolved"`
}

// Group is one column of figures side by side: a council, an oblast, a
// month ("2026-03") or a quarter ("2026-Q1").
type Group struct {
	Key string `json:"key"`
	Figures
}

// Figures are the counts of a report, its summary or one group.
type Figures struct {
	Events  EventFigures  `json:"events"`
	Appeals AppealFigures `json:"appeals"`
	Grants  GrantFigures  `json:"grants"`
}

// GrantFigures count the small grants to councils that start in the
// period (domain.Grant): their amounts and what was paid out, in som, and
// their milestones: reported met, and late (past their due day on the
// report's day, not met).
type GrantFigures struct {
	Total             int   `json:"total"`
	Amount            int64 `json:"amount"`
	Disbursed         int64 `json:"disbursed"`
	Milestones        int   `json:"milestones"`
	MilestonesMet     int   `json:"milestones_met"`
	MilestonesLate    int   `json:"milestones_late"`
	MilestonesPending int   `json:"milestones_pending"`
}

// Gendered counts people by gender.
type Gendered struct {
	Female      int `json:"female"`
	Male        int `json:"male"`
	Unspecified int `json:"unspecified"`
	Total       int `json:"total"`
}

func (g *Gendered) add(f, m, u int) {
	g.Female += f
	g.Male += m
	g.Unspecified += u
	g.Total += f + m + u
}

// EventFigures count the events held in the period.
type EventFigures struct {
	Total  int            `json:"total"`
	ByKind map[string]int `json:"by_kind"`
	// Participants by group (council members, civil society, officials,
	// journalists, citizens) and gender; ParticipantsTotal over groups.
	Participants      map[string]Gendered `json:"participants"`
	ParticipantsTotal Gendered            `json:"participants_total"`
	FollowUps         FollowUps           `json:"followups"`
}

// FollowUps count the follow-up actions of the events: open (not yet
// due on the report's day), late (open, due before it), done, cancelled.
type FollowUps struct {
	Open      int `json:"open"`
	Late      int `json:"late"`
	Done      int `json:"done"`
	Cancelled int `json:"cancelled"`
}

// AppealFigures count the appeals received in the period.
type AppealFigures struct {
	Total             int            `json:"total"`
	ByChannel         map[string]int `json:"by_channel"`
	ByCategory        map[string]int `json:"by_category"`
	ByAuthority       map[string]int `json:"by_authority"`
	ByStatus          map[string]int `json:"by_status"`
	ByOutcome         map[string]int `json:"by_outcome"`
	ByGender          map[string]int `json:"by_gender"`
	ByAgeGroup        map[string]int `json:"by_age_group"`
	ByVulnerableGroup map[string]int `json:"by_vulnerable_group"`
	// RegisteredInTime: registered by the legal deadline (one working day
	// of receipt); MedianDaysToRegister in calendar days.
	RegisteredInTime     int      `json:"registered_in_time"`
	MedianDaysToRegister *float64 `json:"median_days_to_register"`
	// Answered: the authority's answer came; AnsweredInTime by the
	// deadline (with the extension granted); ShareAnsweredInTime is their
	// ratio (null when none was answered); MedianDaysToAnswer counts
	// calendar days from registration to the answer.
	Answered            int      `json:"answered"`
	AnsweredInTime      int      `json:"answered_in_time"`
	ShareAnsweredInTime *float64 `json:"share_answered_in_time"`
	MedianDaysToAnswer  *float64 `json:"median_days_to_answer"`
	// Overdue: still awaiting the answer, past its deadline on the
	// report's day.
	Overdue       int `json:"overdue"`
	Consultations int `json:"consultations"`
	// Published: the public register shows them.
	Published int `json:"published"`
	Resolved  int `json:"resolved"`
}

// Make computes a report on the laptop's records: from the index alone,
// or, with f.AsOf, from the operation log as it stood then.
func Make(ctx context.Context, svc *records.Service, f Filter) (*Report, error) {
	prog, err := DefaultProgramme()
	if err != nil {
		return nil, err
	}
	councils, err := svc.Councils(ctx)
	if err != nil {
		return nil, err
	}
	today := svc.Today()
	if err := check(f, svc.Catalog(), councils, today); err != nil {
		return nil, err
	}
	r := &Report{Schema: Schema, Filter: f, Day: today, Scope: "all", MadeAt: time.Now().UTC().Truncate(time.Second)}
	dev, enrolled := svc.Reader()
	if enrolled && dev.Role != domain.RoleCentral {
		r.Scope = dev.Council
	}
	visible := func(kind, council string) bool { return !enrolled || policy.MayRead(dev, kind, council) }
	c := newCounter(f, today)
	if !f.AsOf.IsZero() {
		r.Day, c.day = f.AsOf, f.AsOf.String()
		r.Replay = &Replay{Cutoff: Cutoff(f.AsOf).UTC()}
	}
	var newest hlc.Timestamp
	base := records.Filter{Council: f.Council, Oblast: f.Oblast, District: f.District, From: f.From, To: f.To}
	// A grant's oblast and district are its council's (the grant names
	// neither).
	councilOf := map[string]domain.Council{}
	for _, co := range councils {
		councilOf[co.Code] = co
	}
	for _, kind := range countedKinds {
		base.Kind = kind
		base.Oblast, base.District = f.Oblast, f.District
		if kind == domain.KindGrant {
			base.Oblast, base.District = "", ""
		}
		visit := func(row *records.FactRow) {
			if row.Deleted || !visible(kind, row.Council) {
				return
			}
			if kind == domain.KindGrant {
				co := councilOf[row.Council]
				row.Oblast, row.District = co.Oblast, co.District
				if f.Oblast != "" && row.Oblast != f.Oblast || f.District != "" && row.District != f.District {
					return
				}
			}
			c.add(row)
			newest = max(newest, row.Updated)
		}
		if f.AsOf.IsZero() {
			err = svc.ScanFacts(base, visit)
		} else {
			var st records.AsOfStats
			st, err = svc.ScanFactsAsOf(ctx, base, CutoffClock(f.AsOf), visit)
			r.Replay.Ops += st.Ops
			r.Replay.Later += st.Later
		}
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	sync, err := svc.SyncState(ctx)
	if err != nil {
		return nil, err
	}
	r.Point = domain.LogPoint{Cursor: sync.Cursor, Clock: uint64(newest)}
	if newest != 0 {
		r.Point.ClockAt = newest.Time()
	}
	r.Summary = c.summary.figures()
	r.Groups = c.groups(f, councils, visible)
	r.Indicators = indicators(prog, svc.Catalog(), councils, f, visible, c, r.Summary)
	r.Digest = digest(r)
	return r, nil
}

// Cutoff is the last instant of day in Bishkek: what "as of day" counts up to.
func Cutoff(day caldate.Date) time.Time {
	return day.AddDays(1).In(records.Bishkek).Add(-time.Millisecond)
}

// CutoffClock is the last clock of day in Bishkek: every operation made
// on that day, by the clock of the laptop that made it, is at or before it.
func CutoffClock(day caldate.Date) hlc.Timestamp {
	return hlc.New(Cutoff(day).UnixMilli(), math.MaxUint16)
}

// CheckFilter refuses, with a FilterError, a filter no report (or export)
// can answer on svc's records.
func CheckFilter(ctx context.Context, svc *records.Service, f Filter) error {
	councils, err := svc.Councils(ctx)
	if err != nil {
		return err
	}
	return check(f, svc.Catalog(), councils, svc.Today())
}

// FilterError is a report asked for with a filter that cannot be
// answered: a period that ends before it starts, an unknown council. The
// person asking must change it.
type FilterError struct{ Msg string }

func (e *FilterError) Error() string { return "report: " + e.Msg }

func filterErr(format string, a ...any) error { return &FilterError{Msg: fmt.Sprintf(format, a...)} }

func check(f Filter, cat *refdata.Catalog, councils []domain.Council, today caldate.Date) error {
	switch {
	case !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From):
		return filterErr("the period ends (%s) before it starts (%s)", f.To, f.From)
	case f.By != "" && !slices.Contains(Bys, f.By):
		return filterErr("by %q: use one of %v", f.By, Bys)
	case !f.AsOf.IsZero() && f.AsOf.After(today):
		return filterErr("as of %s is after today (%s): leave the as-of day out for today's figures", f.AsOf, today)
	}
	if f.Oblast != "" {
		if _, ok := cat.Region(f.Oblast); !ok {
			return filterErr("%q is not an oblast or city code (KG-B, KG-C, KG-GB, KG-GO, KG-J, KG-N, KG-O, KG-T, KG-Y)", f.Oblast)
		}
	}
	if f.District != "" {
		_, r, ok := cat.District(f.District)
		if !ok {
			return filterErr("%q is not a district code (a district of an oblast, e.g. KG-N-ATB; the codes are in assets/refdata)", f.District)
		}
		if f.Oblast != "" && r.Code != f.Oblast {
			return filterErr("district %s is in %s, not in %s: leave the oblast out, or choose a district of it", f.District, r.Code, f.Oblast)
		}
	}
	if f.Council != "" && !slices.ContainsFunc(councils, func(c domain.Council) bool { return c.Code == f.Council }) {
		return filterErr("%q is not a council of this installation (keneshctl council list)", f.Council)
	}
	return nil
}

// digest is the SHA-256 of what the figures say: filter, day, scope,
// indicators, summary and groups.
func digest(r *Report) string {
	b, err := json.Marshal(struct {
		Filter     Filter
		Day        caldate.Date
		Scope      string
		Indicators Indicators
		Summary    Figures
		Groups     []Group
	}{r.Filter, r.Day, r.Scope, r.Indicators, r.Summary, r.Groups})
	if err != nil {
		panic(err) // figures are numbers and maps of numbers
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// counter adds records to the summary and to their group.
type counter struct {
	by      string
	day     string // YYYY-MM-DD
	summary *acc
	group   map[string]*acc
	active  map[string]bool // councils that recorded something
	ap      facts.Appeal
	ev      facts.Event
	gr      facts.Grant
}

func newCounter(f Filter, today caldate.Date) *counter {
	return &counter{by: f.By, day: today.String(), summary: newAcc(), group: map[string]*acc{}, active: map[string]bool{}}
}

// GroupKey is the key of the group a record with these columns counts in.
func GroupKey(by, council, oblast, date string) string {
	switch by {
	case ByCouncil:
		return council
	case ByOblast:
		return keyOr(oblast)
	case ByMonth:
		if len(date) >= 7 {
			return date[:7]
		}
	case ByQuarter:
		if len(date) >= 7 {
			m := (date[5]-'0')*10 + date[6] - '0'
			return fmt.Sprintf("%s-Q%d", date[:4], (m+2)/3)
		}
	}
	return None
}

// countedKinds are the record kinds a report counts, each by its own
// method of acc (counter.add) into its own part of Figures. A kind of
// issue 17 (trainings, grants, ...) plugs in with its facts (package
// facts), a part of Figures, a case in counter.add and its measures
// (selection.go).
var countedKinds = []string{domain.KindAppeal, domain.KindEvent, domain.KindGrant}

func (c *counter) add(row *records.FactRow) {
	if row.Kind != domain.KindGrant {
		// Active councils are those that recorded something; a grant is
		// recorded by central staff.
		c.active[row.Council] = true
	}
	accs := [2]*acc{c.summary}
	if c.by != "" {
		k := GroupKey(c.by, row.Council, row.Oblast, row.Date)
		g := c.group[k]
		if g == nil {
			g = newAcc()
			c.group[k] = g
		}
		accs[1] = g
	}
	switch row.Kind {
	case domain.KindAppeal:
		facts.ReadAppeal(row.Facts, &c.ap)
		for _, a := range accs {
			if a != nil {
				a.appeal(row, &c.ap, c.day)
			}
		}
	case domain.KindEvent:
		facts.ReadEvent(row.Facts, &c.ev)
		for _, a := range accs {
			if a != nil {
				a.event(row, &c.ev, c.day)
			}
		}
	case domain.KindGrant:
		facts.ReadGrant(row.Facts, &c.gr)
		for _, a := range accs {
			if a != nil {
				a.grant(&c.gr, c.day)
			}
		}
	}
}

func (a *acc) grant(f *facts.Grant, day string) {
	g := &a.f.Grants
	g.Total++
	g.Amount += f.Amount
	g.Disbursed += f.Disbursed
	g.Milestones += f.Milestones
	g.MilestonesMet += f.Met
	facts.EachList(f.UnmetDue, func(due string) {
		if due < day {
			g.MilestonesLate++
		} else {
			g.MilestonesPending++
		}
	})
}

// groups lists the groups side by side: every council in scope, every
// oblast of those councils and of the records, every month or quarter
// from the first to the last of the period (or of the records).
func (c *counter) groups(f Filter, councils []domain.Council, visible func(kind, council string) bool) []Group {
	if c.by == "" {
		return nil
	}
	keys := map[string]bool{}
	for k := range c.group {
		keys[k] = true
	}
	switch c.by {
	case ByCouncil, ByOblast:
		for _, co := range councils {
			if visible(domain.KindAppeal, co.Code) {
				keys[GroupKey(c.by, co.Code, co.Oblast, "")] = true
			}
		}
	case ByMonth, ByQuarter:
		for _, d := range []caldate.Date{f.From, f.To} {
			if !d.IsZero() {
				keys[GroupKey(c.by, "", "", d.String())] = true
			}
		}
		fillPeriods(c.by, keys)
	}
	out := make([]Group, 0, len(keys))
	for k := range keys {
		a := c.group[k]
		if a == nil {
			a = newAcc()
		}
		out = append(out, Group{Key: k, Figures: a.figures()})
	}
	slices.SortFunc(out, func(a, b Group) int {
		switch {
		case a.Key == None:
			return 1
		case b.Key == None:
			return -1
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return out
}

// fillPeriods adds the months or quarters missing between the first and
// the last key, so that a series has no holes.
func fillPeriods(by string, keys map[string]bool) {
	var first, last string
	for k := range keys {
		if k == None {
			continue
		}
		if first == "" || k < first {
			first = k
		}
		if k > last {
			last = k
		}
	}
	if first == "" {
		return
	}
	y, m := periodStart(first)
	for n := 0; n < 1200; n++ {
		k := GroupKey(by, "", "", fmt.Sprintf("%04d-%02d", y, m))
		keys[k] = true
		if k >= last {
			return
		}
		step := 1
		if by == ByQuarter {
			step = 3
		}
		m += step
		for m > 12 {
			m -= 12
			y++
		}
	}
}

func periodStart(key string) (year, month int) {
	fmt.Sscanf(key[:4], "%d", &year)
	if q, ok := cutPrefix(key[4:], "-Q"); ok {
		var n int
		fmt.Sscanf(q, "%d", &n)
		return year, n*3 - 2
	}
	fmt.Sscanf(key[5:], "%d", &month)
	return year, month
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

func indicators(p *Programme, cat *refdata.Catalog, councils []domain.Council, f Filter, visible func(kind, council string) bool, c *counter, sum Figures) Indicators {
	in := Indicators{CouncilsTarget: p.Targets.Councils, OblastsTarget: p.Targets.Oblasts}
	oblasts := map[string]bool{}
	for _, co := range councils {
		if !visible(domain.KindAppeal, co.Code) || f.Council != "" && co.Code != f.Council || f.Oblast != "" && co.Oblast != f.Oblast ||
			f.District != "" && co.District != f.District {
			continue
		}
		in.Councils++
		if r, ok := cat.Region(co.Oblast); ok && r.Kind == refdata.KindOblast {
			oblasts[co.Oblast] = true
		}
		if c.active[co.Code] {
			in.Active++
		}
	}
	in.Oblasts = len(oblasts)
	for _, k := range p.PublicPlatformKinds {
		in.PublicPlatforms += sum.Events.ByKind[k]
	}
	in.PeopleReached = sum.Events.ParticipantsTotal.Total + sum.Appeals.Total
	in.AppealsResolved = sum.Appeals.Resolved
	return in
}

func keyOr(s string) string {
	if s == "" {
		return None
	}
	return s
}

// acc accumulates figures.
type acc struct {
	f               Figures
	regDays, ansDay []int
}

func newAcc() *acc {
	a := &acc{}
	a.f.Events.ByKind = map[string]int{}
	a.f.Events.Participants = map[string]Gendered{}
	ap := &a.f.Appeals
	ap.ByChannel, ap.ByCategory, ap.ByAuthority, ap.ByStatus = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	ap.ByOutcome, ap.ByGender, ap.ByAgeGroup, ap.ByVulnerableGroup = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	return a
}

func (a *acc) appeal(row *records.FactRow, f *facts.Appeal, day string) {
	ap := &a.f.Appeals
	ap.Total++
	ap.ByChannel[keyOr(f.Channel)]++
	ap.ByCategory[keyOr(row.Category)]++
	ap.ByAuthority[keyOr(f.Authority)]++
	ap.ByStatus[keyOr(row.Status)]++
	ap.ByOutcome[keyOr(f.Outcome)]++
	ap.ByGender[keyOr(f.Gender)]++
	ap.ByAgeGroup[keyOr(f.AgeGroup)]++
	facts.EachList(f.Vulnerable, func(g string) { ap.ByVulnerableGroup[g]++ })
	if RegisteredInTime(f) {
		ap.RegisteredInTime++
	}
	if f.DaysToRegister >= 0 {
		a.regDays = append(a.regDays, f.DaysToRegister)
	}
	if f.AnsweredOn != "" {
		ap.Answered++
		if AnsweredInTime(f) {
			ap.AnsweredInTime++
		}
		if f.DaysToAnswer >= 0 {
			a.ansDay = append(a.ansDay, f.DaysToAnswer)
		}
	}
	if Overdue(row, f, day) {
		ap.Overdue++
	}
	ap.Consultations += f.Consultations
	if f.InRegister {
		ap.Published++
	}
	if facts.Resolved(f.Outcome) {
		ap.Resolved++
	}
}

// RegisteredInTime reports whether an appeal was registered by its
// deadline.
func RegisteredInTime(f *facts.Appeal) bool {
	return f.RegisteredOn != "" && f.RegisterBy != "" && f.RegisteredOn <= f.RegisterBy
}

// AnsweredInTime reports whether an appeal was answered by its deadline
// (with the extension granted).
func AnsweredInTime(f *facts.Appeal) bool {
	return f.AnsweredOn != "" && f.AnswerBy != "" && f.AnsweredOn <= f.AnswerBy
}

// Overdue reports whether an appeal still awaits its answer past the
// deadline on day (YYYY-MM-DD).
func Overdue(row *records.FactRow, f *facts.Appeal, day string) bool {
	return domain.Status(row.Status).AwaitsAnswer() && f.AnswerBy != "" && f.AnswerBy < day
}

func (a *acc) event(row *records.FactRow, f *facts.Event, day string) {
	ev := &a.f.Events
	ev.Total++
	ev.ByKind[keyOr(row.Category)]++
	f.EachGroup(func(g string, fe, m, u int) {
		n := ev.Participants[g]
		n.add(fe, m, u)
		ev.Participants[g] = n
		ev.ParticipantsTotal.add(fe, m, u)
	})
	ev.FollowUps.Done += f.Done
	ev.FollowUps.Cancelled += f.Cancelled
	f.EachOpenDue(func(due string) {
		if due < day {
			ev.FollowUps.Late++
		} else {
			ev.FollowUps.Open++
		}
	})
}

func (a *acc) figures() Figures {
	f := a.f
	f.Appeals.MedianDaysToRegister = median(a.regDays)
	f.Appeals.MedianDaysToAnswer = median(a.ansDay)
	if f.Appeals.Answered > 0 {
		s := math.Round(float64(f.Appeals.AnsweredInTime)/float64(f.Appeals.Answered)*1000) / 1000
		f.Appeals.ShareAnsweredInTime = &s
	}
	return f
}

// median of days, nil for none; the middle one, or the mean of the two
// middle ones.
func median(days []int) *float64 {
	if len(days) == 0 {
		return nil
	}
	s := slices.Clone(days)
	slices.Sort(s)
	m := float64(s[len(s)/2])
	if len(s)%2 == 0 {
		m = float64(s[len(s)/2-1]+s[len(s)/2]) / 2
	}
	return &m
}
