package ui

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

func (u *UI) newEntry() *controls.Entry { return controls.NewEntry(u.touch) }

func (u *UI) newMultiEntry(rows int) *controls.Entry { return controls.NewMultiEntry(u.touch, rows) }

func (u *UI) newPasswordEntry() *controls.Entry { return controls.NewPasswordEntry(u.touch) }

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

// newLink is a one-line text that opens something when tapped.
func (u *UI) newLink(text string, tapped func()) *controls.Link {
	return controls.NewLink(text, func() { u.touch(); tapped() })
}

// newMultiCheck ticks codes named names in cols columns, fewer when long
// names at a large text size would make a form wider than a 1366-pixel
// laptop screen less the navigation.
func (u *UI) newMultiCheck(codes, names []string, cols int) *controls.MultiCheck {
	return controls.NewMultiCheck(codes, names, cols, 1366-320*theme.TextSize()/14, u.touch)
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
	if _, ok := obj.(*controls.CodeSelect); ok {
		shown = controls.Narrow(obj, 220)
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
	// message, when set, says a kind's own words for a fault (ok false:
	// the general ones, fieldMessage).
	message func(fe domain.FieldError) (string, bool)
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

// remove forgets the field named name (a list's row taken off a form).
func (fs *fieldSet) remove(name string) {
	f := fs.fields[name]
	delete(fs.fields, name)
	fs.order = slices.DeleteFunc(fs.order, func(x *field) bool { return x == f })
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
		m := fs.u.fieldMessage(fe)
		if fs.message != nil {
			if own, ok := fs.message(fe); ok {
				m = own
			}
		}
		msg := prefix + m
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

// newCodeSelect offers names for codes (see controls.NewCodeSelect); with
// nothing chosen it says "choose".
func (u *UI) newCodeSelect(codes, names []string, anyLabel string, changed func(code string)) *controls.CodeSelect {
	return controls.NewCodeSelect(codes, names, anyLabel, u.T("form.choose"), u.touch, changed)
}

func (u *UI) termSelect(list refdata.List, anyLabel string, changed func(string)) *controls.CodeSelect {
	var codes, names []string
	for _, t := range u.catalog().Terms(list) {
		codes = append(codes, t.Code)
		names = append(names, t.Names.In(u.Lang()))
	}
	return u.newCodeSelect(codes, names, anyLabel, changed)
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
	countColumns = controls.Columns{Widths: []float32{0, 90, 100, 165, 90}}
	entryColumns = controls.Columns{Widths: []float32{0, 110, 110, 140}}
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

// pickFile shows Fyne's file dialog, opened at the home folder, as large
// as the window allows and with its places in the interface language,
// and calls chosen with the path of the file picked; nothing when the
// person cancels. Only files whose names end in one of exts are listed
// when exts are given (".xlsx"). A dialog that cannot read the file says
// why.
func (u *UI) pickFile(chosen func(path string), exts ...string) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			u.showError(err)
			return
		}
		if r == nil {
			return // cancelled
		}
		path := r.URI().Path()
		r.Close()
		chosen(path)
	}, u.win)
	if len(exts) > 0 {
		d.SetFilter(storage.NewExtensionFileFilter(exts))
	}
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Resize(u.win.Canvas().Size().Subtract(fyne.NewSize(80, 80)))
	d.Show()
	u.translateFileDialog() // the dialog shown: it is the top overlay
}

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

// columnTitle is a list column's title: bold, on two lines if it must,
// never cut.
func columnTitle(text string) *widget.Label {
	l := strong(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}
