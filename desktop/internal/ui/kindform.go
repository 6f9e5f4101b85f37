package ui

import (
	"context"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

// One way to record every kind: a kind describes its form (formSpec), its
// list (listSpec) and its record page (detailSpec), and recordForm,
// recordList and recordDetail show any kind so described. A form reads its
// controls into the kind's domain type R and hands that to the core, which
// checks it and saves only what the person changed.

// formSpec describes the form of records of type R.
type formSpec[R any] struct {
	kind     string
	newTitle string                   // translation key
	title    func(u *UI, r *R) string // an edit's title
	sections []formSection[R]
	// start gives a new record its starting values (the home council,
	// today); nil: none.
	start func(f *recordForm[R])
	// extra names what a form carries that no control shows (an appeal
	// recorded at an event: its event), kept in the draft; finish puts it
	// into the record read from the controls, and tidies what the
	// controls gave (an anonymous appellant has no name).
	extra  []string
	finish func(f *recordForm[R], r *R)
	// create saves a new record and gives its id; change saves what the
	// person changed in the fields named (records.Service.ChangeAppeal).
	create func(ctx context.Context, svc *records.Service, r *R) (string, error)
	change func(ctx context.Context, svc *records.Service, id string, shown, edited *R, fields []string) error
	id     func(r *R) string
	detail func(u *UI, id string) page // where a saved new record opens
}

// formSection is a group of fields: in two columns, across the width, or
// folded (open when the record has something in it).
type formSection[R any] struct {
	title    string // translation key; "" for none (wide only)
	layout   sectionLayout
	open     func(r *R) bool // folded: open for this record (never for a new one)
	editOnly bool            // shown only when editing
	fields   []fieldSpec[R]
}

type sectionLayout int

const (
	twoColumns sectionLayout = iota
	wide
	folded
)

// fieldSpec is one field of a form: the record field it edits, as the
// core names it in its errors ("appellant.phone"), its label, and the
// control that edits it.
type fieldSpec[R any] struct {
	name  string
	label string // translation key
	// also: other names the core's errors give this field ("appellant"
	// for the appellant's anonymity).
	also       []string
	createOnly bool // read only for a new record (the council: fixed after)
	input      func(f *recordForm[R]) input[R]
}

// input is the control of one field: it shows a record's value, reads it
// back (reporting what it cannot read with fail), and keeps what it holds
// in a draft under its own keys.
type input[R any] interface {
	object() fyne.CanvasObject
	load(r *R)
	read(r *R, fail func(field, key string)) bool
	keep(draft map[string]string)
	restore(draft map[string]string)
}

// recordForm records a new record of a kind or edits one.
type recordForm[R any] struct {
	u        *UI
	spec     *formSpec[R]
	rec      *R // the record edited; nil: a new one
	titleStr string
	fs       *fieldSet
	inputs   map[string]input[R] // by field name
	order    []string            // field names in reading order
	createOn map[string]bool     // fields read only for a new record
	extra    map[string]string   // see formSpec.extra

	// shown is the record as the form first showed it (read back from the
	// controls), initial what the controls held then: a save changes only
	// the fields that differ from it, leaving is asked only when the
	// controls changed.
	shown   *R
	saved   bool
	saveBtn *widget.Button
	body    fyne.CanvasObject

	sections  []fyne.CanvasObject
	folds     []formFold
	draftNote *widget.Label
}

// newRecordForm builds the form of spec for rec (nil: a new record).
func newRecordForm[R any](u *UI, spec *formSpec[R], rec *R) *recordForm[R] {
	f := &recordForm[R]{u: u, spec: spec, rec: rec, fs: u.newFieldSet(spec.kind), inputs: map[string]input[R]{},
		createOn: map[string]bool{}, extra: map[string]string{}}
	if rec == nil {
		f.titleStr = u.T(spec.newTitle)
	} else {
		f.titleStr = spec.title(u, rec)
	}
	type built struct {
		sec    formSection[R]
		fields []*field
	}
	var all []built
	for _, sec := range spec.sections {
		if sec.editOnly && rec == nil {
			continue
		}
		b := built{sec: sec}
		for _, fd := range sec.fields {
			in := fd.input(f)
			f.inputs[fd.name] = in
			f.order = append(f.order, fd.name)
			if fd.createOnly {
				f.createOn[fd.name] = true
			}
			fl := f.fs.add(fd.name, fd.label, in.object())
			for _, a := range fd.also {
				f.fs.fields[a] = fl
			}
			if e, ok := in.object().(*controls.Entry); ok && !e.MultiLine {
				e.OnSubmitted = func(string) { f.save() } // Enter in a one-line field saves
			}
			b.fields = append(b.fields, fl)
		}
		all = append(all, b)
	}
	// Starting values: the record, or those of a new one.
	if rec != nil {
		f.load(rec)
	} else if spec.start != nil {
		spec.start(f)
	}
	for _, b := range all {
		switch b.sec.layout {
		case twoColumns:
			f.section(b.sec.title, b.fields...)
		case wide:
			f.wide(b.sec.title, b.fields...)
		case folded:
			f.fold(b.sec.title, rec != nil && b.sec.open != nil && b.sec.open(rec), b.fields...)
		}
	}
	f.finish()
	return f
}

// load shows r in the controls.
func (f *recordForm[R]) load(r *R) {
	for _, name := range f.order {
		c := *r // inputs may fill in what r points to lazily: never r itself
		f.inputs[name].load(&c)
	}
}

// read is the record the controls hold now; false if a control holds what
// cannot be read (marked beside it when report is set).
func (f *recordForm[R]) read(report bool) (*R, bool) {
	fail := func(field, key string) {
		if report {
			f.fs.localError(field, f.u.T(key))
		}
	}
	var r R
	ok := true
	for _, name := range f.order {
		if f.rec != nil && f.createOn[name] {
			continue
		}
		ok = f.inputs[name].read(&r, fail) && ok
	}
	if f.spec.finish != nil {
		f.spec.finish(f, &r)
	}
	return &r, ok
}

// fields are the record fields the form edits, as the core names them.
func (f *recordForm[R]) fields() []string {
	seen := map[string]bool{}
	var out []string
	for _, name := range f.order {
		if f.rec != nil && f.createOn[name] {
			continue
		}
		top, _, _ := strings.Cut(name, ".")
		if !seen[top] {
			seen[top] = true
			out = append(out, top)
		}
	}
	return out
}

func (f *recordForm[R]) title() string             { return f.titleStr }
func (f *recordForm[R]) changed([]records.Changed) {}
func (f *recordForm[R]) view() fyne.CanvasObject   { return f.body }

// section groups fields under a heading, in two columns so that a form fits
// a 1366×768 screen with little scrolling.
func (f *recordForm[R]) section(titleKey string, fields ...*field) {
	grid := container.NewGridWithColumns(2)
	for _, x := range fields {
		grid.Add(x.box)
	}
	f.sections = append(f.sections, widget.NewCard("", "", container.NewVBox(bold(f.u.T(titleKey)), grid)))
}

// wide adds fields that take the whole width (long texts, lists).
func (f *recordForm[R]) wide(titleKey string, fields ...*field) {
	box := container.NewVBox()
	if titleKey != "" {
		box.Add(bold(f.u.T(titleKey)))
	}
	for _, x := range fields {
		box.Add(x.box)
	}
	f.sections = append(f.sections, widget.NewCard("", "", box))
}

// fold adds fields in a section that folds, open or closed, so that the
// common case (what, when, where) fits the screen and the rest is a click
// away. A section holding a field at fault opens when saving fails.
func (f *recordForm[R]) fold(titleKey string, open bool, fields ...*field) {
	box := container.NewVBox()
	for _, x := range fields {
		box.Add(x.box)
	}
	item := widget.NewAccordionItem(f.u.T(titleKey), box)
	item.Open = open
	acc := widget.NewAccordion(item)
	acc.MultiOpen = true
	f.folds = append(f.folds, formFold{acc: acc, fields: fields})
	f.sections = append(f.sections, widget.NewCard("", "", acc))
}

// formFold is a folding section and the fields in it.
type formFold struct {
	acc    *widget.Accordion
	fields []*field
}

// openFaults opens the folded sections that hold a field marked at fault.
func (f *recordForm[R]) openFaults() {
	for _, fo := range f.folds {
		for _, x := range fo.fields {
			if x.err.Visible() {
				fo.acc.Open(0)
				break
			}
		}
	}
}

// finish lays the form out and remembers what it shows.
func (f *recordForm[R]) finish() {
	u := f.u
	f.saveBtn = u.primary(u.T("action.save"), theme.DocumentSaveIcon(), f.save)
	cancel := u.button(u.T("action.cancel"), theme.CancelIcon(), func() { u.shell.pop() })
	keys := hint(u.T("form.keys"))
	keys.Alignment = fyne.TextAlignTrailing
	// Whole, beside the buttons (a row gives a text that shortens itself
	// no room: it showed "…"); the keys' hint gives way instead.
	f.draftNote = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	f.draftNote.Hide()
	bar := container.NewBorder(nil, nil, container.NewHBox(f.saveBtn, cancel, f.draftNote), nil, keys)
	content := container.NewVBox(f.fs.top)
	content.Objects = append(content.Objects, f.sections...)
	f.body = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), bar), nil, nil, container.NewVScroll(content))
	f.settle()
}

