package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// Central staff record a grant and change it in the app: its council (of
// a new grant only), purpose, amount, dates and notes, its milestones (a
// title and a due day each) and its disbursements (a day, an amount, a
// note). The council's laptop reports a milestone from the grant's page:
// the day it was met and what it did. Who may do which is shared/policy's
// rule (MayWriteGrant, MayReportMilestones); what is wrong is
// domain.Grant.Validate's, shown beside the field at fault.

// mayWriteGrants: central staff's laptop, or one of no server yet (which
// nothing checks: it may be a trainer's demonstration).
func (u *UI) mayWriteGrants() bool {
	dev, enrolled := u.sess.Records().Reader()
	return !enrolled || policy.MayWriteGrant(dev)
}

// mayReportMilestones: the laptop of council's secretary, or one of no
// server yet.
func (u *UI) mayReportMilestones(council string) bool {
	dev, enrolled := u.sess.Records().Reader()
	return !enrolled || policy.MayReportMilestones(dev, council)
}

// grantMessage says a grant's faults of range in the grant's words (the
// general date message speaks of appeals). A fault of a milestone's or a
// payment's control ("milestones/ID.due") is shown in its row after the
// control's name ("Due: ", fieldSet.fieldAt): its words (grant.err.item.*)
// go on from that name and do not say it again.
func (u *UI) grantMessage(fe domain.FieldError) (string, bool) {
	if fe.Code != domain.CodeRange {
		return "", false
	}
	last := fe.Field
	if i := strings.LastIndexAny(last, "./"); i >= 0 {
		last = last[i+1:]
	}
	if strings.HasPrefix(fe.Field, "milestones/") || strings.HasPrefix(fe.Field, "disbursements/") {
		if k := "grant.err.item." + last; u.tr.Has(k) {
			return u.T(k), true
		}
	}
	if k := "grant.err." + last; u.tr.Has(k) {
		return u.T(k), true
	}
	return "", false
}

type grantForm struct {
	u   *UI
	id  string // "": a new grant
	fs  *fieldSet
	old *domain.Grant

	council                              *controls.CodeSelect
	purpose, amount, start, end, notes   *controls.Entry
	milestones, disbursements            *fyne.Container
	mrows                                []*milestoneRow
	drows                                []*disbursementRow
	addMilestone, addDisbursement, saveB *widget.Button
	body                                 fyne.CanvasObject
	// draftNote says when the input was last kept as a draft (drafts.go).
	draftNote *widget.Label
	// shown is what the form held when it opened: leaving it changed
	// asks first (dirty).
	shown string
}

type milestoneRow struct {
	id         string
	title, due *controls.Entry
	f          *field
}

type disbursementRow struct {
	id               string
	on, amount, note *controls.Entry
	f                *field
}

