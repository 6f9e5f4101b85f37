package ui

import (
	"context"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/domain"
)

// homeDueDays is how far ahead the home screen looks for follow-up actions.
const homeDueDays = 14

// homeShown is how many records each home panel lists.
const homeShown = 5

// homePage shows what needs attention today.
type homePage struct {
	u    *UI
	body *fyne.Container

	overdue  []records.Summary // the longest overdue, at most homeShown
	due      []records.Summary
	overdueN int
	dueN     int
	// lateGrants are grants with a milestone past its day, not met
	// (the first due first); grants counts every grant here, and the
	// panel shows only where there are grants.
	lateGrants  []records.Summary
	lateGrantsN int
	grants      int
	// competitions are those this laptop holds (competitionsCard).
	competitions []domain.Competition
	conflicts    int
	refused      int // changes the centre refused, still on a record here
	sync         records.SyncState
	enrolled     bool

	review     []records.Summary // central: verified appeals, the latest first
	reviewN    int
	activity   []councilCount   // central: each council's records
	held       []domain.Council // trainers, administrators: the councils this laptop holds
	inbox      inbox            // a council's web submissions waiting (inbox.go)
	councilMsg string
}

func newHomePage(u *UI) *homePage {
	p := &homePage{u: u, body: container.NewStack()}
	p.load()
	return p
}

func (p *homePage) title() string { return p.u.T("home.title") }

func (p *homePage) load() {
	svc := p.u.sess.Records()
	// The most late first, over the whole list (with extensions, the
	// oldest received is not always the most late).
	late := func(f records.Filter) ([]records.Summary, int) {
		rows := lateFirst(p.u.summaries(f))
		return rows[:min(len(rows), homeShown)], len(rows)
	}
	p.overdue, p.overdueN = late(records.Filter{Kind: domain.KindAppeal, Overdue: true})
	p.due, p.dueN = late(records.Filter{Kind: domain.KindEvent, DueSoon: homeDueDays})
	p.lateGrants, p.lateGrantsN = late(records.Filter{Kind: domain.KindGrant, MilestonesLate: true})
	p.grants, _ = svc.Count(records.Filter{Kind: domain.KindGrant})
	p.competitions, _ = svc.Competitions(context.Background())
	if c, err := svc.Conflicts(context.Background()); err == nil {
		p.conflicts = len(c)
	}
	p.sync, _ = svc.SyncState(context.Background())
	p.refused = 0
	if list, err := svc.Refusals(context.Background()); err == nil {
		p.refused = len(list)
	}
	_, err := svc.Enrollment(context.Background())
	p.enrolled = err == nil
	if p.u.central {
		// Central staff: the appeals councils verified (to review for
		// publication), and what each council recorded.
		p.review, _, _ = svc.ListPage(records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusVerified)}, 0, homeShown)
		p.reviewN, _ = svc.Count(records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusVerified)})
		p.activity = councilActivity(p.u)
	}
	if !p.u.records && !p.u.central {
		p.held, _ = svc.Councils(context.Background())
	}
	p.inbox = loadInbox(p.u)
	p.councilMsg = ""
	if svc.HomeCouncil() == "" {
		if cs, _ := svc.Councils(context.Background()); len(cs) == 0 {
			p.councilMsg = p.u.T("home.no_council")
		}
	}
	p.draw()
}

func (p *homePage) changed([]records.Changed) { p.load() }
func (p *homePage) refusalsMoved()            { p.load() }

func (p *homePage) view() fyne.CanvasObject { return p.body }