// settle takes what the form shows now as its starting point: values set
// by the program (a new appeal recorded at an event) are not the person's
// changes.
func (f *recordForm[R]) settle() {
	f.shown, _ = f.read(false)
}

// dirty: the form holds input that is not saved.
func (f *recordForm[R]) dirty() bool {
	if f.saved {
		return false
	}
	now, ok := f.read(false)
	return !ok || !reflect.DeepEqual(now, f.shown)
}

// save checks in the core and shows each problem beside its field. On any
// failure the form keeps everything typed.
func (f *recordForm[R]) save() {
	f.u.touch()
	f.fs.clear()
	r, ok := f.read(true)
	if !ok {
		setError(f.fs.top, f.u.T("form.fix_marked"))
		f.openFaults()
		return
	}
	if err := f.store(r); err != nil {
		f.fs.show(err)
		f.openFaults()
		return
	}
	f.saved = true
	f.u.dropDraft()
}

// store saves r: a new record opens on its page; an edit goes back to the
// page it came from, which shows the change.
func (f *recordForm[R]) store(r *R) error {
	u := f.u
	svc := u.sess.Records()
	ctx := context.Background()
	if f.rec == nil {
		id, err := f.spec.create(ctx, svc, r)
		if err != nil {
			return err
		}
		f.saved = true
		u.shell.replaceTop(f.spec.detail(u, id))
		return nil
	}
	id := f.spec.id(f.rec)
	if err := f.spec.change(ctx, svc, id, f.shown, r, f.fields()); err != nil {
		return err
	}
	f.saved = true
	u.shell.popNow()
	u.shell.top().changed([]records.Changed{{Kind: f.spec.kind, ID: id}})
	return nil
}