// newGrantForm is the form of a new grant (g nil) or of grant g.
func newGrantForm(u *UI, g *domain.Grant) *grantForm {
	f := &grantForm{u: u, fs: u.newFieldSet(domain.KindGrant), old: g}
	f.fs.message = u.grantMessage
	f.milestones, f.disbursements = container.NewVBox(), container.NewVBox()
	entry := func(multi bool) *controls.Entry {
		e := u.newEntry()
		if multi {
			e.MultiLine, e.Wrapping = true, fyne.TextWrapWord
			e.SetMinRowsVisible(3)
		}
		return e
	}
	f.purpose, f.amount, f.start, f.end, f.notes = entry(true), entry(false), entry(false), entry(false), entry(true)
	f.amount.SetPlaceHolder(u.T("grant.amount_placeholder"))
	for _, e := range []*controls.Entry{f.start, f.end} {
		e.SetPlaceHolder(u.T("form.date_placeholder"))
	}
	box := container.NewVBox(f.fs.top)
	if g == nil {
		var codes, names []string
		if cs, err := u.sess.Records().Councils(context.Background()); err == nil {
			for _, c := range cs {
				codes, names = append(codes, c.Code), append(names, c.Name)
			}
		}
		f.council = u.newCodeSelect(codes, names, "", nil)
		box.Add(f.fs.add("council", "field.council", f.council).box)
	} else {
		f.id = g.ID
		box.Add(wrapped(u.T("grant.council", "council", nameOr(councilNames(u), g.Council))))
	}
	box.Add(f.fs.add("purpose", "field.purpose", f.purpose).box)
	box.Add(container.NewGridWithColumns(3, f.fs.add("amount", "field.amount", f.amount).box,
		f.fs.add("start_on", "field.start_on", f.start).box, f.fs.add("end_on", "field.end_on", f.end).box))

	box.Add(widget.NewSeparator())
	f.addMilestone = u.button(u.T("grant.add_milestone"), theme.ContentAddIcon(), func() { f.milestone(domain.Milestone{}) })
	box.Add(f.fs.add("milestones", "grant.milestones", container.NewHBox(f.addMilestone)).box)
	box.Add(f.milestones)
	box.Add(widget.NewSeparator())
	f.addDisbursement = u.button(u.T("grant.add_disbursement"), theme.ContentAddIcon(), func() { f.disbursement(domain.Disbursement{}) })
	box.Add(f.fs.add("disbursements", "grant.disbursements", container.NewHBox(f.addDisbursement)).box)
	box.Add(f.disbursements)
	box.Add(widget.NewSeparator())
	box.Add(f.fs.add("notes", "field.notes", f.notes).box)
	f.saveB = u.primary(u.T("action.save"), theme.DocumentSaveIcon(), f.save)
	f.draftNote = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	f.draftNote.Hide()
	box.Add(container.NewHBox(f.saveB, f.draftNote))

	if g != nil {
		f.purpose.SetText(g.Purpose)
		f.amount.SetText(strconv.FormatInt(g.Amount, 10))
		f.start.SetText(u.tr.DateInput(g.StartOn))
		f.end.SetText(u.tr.DateInput(g.EndOn))
		f.notes.SetText(g.Notes)
		for _, m := range g.Milestones {
			f.milestone(m)
		}
		for _, x := range g.Disbursements {
			f.disbursement(x)
		}
	}
	f.body = container.NewVScroll(box)
	f.shown = f.typed()
	return f
}

// typed is everything the form's controls hold, to tell a change.
func (f *grantForm) typed() string {
	parts := []string{f.purpose.Text, f.amount.Text, f.start.Text, f.end.Text, f.notes.Text}
	if f.council != nil {
		parts = append(parts, f.council.Code())
	}
	for _, r := range f.mrows {
		parts = append(parts, r.id, r.title.Text, r.due.Text)
	}
	for _, r := range f.drows {
		parts = append(parts, r.id, r.on.Text, r.amount.Text, r.note.Text)
	}
	return strings.Join(parts, "\x00")
}

// dirty: the shell asks before leaving a form whose input is not saved.
func (f *grantForm) dirty() bool { return f.typed() != f.shown }

func (f *grantForm) title() string {
	if f.old == nil {
		return f.u.T("grant.new")
	}
	return f.u.T("grant.edit_title", "purpose", short(f.old.Purpose, 60))
}

func (f *grantForm) view() fyne.CanvasObject   { return f.body }
func (f *grantForm) changed([]records.Changed) {}

// The draft (drafts.go): every control by name, the milestones' and the
// payments' rows by their ids (a milestone's id is what its council's
// report names, so an edit's rows keep theirs), in their order.

