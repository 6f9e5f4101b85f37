package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
)

// modal is a small form in a dialog that stays open, with everything typed,
// when saving fails: the errors show beside the fields of fs.
type modal struct {
	d       *dialog.CustomDialog
	ok      *widget.Button
	content fyne.CanvasObject
	run     func() // what OK does
}

func (u *UI) showModal(title string, fs *fieldSet, content fyne.CanvasObject, okLabel string, ok func() error) *modal {
	m := &modal{content: content}
	run := func() {
		u.touch()
		if err := ok(); err != nil {
			fs.show(err)
			return
		}
		m.d.Hide()
	}
	m.ok = u.primary(okLabel, theme.ConfirmIcon(), run)
	cancel := u.button(u.T("action.cancel"), theme.CancelIcon(), func() { m.d.Hide() })
	body := container.NewBorder(nil, container.NewVBox(fs.top, container.NewHBox(layout.NewSpacer(), cancel, m.ok)), nil, nil, content)
	m.d = dialog.NewCustomWithoutButtons(title, body, u.win)
	size := m.d.MinSize()
	canvas := u.win.Canvas().Size()
	w := min(max(size.Width, 680*theme.TextSize()/14), canvas.Width-40)
	h := min(size.Height+20, canvas.Height-40)
	if _, scrolls := content.(*container.Scroll); scrolls {
		// A scrolling body has no height of its own: give it the room.
		h = canvas.Height * 0.88
	}
	m.d.Resize(fyne.NewSize(w, h))
	// Enter confirms from a one-line field (Shift+Enter from a text of
	// several lines, where Enter starts a new line), and the first field
	// has the focus: a step is a click, a word and Enter.
	var first *controls.Entry
	for _, f := range fs.order {
		if e, ok := f.obj.(*controls.Entry); ok {
			e.OnSubmitted = func(string) { run() }
			if first == nil && !e.Disabled() {
				first = e
			}
		}
	}
	m.run = run
	m.d.SetOnClosed(func() {
		if u.lastModal == m {
			u.lastModal = nil
		}
	})
	m.d.Show()
	u.lastModal = m
	if first != nil {
		u.win.Canvas().Focus(first)
	}
	return m
}