// The draft (drafts.go).

func (f *recordForm[R]) draft() records.Draft {
	rec := ""
	if f.rec != nil {
		rec = f.spec.id(f.rec)
	}
	return records.Draft{Kind: f.spec.kind, Record: rec, Inputs: f.keep()}
}

// keep is what the controls hold, by field name: the draft.
func (f *recordForm[R]) keep() map[string]string {
	out := map[string]string{}
	for _, name := range f.order {
		f.inputs[name].keep(out)
	}
	for _, k := range f.spec.extra {
		if v := f.extra[k]; v != "" {
			out[k] = v
		}
	}
	return out
}

// restore puts a draft back into the controls. A region comes before its
// districts (choosing a region fills them).
func (f *recordForm[R]) restore(in map[string]string) {
	names := slicesSortedFirst(f.order, "oblast")
	for _, name := range names {
		f.inputs[name].restore(in)
	}
	for _, k := range f.spec.extra {
		f.extra[k] = in[k]
	}
}

// preset sets some controls by field name as a draft would (the program's
// own choice, not the person's: call settle after).
func (f *recordForm[R]) preset(in map[string]string) {
	names := slicesSortedFirst(f.order, "oblast")
	for _, name := range names {
		if _, ok := in[name]; ok {
			f.inputs[name].restore(in)
		}
	}
}