func (f *grantForm) draft() records.Draft {
	in := map[string]string{"purpose": f.purpose.Text, "amount": f.amount.Text, "start_on": f.start.Text,
		"end_on": f.end.Text, "notes": f.notes.Text}
	if f.council != nil {
		in["council"] = f.council.Code()
	}
	var ms, ds []string
	for _, r := range f.mrows {
		ms = append(ms, r.id)
		p := "milestones/" + r.id
		in[p+".title"], in[p+".due"] = r.title.Text, r.due.Text
	}
	for _, r := range f.drows {
		ds = append(ds, r.id)
		p := "disbursements/" + r.id
		in[p+".on"], in[p+".amount"], in[p+".note"] = r.on.Text, r.amount.Text, r.note.Text
	}
	in["milestones"], in["disbursements"] = strings.Join(ms, " "), strings.Join(ds, " ")
	// The rows the grant had when the form opened (restore).
	if f.old != nil {
		var km, kd []string
		for _, m := range f.old.Milestones {
			km = append(km, m.ID)
		}
		for _, x := range f.old.Disbursements {
			kd = append(kd, x.ID)
		}
		in["known/milestones"], in["known/disbursements"] = strings.Join(km, " "), strings.Join(kd, " ")
	}
	return records.Draft{Kind: domain.KindGrant, Record: f.id, Inputs: in}
}

// restore puts a draft back: the controls as typed, the rows the draft
// holds in place of the grant's. A milestone or payment of the grant as it
// is now that the draft neither holds nor knew of came from another
// laptop since: it stays (saving the draft would remove it). One the
// draft knew and does not hold was removed by the person typing.
func (f *grantForm) restore(in map[string]string) {
	f.purpose.SetText(in["purpose"])
	f.amount.SetText(in["amount"])
	f.start.SetText(in["start_on"])
	f.end.SetText(in["end_on"])
	f.notes.SetText(in["notes"])
	if f.council != nil {
		f.council.SetCode(in["council"])
	}
	for _, r := range f.mrows {
		f.fs.remove("milestones/" + r.id)
	}
	for _, r := range f.drows {
		f.fs.remove("disbursements/" + r.id)
	}
	f.mrows, f.drows = nil, nil
	f.milestones.RemoveAll()
	f.disbursements.RemoveAll()
	for _, id := range strings.Fields(in["milestones"]) {
		p := "milestones/" + id
		f.milestone(domain.Milestone{ID: id, Title: in[p+".title"]})
		f.mrows[len(f.mrows)-1].due.SetText(in[p+".due"]) // as typed, read or not
	}
	for _, id := range strings.Fields(in["disbursements"]) {
		p := "disbursements/" + id
		f.disbursement(domain.Disbursement{ID: id, Note: in[p+".note"]})
		r := f.drows[len(f.drows)-1]
		r.on.SetText(in[p+".on"])
		r.amount.SetText(in[p+".amount"])
	}
	if f.old != nil {
		seen := map[string]bool{}
		for _, k := range []string{"milestones", "disbursements", "known/milestones", "known/disbursements"} {
			for _, id := range strings.Fields(in[k]) {
				seen[id] = true
			}
		}
		for _, m := range f.old.Milestones {
			if !seen[m.ID] {
				f.milestone(m)
			}
		}
		for _, x := range f.old.Disbursements {
			if !seen[x.ID] {
				f.disbursement(x)
			}
		}
	}
	f.body.Refresh()
}

// draftSaved shows, beside Save, when the input was last kept.
func (f *grantForm) draftSaved(at time.Time) {
	f.draftNote.SetText(f.u.T("draft.saved", "time", at))
	f.draftNote.Show()
}

// milestone adds a milestone's row: its id is made here, so that a fault
// the core finds in it ("milestones/ID.due") is shown in its row.
func (f *grantForm) milestone(m domain.Milestone) {
	u := f.u
	r := &milestoneRow{id: m.ID, title: u.newEntry(), due: u.newEntry()}
	if r.id == "" {
		r.id = domain.NewID()
	}
	r.title.SetPlaceHolder(u.T("grant.milestone_placeholder"))
	r.title.SetText(m.Title)
	r.due.SetPlaceHolder(u.T("form.date_placeholder"))
	if !m.Due.IsZero() {
		r.due.SetText(u.tr.DateInput(m.Due))
	}
	var row fyne.CanvasObject
	remove := u.button(u.T("grant.remove"), theme.DeleteIcon(), func() {
		f.mrows = removeRow(f.mrows, r)
		f.fs.remove("milestones/" + r.id)
		f.milestones.Remove(row)
	})
	r.f = f.fs.add("milestones/"+r.id, "grant.milestone", container.NewBorder(nil, nil, nil,
		container.NewHBox(container.NewGridWrap(fyne.NewSize(140, r.due.MinSize().Height), r.due), remove), r.title))
	row = r.f.box
	f.mrows = append(f.mrows, r)
	f.milestones.Add(row)
}

