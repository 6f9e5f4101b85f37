package ui

import (
	"bytes"
	"encoding/json"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
)

// formPage is what the event and appeal forms share: sections of fields,
// Save and Cancel, the values the form started with (to save only what
// changed, and to ask before dropping changes), and the error display.
type formPage struct {
	u        *UI
	titleStr string
	fs       *fieldSet
	initial  map[string]json.RawMessage
	values   func() (map[string]any, bool) // current values; false if a field could not be read
	onSave   func(changed map[string]any) error
	saved    bool
	saveBtn  *widget.Button
	body     fyne.CanvasObject
	sections []fyne.CanvasObject

	// The draft (drafts.go): which record, the controls that are not a
	// single field, and a note saying when the input was last kept.
	kind, recordID string
	multi          map[string]*controls.MultiCheck
	moreInputs     func(map[string]string)
	restoreMore    func(map[string]string)
	draftNote      *widget.Label
	folds          []formFold
}

func (f *formPage) draft() records.Draft {
	return records.Draft{Kind: f.kind, Record: f.recordID, Inputs: f.inputs()}
}

func (f *formPage) restore(in map[string]string) { f.setInputs(in) }

func (f *formPage) title() string             { return f.titleStr }
func (f *formPage) changed([]records.Changed) {}
func (f *formPage) view() fyne.CanvasObject   { return f.body }

// section groups fields under a heading, in two columns so that a form fits
// a 1366×768 screen with little scrolling.
func (f *formPage) section(titleKey string, fields ...*field) {
	grid := container.NewGridWithColumns(2)
	for _, x := range fields {
		grid.Add(x.box)
	}
	f.sections = append(f.sections, widget.NewCard("", "", container.NewVBox(bold(f.u.T(titleKey)), grid)))
}

// wide adds fields that take the whole width (long texts, lists).
func (f *formPage) wide(titleKey string, fields ...*field) {
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
func (f *formPage) fold(titleKey string, open bool, fields ...*field) {
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
func (f *formPage) openFaults() {
	for _, fo := range f.folds {
		for _, x := range fo.fields {
			if x.err.Visible() {
				fo.acc.Open(0)
				break
			}
		}
	}
}

// finish lays the form out and remembers its starting values.
func (f *formPage) finish() {
	u := f.u
	f.saveBtn = u.primary(u.T("action.save"), theme.DocumentSaveIcon(), f.save)
	cancel := u.button(u.T("action.cancel"), theme.CancelIcon(), func() { u.shell.pop() })
	keys := hint(u.T("form.keys"))
	keys.Alignment = fyne.TextAlignTrailing
	f.draftNote = hint("")
	f.draftNote.Hide()
	bar := container.NewBorder(nil, nil, container.NewHBox(f.saveBtn, cancel, f.draftNote), nil, keys)
	content := container.NewVBox(f.fs.top)
	content.Objects = append(content.Objects, f.sections...)
	f.body = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), bar), nil, nil, container.NewVScroll(content))
	f.initial = f.snapshot()
}

func (f *formPage) snapshot() map[string]json.RawMessage {
	v, _ := f.values()
	out := make(map[string]json.RawMessage, len(v))
	for k, x := range v {
		b, _ := json.Marshal(x)
		out[k] = b
	}
	return out
}

// changedValues are the fields whose value differs from the start: a save
// touches only those, so that it never overwrites what another laptop
// changed in the meantime in a field this person did not touch.
func (f *formPage) changedValues(v map[string]any) map[string]any {
	out := map[string]any{}
	for k, x := range v {
		b, _ := json.Marshal(x)
		if !bytes.Equal(b, f.initial[k]) {
			out[k] = x
		}
	}
	return out
}

func (f *formPage) dirty() bool {
	if f.saved {
		return false
	}
	v, ok := f.values()
	return !ok || len(f.changedValues(v)) > 0
}

// save validates in the core and shows each problem beside its field. On
// any failure the form keeps everything typed.
func (f *formPage) save() {
	f.u.touch()
	f.fs.clear()
	v, ok := f.values()
	if !ok {
		setError(f.fs.top, f.u.T("form.fix_marked"))
		f.openFaults()
		return
	}
	if err := f.onSave(f.changedValues(v)); err != nil {
		f.fs.show(err)
		f.openFaults()
		return
	}
	f.saved = true
	f.u.dropDraft()
}

func (f *formPage) submitOnEnter(entries ...*controls.Entry) {
	for _, e := range entries {
		if !e.MultiLine {
			e.OnSubmitted = func(string) { f.save() }
		}
	}
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