func slicesSortedFirst(names []string, first string) []string {
	out := append([]string(nil), names...)
	sort.SliceStable(out, func(i, j int) bool { return out[i] == first && out[j] != first })
	return out
}

// draftSaved shows, under the form, when its input was last kept.
func (f *recordForm[R]) draftSaved(at time.Time) {
	if f.draftNote != nil {
		f.draftNote.SetText(f.u.T("draft.saved", "time", at))
		f.draftNote.Show()
	}
}

// withAlso gives a field other names the core's errors may use for it.
func withAlso[R any](f fieldSpec[R], names ...string) fieldSpec[R] {
	f.also = append(f.also, names...)
	return f
}

// presetCouncil chooses the laptop's council for a new record (or the only
// council there is), and its region and district.
func (f *recordForm[R]) presetCouncil() {
	svc := f.u.sess.Records()
	home := svc.HomeCouncil()
	cc, _ := f.u.councils()
	if home == "" && len(cc) == 1 {
		home = cc[0]
	}
	in := map[string]string{"council": home}
	cs, _ := svc.Councils(context.Background())
	for _, c := range cs {
		if c.Code == home {
			in["oblast"], in["district"] = c.Oblast, c.District
		}
	}
	f.preset(in)
}

// The inputs a description is made of.

// textField edits a text: one line, or rows lines when rows > 0; what is
// typed is saved without the spaces around it.
func textField[R any](name, label string, rows int, placeholder string, at func(*R) *string) fieldSpec[R] {
	return fieldSpec[R]{name: name, label: label, input: func(f *recordForm[R]) input[R] {
		e := f.u.newEntry()
		if rows > 0 {
			e = f.u.newMultiEntry(rows)
		}
		e.SetPlaceHolder(f.u.placeholder(placeholder))
		return &entryInput[R]{name: name, e: e,
			show:  func(r *R) string { return *at(r) },
			parse: func(r *R, s string) bool { *at(r) = strings.TrimSpace(s); return true }}
	}}
}

// linesField edits a list of texts, one a line.
func linesField[R any](name, label string, rows int, placeholder string, at func(*R) *[]string) fieldSpec[R] {
	return fieldSpec[R]{name: name, label: label, input: func(f *recordForm[R]) input[R] {
		e := f.u.newMultiEntry(rows)
		e.SetPlaceHolder(f.u.placeholder(placeholder))
		return &entryInput[R]{name: name, e: e,
			show:  func(r *R) string { return strings.Join(*at(r), "\n") },
			parse: func(r *R, s string) bool { *at(r) = lines(s); return true }}
	}}
}

// dateField edits a date, typed as the language writes dates.
func dateField[R any](name, label string, at func(*R) *caldate.Date) fieldSpec[R] {
	return fieldSpec[R]{name: name, label: label, input: func(f *recordForm[R]) input[R] {
		u := f.u
		e := u.newEntry()
		e.SetPlaceHolder(u.T("form.date_placeholder"))
		in := &entryInput[R]{name: name, e: e, badKey: "err.format.date",
			show: func(r *R) string {
				if d := *at(r); !d.IsZero() {
					return u.tr.DateInput(d)
				}
				return ""
			}}
		in.parse = func(r *R, s string) bool {
			d, err := u.tr.ParseDate(s)
			*at(r) = d
			return err == nil
		}
		return in
	}}
}

// numberField edits a whole number of 0 or more; empty is 0.
func numberField[R any](name, label, placeholder string, at func(*R) *int) fieldSpec[R] {
	return fieldSpec[R]{name: name, label: label, input: func(f *recordForm[R]) input[R] {
		e := f.u.newEntry()
		e.SetPlaceHolder(f.u.placeholder(placeholder))
		return &entryInput[R]{name: name, e: e, badKey: "err.format.number",
			show: func(r *R) string {
				if n := *at(r); n > 0 {
					return strconv.Itoa(n)
				}
				return ""
			},
			parse: func(r *R, s string) bool {
				n, ok := wholeNumber(s)
				*at(r) = n
				return ok
			}}
	}}
}

