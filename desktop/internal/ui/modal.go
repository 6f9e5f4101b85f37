package ui

import (
	"errors"

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
	cancel  *widget.Button
	bar     *widget.ProgressBarInfinite // moves while background work runs
	content fyne.CanvasObject
	run     func() // what OK does
	busy    bool   // background work runs; OK and Cancel wait for it
	size    fyne.Size
	canvas  fyne.Size // the window's, when the modal was shown
}

// fit grows the dialog when what it shows outgrew it: the errors shown
// after a failed OK add lines above the buttons, and a dialog kept at its
// first size drew its last lines over them (a conflict's merge dialog,
// seen in a real window).
func (m *modal) fit() {
	want := m.d.MinSize()
	if want.Height+20 <= m.size.Height && want.Width <= m.size.Width {
		return
	}
	m.size = fyne.NewSize(min(max(m.size.Width, want.Width), m.canvas.Width-40), min(max(m.size.Height, want.Height+20), m.canvas.Height-40))
	m.d.Resize(m.size)
}

// errPending is what a modal's ok returns after handing its work to
// modal.background: the modal stays as it is until the work is done.
var errPending = errors.New("ui: the modal's work is still running")

// background runs work off the UI goroutine, for an OK whose work takes
// long: storing a large file (a trainer's video, a competition entry's
// scan) cuts, hashes and encrypts every byte, and on the UI goroutine
// that froze the window for seconds. While it runs the modal's buttons
// are disabled (a second OK would store the file twice; Cancel could not
// undo what is being saved) and a bar moves; then finish, on the UI
// goroutine, ends it as ok would: nil closes the modal, an error is shown
// beside the fields with everything typed kept. It returns errPending, for
// ok to return.
func (m *modal) background(u *UI, fs *fieldSet, work func() error, finish func(error) error) error {
	m.busy = true
	m.ok.Disable()
	m.cancel.Disable()
	fs.clear()
	m.bar.Show()
	m.bar.Start()
	var err error
	u.async(func() { err = work() }, func() {
		m.busy = false
		m.bar.Stop()
		m.bar.Hide()
		m.ok.Enable()
		m.cancel.Enable()
		if err := finish(err); err != nil {
			fs.show(err)
			m.fit()
			return
		}
		m.d.Hide()
	})
	return errPending
}

func (u *UI) showModal(title string, fs *fieldSet, content fyne.CanvasObject, okLabel string, ok func() error) *modal {
	m := &modal{content: content, bar: widget.NewProgressBarInfinite()}
	m.bar.Stop()
	m.bar.Hide()
	run := func() {
		if m.busy {
			return // Enter in a field while the work runs
		}
		u.touch()
		if err := ok(); err != nil {
			if !errors.Is(err, errPending) {
				fs.show(err)
			}
			m.fit() // errors shown by fs.show or by ok itself (localError)
			return
		}
		m.d.Hide()
	}
	m.ok = u.primary(okLabel, theme.ConfirmIcon(), run)
	m.cancel = u.button(u.T("action.cancel"), theme.CancelIcon(), func() { m.d.Hide() })
	body := container.NewBorder(nil, container.NewVBox(fs.top, m.bar, container.NewHBox(layout.NewSpacer(), m.cancel, m.ok)), nil, nil, content)
	m.d = dialog.NewCustomWithoutButtons(title, body, u.win)
	size := m.d.MinSize()
	canvas := u.win.Canvas().Size()
	w := min(max(size.Width, 680*theme.TextSize()/14), canvas.Width-40)
	h := min(size.Height+20, canvas.Height-40)
	if _, scrolls := content.(*container.Scroll); scrolls {
		// A scrolling body has no height of its own: give it the room.
		h = canvas.Height * 0.88
	}
	m.size, m.canvas = fyne.NewSize(w, h), canvas
	m.d.Resize(m.size)
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