func (p *homePage) draw() {
	u := p.u
	sh := func() *shell { return u.shell }
	today := u.sess.Records().Today()

	overdueList := container.NewVBox()
	for _, s := range p.overdue {
		s := s
		late := 0
		if s.AnswerBy != nil {
			late = s.AnswerBy.DaysUntil(today)
		}
		line := u.T("home.overdue_line", "regno", s.RegNo, "days", late)
		overdueList.Add(u.newLink(line+" · "+s.Title, func() { sh().push(newAppealDetail(u, s.ID)) }))
	}
	if len(p.overdue) == 0 {
		overdueList.Add(muted(u.T("home.overdue_none")))
	}
	allOverdue := u.button(u.T("home.show_all"), theme.ListIcon(), func() {
		sh().navigate(secAppeals)
		if ap, ok := sh().root(secAppeals).(*recordList); ok {
			ap.showFlagged()
		}
	})
	overdueCard := p.panel(u.T("home.overdue", "n", p.overdueN), p.overdueN > 0, overdueList, allOverdue)

	dueList := container.NewVBox()
	for _, s := range p.due {
		s := s
		when := ""
		if s.DueNext != nil {
			when = u.tr.Date(*s.DueNext)
		}
		dueList.Add(u.newLink(when+" · "+s.Title, func() { sh().push(newEventDetail(u, s.ID)) }))
	}
	if len(p.due) == 0 {
		dueList.Add(muted(u.T("home.due_none", "n", homeDueDays)))
	}
	allDue := u.button(u.T("home.show_all"), theme.ListIcon(), func() {
		sh().navigate(secEvents)
		if ep, ok := sh().root(secEvents).(*recordList); ok {
			ep.showFlagged()
		}
	})
	dueCard := p.panel(u.T("home.due", "n", p.dueN, "days", homeDueDays), p.dueN > 0, dueList, allDue)

	grantsCard := p.grantsCard()

	conflictText := muted(u.T("home.conflicts_none"))
	if p.conflicts > 0 {
		conflictText = wrapped(u.T("home.conflicts_text"))
	}
	resolve := u.button(u.T("home.resolve"), theme.WarningIcon(), func() { sh().navigate(secConflicts) })
	if p.conflicts == 0 {
		resolve.Disable()
	}
	conflictCard := p.panel(u.T("home.conflicts", "n", p.conflicts), p.conflicts > 0, conflictText, resolve)

	// Only an enrolled laptop's records can have reached the centre.
	syncText := u.T("home.synced_all")
	switch {
	case !p.enrolled:
		syncText = u.T("home.not_enrolled_text", "n", int(p.sync.Pending))
	case p.sync.Pending > 0:
		syncText = u.T("home.unsynced_text", "n", int(p.sync.Pending))
	case p.refused > 0: // sent, but not "all reached the centre"
		syncText = u.T("home.refused_text")
	}
	last := u.T("sync.never")
	if !p.sync.LastOK.IsZero() {
		last = u.T("sync.last", "time", p.sync.LastOK)
	}
	syncNow := u.button(u.T("sync.now"), theme.ViewRefreshIcon(), func() { u.sess.Loop.Trigger() })
	syncBox := container.NewVBox(wrapped(syncText), muted(last))
	// The card is titled by what there is to do: the changes still to
	// send, or, once everything is sent, the changes the centre refused
	// (a red "not yet sent: 0" read as an alarm about nothing).
	title := u.T("home.unsynced", "n", int(p.sync.Pending))
	refusedOnly := p.refused > 0 && p.sync.Pending == 0
	if refusedOnly {
		title = u.T("home.refused", "n", p.refused)
	}
	if p.refused > 0 {
		// Never "all sent" in green while the centre refused some.
		if !refusedOnly {
			refused := bold(u.T("home.refused", "n", p.refused))
			refused.Importance = widget.DangerImportance
			syncBox.Add(refused)
			syncBox.Add(wrapped(u.T("home.refused_text")))
		}
		syncBox.Add(container.NewHBox(u.button(u.T("home.refused_show"), theme.WarningIcon(), func() { sh().push(newRefusalsPage(u)) })))
	}
	syncCard := p.panel(title, p.sync.Pending > 0 || p.refused > 0, syncBox, syncNow)

	newEvent := u.primary(u.T("home.record_event"), theme.ContentAddIcon(), func() { sh().newEvent() })
	newAppeal := u.primary(u.T("home.record_appeal"), theme.ContentAddIcon(), func() { sh().newAppeal() })
	shortcuts := hint(u.T("home.shortcuts"))
	shortcuts.Alignment = fyne.TextAlignTrailing
	quick := container.NewBorder(nil, nil, container.NewHBox(newEvent, newAppeal), nil, shortcuts)

	top := container.NewVBox(quick)
	if !u.records {
		key := "home.role_other"
		if u.central {
			key = "home.role"
		}
		top = container.NewVBox(muted(u.T(key, "role", u.roleName(u.sess.Role()))))
	}
	if p.councilMsg != "" {
		warn := wrapped(p.councilMsg)
		warn.Importance = widget.WarningImportance
		top.Add(container.NewBorder(nil, nil, nil, u.button(u.T("nav.settings"), theme.SettingsIcon(), func() { sh().navigate(secSettings) }), warn))
	}
	// Two rows of their own heights: the short panels do not stretch.
	rows := container.NewVBox(container.NewGridWithColumns(2, overdueCard, dueCard), container.NewGridWithColumns(2, conflictCard, syncCard))
	switch {
	case u.central:
		rows = container.NewVBox(container.NewGridWithColumns(2, p.reviewCard(), p.activityCard()),
			container.NewGridWithColumns(2, overdueCard, dueCard), container.NewGridWithColumns(2, conflictCard, syncCard))
	case !u.records:
		rows = container.NewVBox(container.NewGridWithColumns(2, p.heldCard(), container.NewVBox(syncCard, conflictCard)))
	}
	var more []fyne.CanvasObject
	if grantsCard != nil && (u.records || u.central) {
		more = append(more, grantsCard)
	}
	if c := p.competitionsCard(); c != nil {
		more = append(more, c)
	}
	if len(more) > 0 {
		rows.Add(container.NewGridWithColumns(2, more...))
	}
	if in := p.inboxCard(); in != nil {
		rows.Objects = append([]fyne.CanvasObject{in}, rows.Objects...)
	}
	p.body.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewVBox(top, rows))}
	p.body.Refresh()
}