// wholeNumber reads a whole number of 0 or more; empty is 0.
func wholeNumber(s string) (int, bool) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, true
	}
	n, err := strconv.Atoi(t)
	return n, err == nil && n >= 0
}

// entryInput is a field typed into an entry.
type entryInput[R any] struct {
	name   string
	e      *controls.Entry
	show   func(r *R) string
	parse  func(r *R, s string) bool
	badKey string // the message when it cannot be read
}

func (x *entryInput[R]) object() fyne.CanvasObject { return x.e }
func (x *entryInput[R]) load(r *R)                 { x.e.SetText(x.show(r)) }
func (x *entryInput[R]) keep(d map[string]string)  { d[x.name] = x.e.Text }
func (x *entryInput[R]) restore(d map[string]string) {
	x.e.SetText(d[x.name])
}

func (x *entryInput[R]) read(r *R, fail func(field, key string)) bool {
	if !x.parse(r, x.e.Text) {
		fail(x.name, x.badKey)
		return false
	}
	return true
}

// choiceField picks a code from a list. notStated names the choice of
// none ("" for a field that must be chosen); fills, if set, is the
// dependent field whose choices follow this one's (a region's districts).
type choice struct {
	codes, names []string
	notStated    string // translation key of "none"; "" when one must be chosen
}

func choiceField[R any](name, label string, choices func(u *UI) choice, at func(*R) *string) fieldSpec[R] {
	return fieldSpec[R]{name: name, label: label, input: func(f *recordForm[R]) input[R] {
		c := choices(f.u)
		s := f.u.newCodeSelect(c.codes, c.names, f.u.placeholder(c.notStated), nil)
		return &selectInput[R]{name: name, s: s, at: at}
	}}
}

// termField picks a term of a reference list in the interface language.
func termField[R any](name, label string, list refdata.List, notStated string, at func(*R) *string) fieldSpec[R] {
	return choiceField(name, label, func(u *UI) choice {
		var c choice
		for _, t := range u.catalog().Terms(list) {
			c.codes = append(c.codes, t.Code)
			c.names = append(c.names, t.Names.In(u.Lang()))
		}
		c.notStated = notStated
		return c
	}, at)
}

// languageField picks one of the interface's languages, by its own name.
func languageField[R any](at func(*R) *string) fieldSpec[R] {
	return choiceField("language", "field.language", func(*UI) choice {
		return choice{codes: l10n.Languages, names: []string{"Кыргызча", "Русский", "English"}, notStated: "form.not_stated"}
	}, at)
}

// councilField picks one of the installation's councils; a record stays
// with its council, so an edit shows it and cannot change it.
func councilField[R any](at func(*R) *string) fieldSpec[R] {
	fd := fieldSpec[R]{name: "council", label: "field.council", createOnly: true, input: func(f *recordForm[R]) input[R] {
		cc, cn := f.u.councils()
		s := f.u.newCodeSelect(cc, cn, "", nil)
		if f.rec != nil {
			s.Disable()
		}
		return &selectInput[R]{name: "council", s: s, at: at}
	}}
	return fd
}

// regionField picks a region, and fills the choices of the district field
// that follows it.
func regionField[R any](at func(*R) *string) fieldSpec[R] {
	return fieldSpec[R]{name: "oblast", label: "field.oblast", input: func(f *recordForm[R]) input[R] {
		u := f.u
		rc, rn := u.regionChoices()
		s := u.newCodeSelect(rc, rn, "", func(code string) { f.fillDistricts(code) })
		return &selectInput[R]{name: "oblast", s: s, at: at}
	}}
}

// districtField picks one of the districts of the region chosen.
func districtField[R any](at func(*R) *string) fieldSpec[R] {
	return fieldSpec[R]{name: "district", label: "field.district", input: func(f *recordForm[R]) input[R] {
		return &selectInput[R]{name: "district", s: f.u.newCodeSelect(nil, nil, f.u.T("form.not_stated"), nil), at: at}
	}}
}