// disbursement adds a payment's row.
func (f *grantForm) disbursement(x domain.Disbursement) {
	u := f.u
	r := &disbursementRow{id: x.ID, on: u.newEntry(), amount: u.newEntry(), note: u.newEntry()}
	if r.id == "" {
		r.id = domain.NewID()
	}
	r.on.SetPlaceHolder(u.T("form.date_placeholder"))
	if !x.On.IsZero() {
		r.on.SetText(u.tr.DateInput(x.On))
	}
	r.amount.SetPlaceHolder(u.T("grant.amount_placeholder"))
	if x.Amount != 0 {
		r.amount.SetText(strconv.FormatInt(x.Amount, 10))
	}
	r.note.SetPlaceHolder(u.T("grant.payment_note_placeholder"))
	r.note.SetText(x.Note)
	var row fyne.CanvasObject
	remove := u.button(u.T("grant.remove"), theme.DeleteIcon(), func() {
		f.drows = removeRow(f.drows, r)
		f.fs.remove("disbursements/" + r.id)
		f.disbursements.Remove(row)
	})
	r.f = f.fs.add("disbursements/"+r.id, "grant.disbursement", container.NewBorder(nil, nil,
		container.NewGridWrap(fyne.NewSize(140, r.on.MinSize().Height), r.on),
		container.NewHBox(container.NewGridWrap(fyne.NewSize(140, r.amount.MinSize().Height), r.amount), remove), r.note))
	row = r.f.box
	f.drows = append(f.drows, r)
	f.disbursements.Add(row)
}

func removeRow[T comparable](rows []T, r T) []T {
	out := rows[:0]
	for _, x := range rows {
		if x != r {
			out = append(out, x)
		}
	}
	return out
}

// read is the grant the form holds; false when something typed cannot be
// read (a day, a number), each marked beside its field.
func (f *grantForm) read() (domain.Grant, bool) {
	u := f.u
	ok := true
	bad := func(field, key string) {
		ok = false
		f.fs.localError(field, u.T(key))
	}
	day := func(field, s string) caldate.Date {
		if strings.TrimSpace(s) == "" {
			return caldate.Date{} // the core says it is required
		}
		d, err := u.tr.ParseDate(s)
		if err != nil {
			bad(field, "err.format.date")
		}
		return d
	}
	som := func(field, s string) int64 {
		if strings.TrimSpace(s) == "" {
			return 0
		}
		n, err := strconv.ParseInt(strings.Join(strings.Fields(s), ""), 10, 64) // "150 000" as written
		if err != nil {
			bad(field, "err.format.number")
		}
		return n
	}
	g := domain.Grant{ID: f.id, Purpose: f.purpose.Text, Notes: strings.TrimSpace(f.notes.Text),
		Amount: som("amount", f.amount.Text), StartOn: day("start_on", f.start.Text), EndOn: day("end_on", f.end.Text)}
	if f.council != nil {
		g.Council = f.council.Code()
	}
	for _, r := range f.mrows {
		g.Milestones = append(g.Milestones, domain.Milestone{ID: r.id, Title: r.title.Text, Due: day("milestones/"+r.id, r.due.Text)})
	}
	for _, r := range f.drows {
		g.Disbursements = append(g.Disbursements, domain.Disbursement{ID: r.id, On: day("disbursements/"+r.id, r.on.Text),
			Amount: som("disbursements/"+r.id, r.amount.Text), Note: strings.TrimSpace(r.note.Text)})
	}
	return g, ok
}

