package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// eventsPage lists events.
type eventsPage struct {
	u    *UI
	f    *listFilters
	pg   *pager
	list *widget.List
	box  fyne.CanvasObject
	cols controls.Columns
}

// eventColumns fits the date and every event kind in the language in
// force (measured); the title takes what is left.
func (u *UI) eventColumns() controls.Columns {
	var kinds []string
	for _, t := range u.catalog().Terms(refdata.EventKinds) {
		kinds = append(kinds, t.Names.In(u.Lang()))
	}
	date := u.tr.Date(caldate.New(2026, 11, 25))
	return controls.Columns{Widths: []float32{controls.TextWidth(fyne.TextStyle{}, date), min(controls.TextWidth(fyne.TextStyle{}, kinds...), 230), 230, 0,
		controls.TextWidth(fyne.TextStyle{}, date)}}
}

func newEventsPage(u *UI) *eventsPage {
	p := &eventsPage{u: u, pg: &pager{u: u}, cols: u.eventColumns()}
	p.f = u.newListFilters(domain.KindEvent, p.reload)
	p.list = widget.NewList(func() int { return p.pg.total }, func() fyne.CanvasObject {
		r := p.newRow()
		u.probeRow(p.list, r)
		return r
	}, p.updateRow)
	u.name(p.list, "events.list")
	p.list.OnSelected = func(id widget.ListItemID) {
		u.touch()
		if s, ok := p.pg.at(id); ok {
			u.shell.push(newEventDetail(u, s.ID))
		}
		p.list.UnselectAll()
	}
	var hdr []fyne.CanvasObject
	for _, k := range []string{"field.date", "field.kind", "field.council", "field.title", "field.followup_due"} {
		hdr = append(hdr, columnTitle(u.T(k)))
	}
	newBtn := u.primary(u.T("action.new_event"), theme.ContentAddIcon(), func() { u.shell.newEvent() })
	if !u.records {
		newBtn.Hide() // central staff read events; councils record them
	}
	top := container.NewVBox(container.NewBorder(nil, nil, nil, newBtn, p.f.view()), widget.NewSeparator(), container.New(p.cols, hdr...))
	p.box = container.NewBorder(top, nil, nil, nil, p.list)
	p.reload()
	return p
}

func (p *eventsPage) title() string             { return p.u.T("nav.events") }
func (p *eventsPage) view() fyne.CanvasObject   { return p.box }
func (p *eventsPage) changed([]records.Changed) { p.reload() }
func (p *eventsPage) focusSearch()              { p.u.win.Canvas().Focus(p.f.search) }

func (p *eventsPage) showDue(int) {
	p.f.flag.SetChecked(true)
	p.reload()
}

func (p *eventsPage) reload() {
	p.pg.reset(p.f.filter(domain.KindEvent))
	p.f.count.SetText(p.u.T("list.count_events", "n", p.pg.total))
	p.list.Refresh()
}

func (p *eventsPage) newRow() fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, 5)
	for i := range objs {
		objs[i] = truncated("")
	}
	return container.New(p.cols, objs...)
}

func (p *eventsPage) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	s, ok := p.pg.at(id)
	if !ok {
		return
	}
	u := p.u
	c := o.(*fyne.Container).Objects
	set := func(i int, text string, imp widget.Importance) {
		l := c[i].(*widget.Label)
		l.Text, l.Importance = text, imp
		l.Refresh()
	}
	set(0, u.tr.Date(s.Date), widget.MediumImportance)
	set(1, u.termName(refdata.EventKinds, s.Category), widget.MediumImportance)
	set(2, u.councilName(s.Council), widget.MediumImportance)
	set(3, s.Title, widget.MediumImportance)
	switch {
	case s.DueNext == nil:
		set(4, "", widget.MediumImportance)
	case s.DueNext.Before(u.sess.Records().Today()):
		set(4, u.tr.Date(*s.DueNext), widget.DangerImportance)
	default:
		set(4, u.tr.Date(*s.DueNext), widget.MediumImportance)
	}
}
