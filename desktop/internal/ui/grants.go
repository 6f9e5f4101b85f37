package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// The Grants page: the small grants the programme gave councils, each
// with what was paid out and its milestones. Central staff record grants
// here (grantForm) or with keneshctl (grant add, grant disburse); the
// council's laptop reports each milestone met from the grant's page. A
// milestone past its due day and not reported met is late, on this page
// and on the home screen.

type grantsPage struct {
	u    *UI
	body *fyne.Container
	list []domain.Grant
	// links are the grants' lines by grant id, for tests.
	links map[string]fyne.CanvasObject
}

func newGrantsPage(u *UI) *grantsPage {
	p := &grantsPage{u: u, body: container.NewStack()}
	p.load()
	return p
}

func (p *grantsPage) title() string           { return p.u.T("grants.title") }
func (p *grantsPage) view() fyne.CanvasObject { return p.body }

func (p *grantsPage) changed(c []records.Changed) {
	if records.Touches(c, domain.KindGrant, domain.KindCouncil) {
		p.load()
	}
}

func (p *grantsPage) load() {
	u := p.u
	list, err := u.sess.Records().Grants(context.Background(), "")
	if err != nil {
		p.body.Objects = []fyne.CanvasObject{wrapped(u.problem(err))}
		p.body.Refresh()
		return
	}
	p.list = list
	p.links = map[string]fyne.CanvasObject{}
	today := u.sess.Records().Today()
	names := councilNames(u)
	box := container.NewVBox()
	if u.mayWriteGrants() {
		box.Add(container.NewHBox(u.primary(u.T("grant.new"), theme.ContentAddIcon(), func() { u.shell.push(newGrantForm(u, nil)) })))
	}
	if len(list) == 0 {
		box.Add(wrapped(u.T("grants.none")))
	}
	for _, g := range list {
		id := g.ID
		link := u.newLink(short(g.Purpose, 120), func() { u.shell.push(newGrantDetail(u, id)) })
		p.links[id] = link
		line := muted(u.T("grants.line", "council", nameOr(names, g.Council), "amount", g.Amount, "paid", g.Disbursed(),
			"met", g.MetCount(), "total", len(g.Milestones)))
		row := container.NewVBox(link, line)
		if n := lateMilestones(&g, today); n > 0 {
			late := bold(u.T("grants.late", "n", n))
			late.Importance = widget.DangerImportance
			row.Add(late)
		}
		box.Add(row)
		box.Add(widget.NewSeparator())
	}
	p.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
	p.body.Refresh()
}

// lateMilestones counts g's milestones past their due day, not met.
func lateMilestones(g *domain.Grant, today caldate.Date) int {
	n := 0
	for _, m := range g.Milestones {
		if m.Due.Before(today) && !g.MilestoneMet(m.ID) {
			n++
		}
	}
	return n
}

// councilNames are the names of the councils this laptop holds, by code.
func councilNames(u *UI) map[string]string {
	out := map[string]string{}
	if cs, err := u.sess.Records().Councils(context.Background()); err == nil {
		for _, c := range cs {
			out[c.Code] = c.Name
		}
	}
	return out
}

func nameOr(names map[string]string, code string) string {
	if n := names[code]; n != "" {
		return n
	}
	return code
}

// grantDetail is one grant: its terms, disbursements and milestones, with
// the council's report buttons on a laptop that records.
type grantDetail struct {
	u    *UI
	id   string
	body *fyne.Container
	g    *domain.Grant
	// marks are the report buttons by milestone id, for tests; writes
	// the buttons that open a report's form.
	marks, writes map[string]*widget.Button
	msg           *widget.Label
	// reporting is the report's form open, kept as the page reloads
	// (a sync) with what was typed in it.
	reporting *reportForm
}

func newGrantDetail(u *UI, id string) *grantDetail {
	d := &grantDetail{u: u, id: id, body: container.NewStack(), msg: errorText()}
	d.load()
	return d
}

func (d *grantDetail) title() string           { return d.u.T("grant.title") }
func (d *grantDetail) view() fyne.CanvasObject { return d.body }

func (d *grantDetail) changed(c []records.Changed) {
	if records.TouchesRecord(c, domain.KindGrant, d.id) {
		d.load()
	}
}

