package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/refdata"
)

// listSpec describes the list of a kind's records: its columns, what it
// can be narrowed to and what a line opens. The lines are the index's
// summaries, the same for every kind.
type listSpec struct {
	kind  string
	title string // translation key of the section
	// The filters: search (hint), a status (appeals), a category of a
	// reference list (a right, an event's kind), a flag (overdue, a
	// follow-up due), the period, oblast and council.
	searchHint  string
	status      bool
	category    refdata.List
	anyCategory string // translation key
	flag        func(u *UI) string
	flagged     func(f *records.Filter)
	count       string // translation key of the count, with {n}
	columns     []listColumn
	newLabel    string         // translation key of the button that records one
	record      func(s *shell) // what it does
	open        func(u *UI, id string) page
}

// listColumn is one column: its title, its width (measured for what it
// shows in the language and text size in force; 0 takes what is left) and
// what a line shows in it.
type listColumn struct {
	title string // translation key
	width func(u *UI) float32
	cell  func(u *UI, s records.Summary) (string, widget.Importance)
}

// plain is a cell in the usual colour.
func plain(s string) (string, widget.Importance) { return s, widget.MediumImportance }

// listFilters are a list's filter controls.
type listFilters struct {
	u        *UI
	spec     *listSpec
	search   *controls.Entry
	status   *controls.CodeSelect // nil unless the kind has statuses
	category *controls.CodeSelect
	period   *controls.CodeSelect
	oblast   *controls.CodeSelect
	council  *controls.CodeSelect
	flag     *widget.Check
	count    *widget.Label
	gen      int
	apply    func()
}

func (u *UI) newListFilters(spec *listSpec, apply func()) *listFilters {
	f := &listFilters{u: u, spec: spec, apply: apply}
	f.search = u.newEntry()
	f.search.SetPlaceHolder(u.T(spec.searchHint))
	f.search.OnChanged = func(string) { f.soon() }
	changed := func(string) { f.apply() }
	if spec.status {
		f.status = u.statusSelect(u.T("list.any_status"), changed)
	}
	f.category = u.termSelect(spec.category, u.T(spec.anyCategory), changed)
	f.flag = widget.NewCheck(spec.flag(u), func(bool) { u.touch(); f.apply() })
	f.period = u.periodSelect(changed)
	rc, rn := u.regionChoices()
	f.oblast = u.newCodeSelect(rc, rn, u.T("list.any_oblast"), func(string) {
		f.fillCouncils()
		f.apply()
	})
	f.council = u.newCodeSelect(nil, nil, u.T("list.any_council"), changed)
	f.fillCouncils()
	f.count = strong("")
	prefix := spec.kind + "s.filter."
	u.name(f.search, spec.kind+"s.search")
	if f.status != nil {
		u.name(f.status, prefix+"status")
	}
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

func (f *listFilters) filter() records.Filter {
	from, to := periodRange(f.period.Code(), f.u.sess.Records().Today())
	r := records.Filter{Kind: f.spec.kind, Category: f.category.Code(), Oblast: f.oblast.Code(), Council: f.council.Code(),
		From: from, To: to, Text: strings.TrimSpace(f.search.Text)}
	if f.status != nil {
		r.Status = f.status.Code()
	}
	if f.flag.Checked {
		f.spec.flagged(&r)
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

// recordList lists a kind's records, a page of the index at a time.
type recordList struct {
	u    *UI
	spec *listSpec
	f    *listFilters
	pg   *pager
	list *widget.List
	box  fyne.CanvasObject
	cols controls.Columns
	// refused are the records holding a change the centre refused:
	// their rows are red (the record's page says why).
	refused map[string]bool
}

func newRecordList(u *UI, spec *listSpec) *recordList {
	p := &recordList{u: u, spec: spec, pg: &pager{u: u}}
	for _, c := range spec.columns {
		w := float32(0)
		if c.width != nil {
			w = c.width(u)
		}
		p.cols.Widths = append(p.cols.Widths, w)
	}
	p.f = u.newListFilters(spec, p.reload)
	p.list = widget.NewList(func() int { return p.pg.total }, func() fyne.CanvasObject {
		r := p.newRow()
		u.probeRow(p.list, r)
		return r
	}, p.updateRow)
	u.name(p.list, spec.kind+"s.list")
	p.list.OnSelected = func(id widget.ListItemID) {
		u.touch()
		if s, ok := p.pg.at(id); ok {
			u.shell.push(spec.open(u, s.ID))
		}
		p.list.UnselectAll()
	}
	var hdr []fyne.CanvasObject
	for _, c := range spec.columns {
		hdr = append(hdr, columnTitle(u.T(c.title)))
	}
	newBtn := u.primary(u.T(spec.newLabel), theme.ContentAddIcon(), func() { spec.record(u.shell) })
	if !u.records {
		newBtn.Hide() // central staff read and review; councils record
	}
	top := container.NewVBox(container.NewBorder(nil, nil, nil, newBtn, p.f.view()), widget.NewSeparator(), container.New(p.cols, hdr...))
	p.box = container.NewBorder(top, nil, nil, nil, p.list)
	p.markRefused()
	p.reload()
	return p
}

func (p *recordList) title() string             { return p.u.T(p.spec.title) }
func (p *recordList) view() fyne.CanvasObject   { return p.box }
func (p *recordList) changed([]records.Changed) { p.markRefused(); p.reload() }
func (p *recordList) focusSearch()              { p.u.win.Canvas().Focus(p.f.search) }

// showFlagged narrows the list to what its flag marks (overdue appeals,
// events with a follow-up action due).
func (p *recordList) showFlagged() {
	p.f.flag.SetChecked(true)
	p.reload()
}

func (p *recordList) reload() {
	p.pg.reset(p.f.filter())
	p.f.count.SetText(p.u.T(p.spec.count, "n", p.pg.total))
	p.list.Refresh()
}

// markRefused reads which records hold a change the centre refused: when
// the list is made and when records changed, not at each narrowing of it
// (every refusal kept is read, up to 1000: BenchmarkRefusals).
func (p *recordList) markRefused() {
	p.refused = nil
	if list, err := p.u.sess.Records().Refusals(context.Background()); err == nil {
		for _, v := range list {
			if v.Kind == p.spec.kind {
				if p.refused == nil {
					p.refused = map[string]bool{}
				}
				p.refused[v.Record] = true
			}
		}
	}
}

func (p *recordList) refusalsMoved() { p.markRefused(); p.list.Refresh() }

func (p *recordList) newRow() fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(p.spec.columns))
	for i := range objs {
		objs[i] = truncated("")
	}
	return container.New(p.cols, objs...)
}

func (p *recordList) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	s, ok := p.pg.at(id)
	if !ok {
		return
	}
	for i, c := range o.(*fyne.Container).Objects {
		l := c.(*widget.Label)
		l.Text, l.Importance = p.spec.columns[i].cell(p.u, s)
		if p.refused[s.ID] {
			l.Importance = widget.DangerImportance
		}
		l.Refresh()
	}
}

func truncatedBold(s string) *widget.Label {
	l := strong(s)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}
