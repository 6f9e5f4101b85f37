package ui

import (
	"context"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// listFilters are the filter controls shared by the events and appeals lists.
type listFilters struct {
	u        *UI
	search   *controls.Entry
	status   *controls.CodeSelect // appeals only
	category *controls.CodeSelect
	period   *controls.CodeSelect
	oblast   *controls.CodeSelect
	council  *controls.CodeSelect
	flag     *widget.Check // overdue (appeals) or follow-up due (events)
	count    *widget.Label
	gen      int
	apply    func()
}

func (u *UI) newListFilters(kind string, apply func()) *listFilters {
	f := &listFilters{u: u, apply: apply}
	f.search = u.newEntry()
	if kind == domain.KindAppeal {
		f.search.SetPlaceHolder(u.T("list.search_appeal"))
	} else {
		f.search.SetPlaceHolder(u.T("list.search_event"))
	}
	f.search.OnChanged = func(string) { f.soon() }
	changed := func(string) { f.apply() }
	if kind == domain.KindAppeal {
		f.status = u.statusSelect(u.T("list.any_status"), changed)
		f.category = u.termSelect(refdata.RightCategories, u.T("list.any_category"), changed)
		f.flag = widget.NewCheck(u.T("list.overdue_only"), func(bool) { u.touch(); f.apply() })
	} else {
		f.category = u.termSelect(refdata.EventKinds, u.T("list.any_kind"), changed)
		f.flag = widget.NewCheck(u.T("list.due_only", "n", homeDueDays), func(bool) { u.touch(); f.apply() })
	}
	f.period = u.periodSelect(changed)
	rc, rn := u.regionChoices()
	f.oblast = u.newCodeSelect(rc, rn, u.T("list.any_oblast"), func(string) {
		f.fillCouncils()
		f.apply()
	})
	f.council = u.newCodeSelect(nil, nil, u.T("list.any_council"), changed)
	f.fillCouncils()
	f.count = strong("")
	prefix := kind + "s.filter."
	u.name(f.search, kind+"s.search")
	u.name(f.status, prefix+"status")
	u.name(f.category, prefix+"category")
	u.name(f.period, prefix+"period")
	u.name(f.oblast, prefix+"oblast")
	u.name(f.council, prefix+"council")
	u.name(f.flag, prefix+"flag")
	return f
}

// fillCouncils offers the councils of the chosen oblast.
func (f *listFilters) fillCouncils() {
	u := f.u
	cs, _ := u.sess.Records().Councils(context.Background())
	var codes, names []string
	for _, c := range cs {
		if o := f.oblast.Code(); o == "" || c.Oblast == o {
			codes = append(codes, c.Code)
			names = append(names, c.Name)
		}
	}
	f.council.SetOptions(codes, names, u.T("list.any_council"))
}

// soon applies the filters shortly after typing pauses, so that a fast
// typist does not queue a query per letter.
func (f *listFilters) soon() {
	f.gen++
	gen := f.gen
	time.AfterFunc(120*time.Millisecond, func() {
		f.u.do(func() {
			if gen == f.gen {
				f.apply()
			}
		})
	})
}

func (f *listFilters) filter(kind string) records.Filter {
	from, to := periodRange(f.period.Code(), f.u.sess.Records().Today())
	r := records.Filter{Kind: kind, Category: f.category.Code(), Oblast: f.oblast.Code(), Council: f.council.Code(),
		From: from, To: to, Text: strings.TrimSpace(f.search.Text)}
	if f.status != nil {
		r.Status = f.status.Code()
		r.Overdue = f.flag.Checked
	} else if f.flag.Checked {
		r.DueSoon = homeDueDays
	}
	return r
}

func (f *listFilters) view() fyne.CanvasObject {
	row2 := []fyne.CanvasObject{}
	if f.status != nil {
		row2 = append(row2, controls.Narrow(f.status, 120))
	}
	row2 = append(row2, controls.Narrow(f.category, 120), controls.Narrow(f.period, 120), controls.Narrow(f.oblast, 120), controls.Narrow(f.council, 120))
	// The search field may be narrower than its hint (cut at the end) at
	// a large text size.
	searchRow := container.NewBorder(nil, nil, widget.NewIcon(theme.SearchIcon()), container.NewHBox(f.flag, f.count), controls.Narrow(f.search, 140))
	return container.NewVBox(searchRow, container.NewGridWithColumns(len(row2), row2...))
}

// appealsPage lists appeals.
type appealsPage struct {
	u      *UI
	f      *listFilters
	pg     *pager
	list   *widget.List
	box    fyne.CanvasObject
	header fyne.CanvasObject
	cols   controls.Columns
}

// appealColumns fits the number, the dates and every status in the
// language now in force (measured), the right takes a fixed share and the
// summary what is left.
func (u *UI) appealColumns() controls.Columns {
	var statuses []string
	for _, s := range domain.Statuses {
		statuses = append(statuses, u.statusName(string(s)))
	}
	date := u.tr.Date(caldate.New(2026, 11, 25))
	return controls.Columns{Widths: []float32{controls.TextWidth(fyne.TextStyle{}, "NRN-ATB-2026-K7QH-0001"), controls.TextWidth(fyne.TextStyle{}, date),
		controls.TextWidth(fyne.TextStyle{}, statuses...), 170, 0, controls.TextWidth(fyne.TextStyle{}, date, u.T("list.overdue_days", "n", 999))}}
}

func newAppealsPage(u *UI) *appealsPage {
	p := &appealsPage{u: u, pg: &pager{u: u}, cols: u.appealColumns()}
	p.f = u.newListFilters(domain.KindAppeal, p.reload)
	p.list = widget.NewList(func() int { return p.pg.total }, func() fyne.CanvasObject {
		r := p.newRow()
		u.probeRow(p.list, r)
		return r
	}, p.updateRow)
	u.name(p.list, "appeals.list")
	p.list.OnSelected = func(id widget.ListItemID) {
		u.touch()
		if s, ok := p.pg.at(id); ok {
			u.shell.push(newAppealDetail(u, s.ID))
		}
		p.list.UnselectAll()
	}
	hdr := []fyne.CanvasObject{}
	for _, k := range []string{"field.reg_no", "field.received_on", "field.status", "field.category", "field.summary", "field.answer_by"} {
		hdr = append(hdr, columnTitle(u.T(k)))
	}
	p.header = container.New(p.cols, hdr...)
	newBtn := u.primary(u.T("action.new_appeal"), theme.ContentAddIcon(), func() { u.shell.newAppeal() })
	if !u.records {
		newBtn.Hide() // central staff review; councils record
	}
	top := container.NewVBox(container.NewBorder(nil, nil, nil, newBtn, p.f.view()), widget.NewSeparator(), p.header)
	p.box = container.NewBorder(top, nil, nil, nil, p.list)
	p.reload()
	return p
}

func truncatedBold(s string) *widget.Label {
	l := strong(s)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func (p *appealsPage) title() string           { return p.u.T("nav.appeals") }
func (p *appealsPage) view() fyne.CanvasObject { return p.box }
func (p *appealsPage) changed([]records.Changed) {
	p.reload()
}

func (p *appealsPage) focusSearch() { p.u.win.Canvas().Focus(p.f.search) }

func (p *appealsPage) showOverdue() {
	p.f.flag.SetChecked(true)
	p.reload()
}

func (p *appealsPage) reload() {
	p.pg.reset(p.f.filter(domain.KindAppeal))
	p.f.count.SetText(p.u.T("list.count_appeals", "n", p.pg.total))
	p.list.Refresh()
}

func (p *appealsPage) newRow() fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, 6)
	for i := range objs {
		objs[i] = truncated("")
	}
	return container.New(p.cols, objs...)
}

func (p *appealsPage) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
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
	set(0, s.RegNo, widget.MediumImportance)
	set(1, u.tr.Date(s.Date), widget.MediumImportance)
	set(2, u.statusName(s.Status), widget.MediumImportance)
	set(3, u.termName(refdata.RightCategories, s.Category), widget.MediumImportance)
	set(4, s.Title, widget.MediumImportance)
	switch {
	case s.Overdue && s.AnswerBy != nil:
		set(5, u.T("list.overdue_days", "n", s.AnswerBy.DaysUntil(u.sess.Records().Today())), widget.DangerImportance)
	case s.AnswerBy != nil:
		set(5, u.tr.Date(*s.AnswerBy), widget.MediumImportance)
	default:
		set(5, "", widget.MediumImportance)
	}
}