func (d *grantDetail) load() {
	u := d.u
	g, err := u.sess.Records().Grant(context.Background(), d.id)
	if err != nil {
		d.body.Objects = []fyne.CanvasObject{wrapped(u.problem(err))}
		d.body.Refresh()
		return
	}
	d.g = g
	d.marks, d.writes = map[string]*widget.Button{}, map[string]*widget.Button{}
	today := u.sess.Records().Today()
	box := container.NewVBox()
	if g.Meta != nil && len(g.Meta.Unreadable) > 0 {
		box.Add(u.unreadableBanner(g.Meta.Unreadable))
	}
	deleted := g.Meta != nil && g.Meta.Deleted
	if u.mayWriteGrants() && !deleted {
		box.Add(container.NewHBox(u.button(u.T("action.edit"), theme.DocumentCreateIcon(), func() { u.shell.push(newGrantForm(u, g)) })))
	}
	reports := u.mayReportMilestones(g.Council) && !deleted
	box.Add(heading(g.Purpose))
	box.Add(wrapped(u.T("grant.council", "council", nameOr(councilNames(u), g.Council))))
	box.Add(wrapped(u.T("grant.period", "start", g.StartOn, "end", g.EndOn)))
	box.Add(wrapped(u.T("grant.disbursed", "paid", g.Disbursed(), "amount", g.Amount)))
	if g.Notes != "" {
		box.Add(wrapped(g.Notes))
	}

	box.Add(widget.NewSeparator())
	box.Add(bold(u.T("grant.milestones")))
	box.Add(d.msg)
	if len(g.Milestones) == 0 {
		box.Add(muted(u.T("grant.milestones_none")))
	}
	for i, m := range g.MilestonesByDue() {
		m := m
		r, _ := g.Report(m.ID)
		line := wrapped(u.T("grant.milestone_line", "n", i+1, "title", m.Title, "date", m.Due))
		var state *widget.Label
		switch {
		case r.Met:
			state = muted(u.T("grant.met_on", "date", r.MetOn))
		case m.Due.Before(today):
			state = bold(u.T("grant.late_days", "days", m.Due.DaysUntil(today)))
			state.Importance = widget.DangerImportance
		default:
			state = muted(u.T("grant.not_reported"))
		}
		row := container.NewVBox(line, state)
		if r.Note != "" {
			row.Add(muted(r.Note))
		}
		if reports {
			var b *widget.Button
			if r.Met {
				b = u.button(u.T("grant.unmark"), theme.ContentUndoIcon(), func() { d.report(m.ID, false) })
			} else {
				b = u.primary(u.T("grant.mark_met"), theme.ConfirmIcon(), func() { d.report(m.ID, true) })
			}
			w := u.button(u.T("grant.write_report"), theme.DocumentCreateIcon(), func() { d.openReport(m, r) })
			d.marks[m.ID], d.writes[m.ID] = b, w
			row = container.NewBorder(nil, nil, nil, container.NewVBox(b, w), row)
		}
		box.Add(row)
		if reports && d.reporting != nil && d.reporting.milestone == m.ID {
			box.Add(d.reporting.box)
		}
	}

	box.Add(widget.NewSeparator())
	box.Add(bold(u.T("grant.disbursements")))
	if len(g.Disbursements) == 0 {
		box.Add(muted(u.T("grant.disbursements_none")))
	}
	for _, x := range g.Disbursements {
		line := u.T("grant.disbursement_line", "date", x.On, "amount", x.Amount)
		if x.Note != "" {
			line += " · " + x.Note
		}
		box.Add(wrapped(line))
	}
	d.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
	d.body.Refresh()
}

// openReport opens the form of milestone m's report (r: as it is).
func (d *grantDetail) openReport(m domain.Milestone, r domain.MilestoneReport) {
	d.reporting = newReportForm(d, m, r)
	d.load()
}

// The report's form keeps a draft like the record forms (drafts.go): the
// grant's page is the drafter while the form is open, as the form lives
// on it. The draft is of the grant (KindGrant, its id) with the
// milestone's id as input "report", which tells it from the grant
// form's draft (draftForm).

func (d *grantDetail) dirty() bool { return d.reporting != nil && d.reporting.changes }

func (d *grantDetail) draft() records.Draft {
	r := d.reporting
	in := map[string]string{"report": r.milestone, "met_on": r.on.Text, "note": r.note.Text}
	return records.Draft{Kind: domain.KindGrant, Record: d.id, Inputs: in}
}

// restore opens the report's form of the draft's milestone with what was
// typed (draftForm checked the milestone is there).
func (d *grantDetail) restore(in map[string]string) {
	m, err := d.g.FindMilestone(in["report"])
	if err != nil {
		return
	}
	r, _ := d.g.Report(m.ID)
	d.reporting = newReportForm(d, m, r)
	d.reporting.on.SetText(in["met_on"])
	d.reporting.note.SetText(in["note"])
	d.reporting.changes = true // unsaved, whatever it holds
	d.load()
}

// draftSaved shows, beside the report's Save, when it was last kept.
func (d *grantDetail) draftSaved(at time.Time) {
	if d.reporting != nil {
		d.reporting.draftNote.SetText(d.u.T("draft.saved", "time", at))
		d.reporting.draftNote.Show()
	}
}

// save saves the report (closing the window asks: save, or not).
func (d *grantDetail) save() {
	if d.reporting != nil {
		d.reporting.save()
	}
}

// closeReport closes the report's form (saved or cancelled).
func (d *grantDetail) closeReport() {
	d.reporting = nil
	d.load()
}

// report saves the council's report of milestone id as met today, or
// withdraws it; a refusal is shown above the milestones.
func (d *grantDetail) report(id string, met bool) {
	_, err := d.u.sess.Records().ReportMilestone(context.Background(), d.id, id, met, caldate.Date{}, "")
	if err != nil {
		setError(d.msg, d.u.problem(err))
		return
	}
	setError(d.msg, "")
	d.load()
}
