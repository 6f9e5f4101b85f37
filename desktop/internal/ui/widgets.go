package ui

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// activityCatcher lies under the whole window and sees the mouse move over
// anything that does not handle hovering itself: activity for the idle lock.
type activityCatcher struct {
	widget.BaseWidget
	touch func()
}

func newActivityCatcher(touch func()) *activityCatcher {
	a := &activityCatcher{touch: touch}
	a.ExtendBaseWidget(a)
	return a
}

func (a *activityCatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(theme.Color(theme.ColorNameBackground)))
}
func (a *activityCatcher) MouseIn(*desktop.MouseEvent)    { a.touch() }
func (a *activityCatcher) MouseMoved(*desktop.MouseEvent) { a.touch() }
func (a *activityCatcher) MouseOut()                      {}

// textEntry is an Entry that counts typing as activity for the idle lock.
type textEntry struct {
	widget.Entry
	touch func()
}

func (u *UI) newEntry() *textEntry {
	e := &textEntry{touch: u.touch}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrapOff
	return e
}

func (u *UI) newMultiEntry(rows int) *textEntry {
	e := u.newEntry()
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(rows)
	return e
}

func (u *UI) newPasswordEntry() *textEntry {
	e := u.newEntry()
	e.Password = true
	return e
}

func (e *textEntry) TypedRune(r rune) {
	e.touch()
	e.Entry.TypedRune(r)
}

func (e *textEntry) TypedKey(k *fyne.KeyEvent) {
	e.touch()
	e.Entry.TypedKey(k)
}

// button makes a button whose taps count as activity.
func (u *UI) button(label string, icon fyne.Resource, tapped func()) *widget.Button {
	b := widget.NewButtonWithIcon(label, icon, func() {
		u.touch()
		tapped()
	})
	return b
}

func (u *UI) primary(label string, icon fyne.Resource, tapped func()) *widget.Button {
	b := u.button(label, icon, tapped)
	b.Importance = widget.HighImportance
	return b
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	l.Wrapping = fyne.TextWrapWord
	return l
}

// bold is a bold text that wraps, for columns and cards: it never widens
// what holds it.
func bold(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Wrapping = fyne.TextWrapWord
	return l
}