// panel is a home card: a count in the title, red or green by need.
func (p *homePage) panel(title string, attention bool, content fyne.CanvasObject, action fyne.CanvasObject) fyne.CanvasObject {
	icon := widget.NewIcon(theme.ConfirmIcon())
	if attention {
		icon.SetResource(theme.WarningIcon())
	}
	h := heading(title)
	if attention {
		h.Importance = widget.DangerImportance
	}
	return widget.NewCard("", "", container.NewBorder(container.NewBorder(nil, nil, icon, nil, h),
		container.NewHBox(layout.NewSpacer(), action), nil, nil, content))
}

// grantsCard lists the grants with a milestone late (its due day passed,
// not reported met), the first due first; nil on a laptop with no grant.
func (p *homePage) grantsCard() fyne.CanvasObject {
	u := p.u
	if p.grants == 0 {
		return nil
	}
	list := container.NewVBox()
	for _, s := range p.lateGrants {
		s := s
		when := ""
		if s.DueNext != nil {
			when = u.tr.Date(*s.DueNext)
		}
		list.Add(u.newLink(when+" · "+s.Title, func() { u.shell.push(newGrantDetail(u, s.ID)) }))
	}
	if len(p.lateGrants) == 0 {
		list.Add(muted(u.T("home.grants_late_none")))
	}
	// The Grants page opens from here (the navigation has no room for
	// another section at large text sizes).
	all := u.button(u.T("home.grants_all"), theme.ListIcon(), func() { u.shell.push(newGrantsPage(u)) })
	return p.panel(u.T("home.grants_late", "n", p.lateGrantsN), p.lateGrantsN > 0, list, all)
}