// fillDistricts offers the districts of region in the district field.
func (f *recordForm[R]) fillDistricts(region string) {
	if d, ok := f.inputs["district"].(*selectInput[R]); ok {
		dc, dn := f.u.districtChoices(region)
		d.s.SetOptions(dc, dn, f.u.T("form.not_stated"))
	}
}

// selectInput is a field chosen from a drop-down.
type selectInput[R any] struct {
	name string
	s    *controls.CodeSelect
	at   func(*R) *string
}

func (x *selectInput[R]) object() fyne.CanvasObject { return x.s }
func (x *selectInput[R]) load(r *R)                 { x.s.SetCode(*x.at(r)) }
func (x *selectInput[R]) read(r *R, _ func(string, string)) bool {
	*x.at(r) = x.s.Code()
	return true
}
func (x *selectInput[R]) keep(d map[string]string) { d[x.name] = x.s.Code() }
func (x *selectInput[R]) restore(d map[string]string) {
	if !x.s.Disabled() {
		x.s.SetCode(d[x.name])
	}
}

// checkField is a yes or no, ticked beside its text (a translation key);
// ticking it disables the fields named in disables (an anonymous appeal
// has no name to type).
func checkField[R any](name, label, text string, disables []string, at func(*R) *bool) fieldSpec[R] {
	return fieldSpec[R]{name: name, label: label, input: func(f *recordForm[R]) input[R] {
		c := widget.NewCheck(f.u.T(text), func(on bool) {
			f.u.touch()
			for _, n := range disables {
				in, ok := f.inputs[n]
				if !ok {
					continue
				}
				if e, ok := in.object().(*controls.Entry); ok {
					if on {
						e.Disable()
					} else {
						e.Enable()
					}
				}
			}
		})
		return &checkInput[R]{name: name, c: c, at: at}
	}}
}

type checkInput[R any] struct {
	name string
	c    *widget.Check
	at   func(*R) *bool
}

func (x *checkInput[R]) object() fyne.CanvasObject { return x.c }
func (x *checkInput[R]) load(r *R)                 { x.c.SetChecked(*x.at(r)) }
func (x *checkInput[R]) read(r *R, _ func(string, string)) bool {
	*x.at(r) = x.c.Checked
	return true
}
func (x *checkInput[R]) keep(d map[string]string)    { d[x.name] = strconv.FormatBool(x.c.Checked) }
func (x *checkInput[R]) restore(d map[string]string) { x.c.SetChecked(d[x.name] == "true") }

// termsField ticks any of a reference list's terms, in cols columns.
func termsField[R any](name, label string, list refdata.List, cols int, at func(*R) *[]string) fieldSpec[R] {
	return fieldSpec[R]{name: name, label: label, input: func(f *recordForm[R]) input[R] {
		u := f.u
		var codes, names []string
		for _, t := range u.catalog().Terms(list) {
			codes = append(codes, t.Code)
			names = append(names, t.Names.In(u.Lang()))
		}
		return &multiInput[R]{name: name, m: u.newMultiCheck(codes, names, cols), at: at}
	}}
}

type multiInput[R any] struct {
	name string
	m    *controls.MultiCheck
	at   func(*R) *[]string
}

func (x *multiInput[R]) object() fyne.CanvasObject { return x.m.Box }
func (x *multiInput[R]) load(r *R)                 { x.m.SetSelected(*x.at(r)) }
func (x *multiInput[R]) read(r *R, _ func(string, string)) bool {
	*x.at(r) = x.m.Selected()
	return true
}
func (x *multiInput[R]) keep(d map[string]string) { d[x.name] = strings.Join(x.m.Selected(), ",") }
func (x *multiInput[R]) restore(d map[string]string) {
	var codes []string
	if v := d[x.name]; v != "" {
		codes = strings.Split(v, ",")
	}
	x.m.SetSelected(codes)
}

// placeholder is a control's hint: a translation key, or shown as it is
// (a phone number's or a time's pattern).
func (u *UI) placeholder(s string) string {
	if s != "" && u.tr.Has(s) {
		return u.T(s)
	}
	return s
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