// strong is a short bold text kept on one line, for rows (HBox) and the
// labels of a details grid.
func strong(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// muted is a secondary note: italic rather than pale, so that it stays
// readable on a dim laptop screen.
func muted(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	l.Wrapping = fyne.TextWrapWord
	return l
}

// hint is a quiet one-line note that gives way (ellipsis) rather than
// widen its row.
func hint(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// link is a one-line text that opens something when tapped; unlike a
// button it shortens itself to fit.
type link struct {
	widget.Label
	tapped func()
}

func (u *UI) newLink(text string, tapped func()) *link {
	l := &link{tapped: func() { u.touch(); tapped() }}
	l.ExtendBaseWidget(l)
	l.Text = text
	l.Truncation = fyne.TextTruncateEllipsis
	l.Importance = widget.HighImportance
	return l
}

func (l *link) Tapped(*fyne.PointEvent) { l.tapped() }
func (l *link) Cursor() desktop.Cursor  { return desktop.PointerCursor }

// multiCheck is a set of check boxes over a coded list, laid out in
// columns so that a long list never widens the form.
type multiCheck struct {
	codes  []string
	checks []*widget.Check
	box    *fyne.Container
}

func (u *UI) newMultiCheck(codes, names []string, cols int) *multiCheck {
	var checks []fyne.CanvasObject
	widest := float32(0)
	m := &multiCheck{codes: codes}
	for _, n := range names {
		c := widget.NewCheck(n, func(bool) { u.touch() })
		m.checks = append(m.checks, c)
		checks = append(checks, c)
		widest = max(widest, c.MinSize().Width)
	}
	// Fewer columns when long names at a large text size would make the
	// form wider than a 1366-pixel laptop screen less the navigation.
	for cols > 1 && float32(cols)*widest > 1366-320*theme.TextSize()/14 {
		cols--
	}
	m.box = container.NewGridWithColumns(cols, checks...)
	return m
}

// Selected returns the checked codes in list order.
func (m *multiCheck) Selected() []string {
	var out []string
	for i, c := range m.checks {
		if c.Checked {
			out = append(out, m.codes[i])
		}
	}
	return out
}

func (m *multiCheck) SetSelected(codes []string) {
	for i, c := range m.checks {
		on := false
		for _, x := range codes {
			on = on || x == m.codes[i]
		}
		c.SetChecked(on)
	}
}

func truncated(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// errorText is a red message under a field or a form; empty, it takes no room.
func errorText() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

func setError(l *widget.Label, msg string) {
	l.SetText(msg)
	if msg == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// field is one labelled control of a form with its own error line, so a
// validation message appears right under what it is about.
type field struct {
	name  string // the record field it edits ("summary", "appellant.name")
	label *widget.Label
	obj   fyne.CanvasObject
	err   *widget.Label
	box   *fyne.Container
}

func newField(name, label string, obj fyne.CanvasObject) *field {
	f := &field{name: name, label: bold(label), obj: obj, err: errorText()}
	f.label.Wrapping = fyne.TextWrapWord
	shown := obj
	if _, ok := obj.(*codeSelect); ok {
		shown = narrow(obj, 220)
	}
	f.box = container.NewVBox(f.label, shown, f.err)
	return f
}

// errSilent is returned by a form step that has already marked its fields.
var errSilent = errors.New("shown beside the field")

// fieldSet maps record field names to their fields and shows a
// ValidationError from the core next to each field at fault.
type fieldSet struct {
	u      *UI
	kind   string
	fields map[string]*field
	order  []*field
	top    *widget.Label // errors about no shown field
}

func (u *UI) newFieldSet(kind string) *fieldSet {
	return &fieldSet{u: u, kind: kind, fields: map[string]*field{}, top: errorText()}
}

func (fs *fieldSet) add(name, labelKey string, obj fyne.CanvasObject) *field {
	f := newField(name, fs.u.T(labelKey), obj)
	fs.u.name(obj, fs.kind+"."+name)
	fs.fields[name] = f
	fs.order = append(fs.order, f)
	return f
}

func (fs *fieldSet) clear() {
	for _, f := range fs.order {
		setError(f.err, "")
	}
	setError(fs.top, "")
}

// fieldAt finds the shown field for a core field name: "followups[2].due"
// belongs to "followups", "appellant.name" to itself or to "appellant".
var indexed = regexp.MustCompile(`^([a-z_]+)\[(\d+)\](?:\.(.+))?$`)

func (fs *fieldSet) fieldAt(name string) (*field, string) {
	if f, ok := fs.fields[name]; ok {
		return f, ""
	}
	if m := indexed.FindStringSubmatch(name); m != nil {
		if f, ok := fs.fields[m[1]+"."+m[3]]; ok && m[3] != "" {
			return f, ""
		}
		if f, ok := fs.fields[m[1]]; ok {
			n, _ := strconv.Atoi(m[2])
			prefix := fs.u.T("form.item", "n", n+1)
			if m[3] != "" {
				prefix += ", " + fs.u.fieldName(m[3])
			}
			return f, prefix + ": "
		}
	}
	if i := strings.LastIndex(name, "."); i > 0 {
		if f, ok := fs.fields[name[:i]]; ok {
			return f, fs.u.fieldName(name[i+1:]) + ": "
		}
	}
	return nil, ""
}

// show marks every field of a ValidationError; other errors go on top. It
// reports whether there was anything to show.
func (fs *fieldSet) show(err error) bool {
	if errors.Is(err, errSilent) {
		return true
	}
	fs.clear()
	if err == nil {
		return false
	}
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		setError(fs.top, fs.u.problem(err))
		return true
	}
	msgs := map[*field][]string{}
	var top []string
	for _, fe := range ve.Fields {
		f, prefix := fs.fieldAt(fe.Field)
		msg := prefix + fs.u.fieldMessage(fe)
		if f == nil {
			top = append(top, fs.u.fieldName(fe.Field)+": "+msg)
			continue
		}
		msgs[f] = append(msgs[f], msg)
	}
	for f, m := range msgs {
		setError(f.err, strings.Join(m, "\n"))
	}
	if len(top) > 0 || len(msgs) > 0 {
		summary := fs.u.T("form.fix", "n", len(ve.Fields))
		if len(top) > 0 {
			summary += "\n" + strings.Join(top, "\n")
		}
		setError(fs.top, summary)
	}
	return true
}

// localError adds a message the form found itself (a date it cannot read)
// before asking the core.
func (fs *fieldSet) localError(name, msg string) {
	if f, ok := fs.fields[name]; ok {
		setError(f.err, msg)
	}
}

// codeSelect is a Select over a coded list, showing names in the
// interface language and giving back codes. It extends widget.Select (the
// Select is embedded by value and ExtendBaseWidget is given the wrapper),
// so the object on screen is the one Fyne asks for its canvas, position
// and renderer: a Select embedded by pointer and shown through a wrapper
// gets no canvas in a real window (its pop-up crashes) and redraws a
// renderer nobody shows.
type codeSelect struct {
	widget.Select
	codes []string
	names []string
}

func (u *UI) newCodeSelect(codes, names []string, anyLabel string, changed func(code string)) *codeSelect {
	cs := &codeSelect{}
	cs.ExtendBaseWidget(cs)
	if anyLabel != "" {
		codes = append([]string{""}, codes...)
		names = append([]string{anyLabel}, names...)
	}
	cs.codes, cs.names = codes, names
	cs.Options = names
	cs.PlaceHolder = u.T("form.choose")
	if anyLabel != "" {
		// Never shown (something is always chosen), and its width would
		// widen a row of filters.
		cs.PlaceHolder = " "
		cs.SetSelectedIndex(0)
	}
	// Wired after the first selection: building a form is not a change.
	cs.OnChanged = func(string) {
		u.touch()
		if changed != nil {
			changed(cs.Code())
		}
	}
	return cs
}

func (u *UI) termSelect(list refdata.List, anyLabel string, changed func(string)) *codeSelect {
	var codes, names []string
	for _, t := range u.catalog().Terms(list) {
		codes = append(codes, t.Code)
		names = append(names, t.Names.In(u.Lang()))
	}
	return u.newCodeSelect(codes, names, anyLabel, changed)
}

// Code is the selected code ("" for none or "any").
func (c *codeSelect) Code() string {
	i := c.SelectedIndex()
	if i < 0 || i >= len(c.codes) {
		return ""
	}
	return c.codes[i]
}

// SetCode selects code; an unknown code clears the selection.
func (c *codeSelect) SetCode(code string) {
	for i, k := range c.codes {
		if k == code {
			c.SetSelectedIndex(i)
			return
		}
	}
	c.ClearSelected()
}

// setOptions replaces the choices, keeping the selected code if it remains.
func (c *codeSelect) setOptions(codes, names []string, anyLabel string) {
	cur := c.Code()
	// Replacing the choices is not a choice of the person: no callback.
	cb := c.OnChanged
	c.OnChanged = nil
	defer func() { c.OnChanged = cb }()
	if anyLabel != "" {
		codes = append([]string{""}, codes...)
		names = append([]string{anyLabel}, names...)
	}
	c.codes, c.names = codes, names
	c.Options = names
	c.SetCode(cur)
	if c.SelectedIndex() < 0 && anyLabel != "" {
		c.SetSelectedIndex(0)
	}
	c.Refresh()
}

// columns lays out a list row: fixed widths, the column marked flexible
// takes what is left.
type columns struct {
	widths []float32 // 0: flexible
}

// width is column i's width now (0: flexible): widths are given for 14-pt
// text and grow with the text size.
func (c columns) width(i int) float32 {
	if i < len(c.widths) && c.widths[i] > 0 {
		return c.widths[i] * theme.TextSize() / 14
	}
	return 0
}

func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	fixed, flex := float32(0), 0
	for i := range objs {
		if w := c.width(i); w > 0 {
			fixed += w
		} else {
			flex++
		}
	}
	pad := theme.Padding()
	rest := size.Width - fixed - pad*float32(len(objs)-1)
	x := float32(0)
	for i, o := range objs {
		w := rest / float32(max(flex, 1))
		if fw := c.width(i); fw > 0 {
			w = fw
		}
		if w < 0 {
			w = 0
		}
		h := c.height(o, w)
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos(x, (size.Height-h)/2))
		x += w + pad
	}
}

// height is what o needs at width w: a wrapping label (a column's title)
// takes as many lines as its words need, other objects their minimum.
func (c columns) height(o fyne.CanvasObject, w float32) float32 {
	l, ok := o.(*widget.Label)
	if !ok || l.Wrapping == fyne.TextWrapOff || w <= 0 {
		return o.MinSize().Height
	}
	inner := theme.InnerPadding()
	m := fyne.MeasureText(l.Text, theme.TextSize(), l.TextStyle)
	lines := float32(1)
	if avail := w - 2*inner; avail > 0 && m.Width > avail {
		lines = min(3, float32(int(m.Width/avail))+1)
	}
	return lines*m.Height + 2*inner
}

func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for i, o := range objs {
		w := c.width(i)
		if w == 0 {
			w = 10000 // a flexible column is wide: one line
		}
		h = max(h, c.height(o, w))
	}
	return fyne.NewSize(100, h)
}