// save checks and saves the grant; every fault is shown beside its field
// and nothing typed is lost.
func (f *grantForm) save() {
	u := f.u
	f.fs.clear()
	// The messages shown or hidden change the rows' heights: lay the
	// form out again.
	defer f.body.Refresh()
	g, ok := f.read()
	if !ok {
		setError(f.fs.top, u.T("form.fix_marked"))
		return
	}
	if f.old != nil {
		// A save writes the milestones and payments the form holds, and
		// the ones it does not are removed: those another laptop added
		// while the form was open (a sync) are kept, as the competition
		// set-up keeps its jurors (addedSince).
		if now, err := u.sess.Records().Grant(context.Background(), f.id); err == nil {
			g.Milestones = append(g.Milestones, addedSince(f.old.Milestones, now.Milestones, func(m domain.Milestone) string { return m.ID })...)
			g.Disbursements = append(g.Disbursements, addedSince(f.old.Disbursements, now.Disbursements, func(x domain.Disbursement) string { return x.ID })...)
		}
	}
	out, err := u.sess.Records().SaveGrant(context.Background(), g)
	if err != nil {
		f.fs.show(err)
		return
	}
	u.dropDraft()
	u.shell.replaceTop(newGrantDetail(u, out.ID))
}

// reportForm is the council's report of one milestone on the grant's
// page: the day it was met (today unless said) and what was done.
type reportForm struct {
	d         *grantDetail
	milestone string
	fs        *fieldSet
	on, note  *controls.Entry
	box       *fyne.Container
	// changes: something was typed since the form opened, so it is kept
	// as a draft (the grant's page is the drafter) and leaving asks.
	changes   bool
	draftNote *widget.Label
}

func newReportForm(d *grantDetail, m domain.Milestone, r domain.MilestoneReport) *reportForm {
	u := d.u
	f := &reportForm{d: d, milestone: m.ID, fs: u.newFieldSet(domain.KindGrant), on: u.newEntry(), note: u.newEntry()}
	f.fs.message = u.grantMessage
	f.on.SetPlaceHolder(u.T("form.date_placeholder"))
	on := r.MetOn
	if on.IsZero() {
		on = u.sess.Records().Today()
	}
	f.on.SetText(u.tr.DateInput(on))
	f.note.MultiLine, f.note.Wrapping = true, fyne.TextWrapWord
	f.note.SetMinRowsVisible(2)
	f.note.SetPlaceHolder(u.T("grant.report_placeholder"))
	f.note.SetText(r.Note)
	touched := func(string) { f.changes = true }
	f.on.OnChanged, f.note.OnChanged = touched, touched
	f.draftNote = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	f.draftNote.Hide()
	p := "reports/" + m.ID
	save := u.primary(u.T("grant.report_save"), theme.ConfirmIcon(), f.save)
	// The day's entry as wide as a day; its label and message the
	// page's width.
	day := container.NewHBox(container.NewGridWrap(fyne.NewSize(170, f.on.MinSize().Height), f.on))
	cancel := u.button(u.T("action.cancel"), theme.CancelIcon(), func() {
		u.dropDraft() // given up: nothing to offer at the next start
		d.closeReport()
	})
	f.box = container.NewVBox(f.fs.top, f.fs.add(p+".met_on", "field.met_on", day).box, f.fs.add(p+".note", "grant.report_note", f.note).box,
		container.NewHBox(save, cancel, f.draftNote))
	return f
}

func (f *reportForm) save() {
	u := f.d.u
	f.fs.clear()
	defer f.d.body.Refresh() // the messages change the rows' heights
	p := "reports/" + f.milestone
	on, err := u.tr.ParseDate(f.on.Text)
	if strings.TrimSpace(f.on.Text) == "" {
		on, err = caldate.Date{}, nil // today
	}
	if err != nil {
		f.fs.localError(p+".met_on", u.T("err.format.date"))
		return
	}
	if _, err := u.sess.Records().ReportMilestone(context.Background(), f.d.id, f.milestone, true, on, f.note.Text); err != nil {
		f.fs.show(err)
		return
	}
	u.dropDraft()
	f.d.closeReport()
}
