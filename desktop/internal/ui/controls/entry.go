package controls

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Entry is an Entry that reports typing (to the idle lock and the draft).
type Entry struct {
	widget.Entry
	touch func()
}

// NewEntry is a one-line entry; touch is called on every key.
func NewEntry(touch func()) *Entry {
	if touch == nil {
		touch = func() {}
	}
	e := &Entry{touch: touch}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrapOff
	return e
}

// NewMultiEntry is an entry of several lines, rows of them shown.
func NewMultiEntry(touch func(), rows int) *Entry {
	e := NewEntry(touch)
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(rows)
	return e
}

// NewPasswordEntry hides what is typed.
func NewPasswordEntry(touch func()) *Entry {
	e := NewEntry(touch)
	e.Password = true
	return e
}

func (e *Entry) TypedRune(r rune) {
	e.touch()
	e.Entry.TypedRune(r)
}

func (e *Entry) TypedKey(k *fyne.KeyEvent) {
	e.touch()
	e.Entry.TypedKey(k)
}