// textWidth is the width a one-line label needs for the widest of texts,
// in 14-pt units as columns takes them.
func textWidth(style fyne.TextStyle, texts ...string) float32 {
	w := float32(0)
	for _, t := range texts {
		w = max(w, fyne.MeasureText(t, theme.TextSize(), style).Width)
	}
	return (w + 2*theme.InnerPadding() + 2) * 14 / theme.TextSize()
}

// columnTitle is a list column's title: bold, on two lines if it must,
// never cut.
func columnTitle(text string) *widget.Label {
	l := strong(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// card is a titled panel.
func card(title string, content fyne.CanvasObject) fyne.CanvasObject {
	return widget.NewCard("", "", container.NewVBox(heading(title), content))
}

func short(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func itoa(n int) string { return fmt.Sprint(n) }

// Rows of counts: a name that takes the room left, then numbers.
var (
	countColumns = columns{widths: []float32{0, 90, 100, 165, 90}}
	entryColumns = columns{widths: []float32{0, 110, 110, 140}}
)

// unreadableBanner says which fields of a record could not be read (a value
// of the wrong type, from a laptop with a bug or a newer version), by their
// names on the form where there is one.
func (u *UI) unreadableBanner(fields []string) *widget.Label {
	names := make([]string, len(fields))
	for i, f := range fields {
		top, _, _ := strings.Cut(f, changeset.ItemSep) // a collection item: its collection
		names[i] = f
		if key := "field." + top; u.tr.Has(key) {
			names[i] = u.T(key)
		}
	}
	w := bold(u.T("record.unreadable", "fields", strings.Join(names, ", ")))
	w.Importance = widget.WarningImportance
	w.Wrapping = fyne.TextWrapWord
	return w
}

// fileDialogPlaces are the names Fyne's file dialog gives its places
// without passing them through its translations (Fyne 2.7 writes "Home",
// "Computer", "Documents" … as they are); our translation files carry them.
var fileDialogPlaces = []string{"Home", "Computer", "Desktop", "Documents", "Downloads", "Music", "Pictures", "Videos", "App Files"}

// translateFileDialog names the places of the file dialog just shown in
// the interface language: its list of places is a widget.List whose rows
// (an icon and a label) it fills itself, so each row's label is put into
// words again after Fyne fills it.
func (u *UI) translateFileDialog() {
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		return
	}
	names := map[string]string{}
	for _, p := range fileDialogPlaces {
		if u.tr.Has(p) {
			names[p] = u.T(p)
		}
	}
	var visit func(o fyne.CanvasObject)
	visit = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.List:
			update := x.UpdateItem
			x.UpdateItem = func(id widget.ListItemID, item fyne.CanvasObject) {
				update(id, item)
				if row, ok := item.(*fyne.Container); ok {
					for _, c := range row.Objects {
						if l, ok := c.(*widget.Label); ok {
							if t, ok := names[l.Text]; ok {
								l.SetText(t)
							}
						}
					}
				}
			}
			x.Refresh()
		case *fyne.Container:
			for _, c := range x.Objects {
				visit(c)
			}
		default:
			v := reflect.ValueOf(o)
			if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
				for _, name := range []string{"Content", "Leading", "Trailing"} {
					if c, ok := exported(v, name).(fyne.CanvasObject); ok && c != nil {
						visit(c)
					}
				}
			}
		}
	}
	visit(top)
}

// fixedWidth lays its objects over each other at one width, whatever
// their texts need (longer ones are cut by their own truncation).
type fixedWidth struct{ w float32 }

func (f fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(f.w, h)
}

// shrink lets a control be narrower than its widest text (a drop-down is
// as wide as its longest option; its shown choice is cut with an ellipsis
// instead), so a row of them and a two-column form fit a laptop screen at
// larger text sizes. w is in 14-pt units.
type shrink struct{ w float32 }

func (s shrink) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

func (s shrink) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return fyne.NewSize(min(m.Width, s.w*theme.TextSize()/14), m.Height)
}

// narrow wraps a drop-down so that it may be narrower than its options.
func narrow(o fyne.CanvasObject, w float32) fyne.CanvasObject {
	return container.New(shrink{w}, o)
}