// reviewCard is central staff's queue: appeals a council verified, which
// central staff review for publication (the Review dialog of each).
func (p *homePage) reviewCard() fyne.CanvasObject {
	u := p.u
	list := container.NewVBox()
	for _, s := range p.review {
		s := s
		list.Add(u.newLink(s.RegNo+" · "+s.Title, func() { u.shell.push(newAppealDetail(u, s.ID)) }))
	}
	if len(p.review) == 0 {
		list.Add(muted(u.T("home.review_none")))
	}
	all := u.button(u.T("home.show_all"), theme.ListIcon(), func() {
		u.shell.navigate(secAppeals)
		if ap, ok := u.shell.root(secAppeals).(*recordList); ok {
			ap.f.status.SetCode(string(domain.StatusVerified))
		}
	})
	return p.panel(u.T("home.review", "n", p.reviewN), p.reviewN > 0, container.NewVBox(muted(u.T("home.review_text")), list), all)
}

// councilCount is one council's line of the centre's activity table.
type councilCount struct {
	name                     string
	appeals, overdue, events int
}

// councilActivity counts each council's appeals, overdue appeals and
// events, the busiest first (from the index: milliseconds).
func councilActivity(u *UI) []councilCount {
	svc := u.sess.Records()
	ap, _ := svc.Stats(records.Filter{Kind: domain.KindAppeal})
	od, _ := svc.Stats(records.Filter{Kind: domain.KindAppeal, Overdue: true})
	ev, _ := svc.Stats(records.Filter{Kind: domain.KindEvent})
	cs, _ := svc.Councils(context.Background())
	out := make([]councilCount, 0, len(cs))
	for _, c := range cs {
		out = append(out, councilCount{name: c.Name, appeals: ap.ByCouncil[c.Code], overdue: od.ByCouncil[c.Code], events: ev.ByCouncil[c.Code]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].appeals+out[i].events > out[j].appeals+out[j].events })
	return out
}

// activityHeads are the keys of the activity table's counted columns.
var activityHeads = []string{"nav.appeals", "home.col_overdue", "nav.events"}

// activityColumns: the council's name takes what is left; each count is as
// wide as the widest word of its title in the language in force (a title
// of two words takes two lines) or a five-digit number, so that no title
// is cut ("Кайры…" in fixed widths).
func activityColumns(u *UI) controls.Columns {
	widths := []float32{0}
	for _, key := range activityHeads {
		words := append(strings.Fields(u.T(key)), "00000")
		widths = append(widths, controls.TextWidth(fyne.TextStyle{Bold: true}, words...))
	}
	return controls.Columns{Widths: widths}
}

// activityCard shows what each council recorded, in a table that scrolls.
func (p *homePage) activityCard() fyne.CanvasObject {
	u := p.u
	cols := activityColumns(u)
	rows := container.NewVBox()
	for _, c := range p.activity {
		overdue := truncated(u.tr.Int(c.overdue))
		if c.overdue > 0 {
			overdue.Importance = widget.DangerImportance
		}
		rows.Add(container.New(cols, truncated(c.name), truncated(u.tr.Int(c.appeals)), overdue, truncated(u.tr.Int(c.events))))
	}
	head := container.New(cols, truncatedBold(u.T("field.council")))
	for _, key := range activityHeads {
		head.Add(bold(u.T(key))) // wraps between words, never cut
	}
	scroll := container.NewVScroll(rows)
	scroll.SetMinSize(fyne.NewSize(0, 5*36*theme.TextSize()/14))
	return widget.NewCard("", "", container.NewBorder(container.NewVBox(heading(u.T("home.activity")), head), nil, nil, nil, scroll))
}

// heldCard is the home of a laptop that records nothing (a trainer's, an
// administrator's): the councils it holds and will serve, as they are.
func (p *homePage) heldCard() fyne.CanvasObject {
	u := p.u
	list := container.NewVBox()
	for _, c := range p.held {
		list.Add(truncated(c.Name + " · " + u.regionName(c.Oblast)))
	}
	if len(p.held) == 0 {
		list.Add(muted(u.T("settings.no_councils")))
	}
	scroll := container.NewVScroll(list)
	scroll.SetMinSize(fyne.NewSize(0, 8*36*theme.TextSize()/14))
	return widget.NewCard("", "", container.NewBorder(heading(u.T("home.held", "n", len(p.held))), nil, nil, nil, scroll))
}
