package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
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

	overdue    []records.Summary // the longest overdue, at most homeShown
	due        []records.Summary
	overdueN   int
	dueN       int
	conflicts  int
	sync       records.SyncState
	enrolled   bool
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
	if c, err := svc.Conflicts(context.Background()); err == nil {
		p.conflicts = len(c)
	}
	p.sync, _ = svc.SyncState(context.Background())
	_, err := svc.Enrollment(context.Background())
	p.enrolled = err == nil
	p.councilMsg = ""
	if svc.HomeCouncil() == "" {
		if cs, _ := svc.Councils(context.Background()); len(cs) == 0 {
			p.councilMsg = p.u.T("home.no_council")
		}
	}
	p.draw()
}

func (p *homePage) changed([]records.Changed) { p.load() }

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
		if ap, ok := sh().root(secAppeals).(*appealsPage); ok {
			ap.showOverdue()
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
		if ep, ok := sh().root(secEvents).(*eventsPage); ok {
			ep.showDue(homeDueDays)
		}
	})
	dueCard := p.panel(u.T("home.due", "n", p.dueN, "days", homeDueDays), p.dueN > 0, dueList, allDue)

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
	}
	last := u.T("sync.never")
	if !p.sync.LastOK.IsZero() {
		last = u.T("sync.last", "time", p.sync.LastOK)
	}
	syncNow := u.button(u.T("sync.now"), theme.ViewRefreshIcon(), func() { u.sess.Loop.Trigger() })
	syncCard := p.panel(u.T("home.unsynced", "n", int(p.sync.Pending)), p.sync.Pending > 0,
		container.NewVBox(wrapped(syncText), muted(last)), syncNow)

	newEvent := u.primary(u.T("home.record_event"), theme.ContentAddIcon(), func() { sh().newEvent() })
	newAppeal := u.primary(u.T("home.record_appeal"), theme.ContentAddIcon(), func() { sh().newAppeal() })
	shortcuts := hint(u.T("home.shortcuts"))
	shortcuts.Alignment = fyne.TextAlignTrailing
	quick := container.NewBorder(nil, nil, container.NewHBox(newEvent, newAppeal), nil, shortcuts)

	top := container.NewVBox(quick)
	if u.central {
		top = container.NewVBox(muted(u.T("review.central")))
	}
	if p.councilMsg != "" {
		warn := wrapped(p.councilMsg)
		warn.Importance = widget.WarningImportance
		top.Add(container.NewBorder(nil, nil, nil, u.button(u.T("nav.settings"), theme.SettingsIcon(), func() { sh().navigate(secSettings) }), warn))
	}
	// Two rows of their own heights: the short panels do not stretch.
	rows := container.NewVBox(container.NewGridWithColumns(2, overdueCard, dueCard), container.NewGridWithColumns(2, conflictCard, syncCard))
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
