package controls

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ActivityCatcher lies under the whole window and sees the mouse move over
// anything that does not handle hovering itself: activity for the idle lock.
type ActivityCatcher struct {
	widget.BaseWidget
	touch func()
}

func NewActivityCatcher(touch func()) *ActivityCatcher {
	a := &ActivityCatcher{touch: touch}
	a.ExtendBaseWidget(a)
	return a
}

func (a *ActivityCatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(theme.Color(theme.ColorNameBackground)))
}
func (a *ActivityCatcher) MouseIn(*desktop.MouseEvent)    { a.touch() }
func (a *ActivityCatcher) MouseMoved(*desktop.MouseEvent) { a.touch() }
func (a *ActivityCatcher) MouseOut()                      {}

// Link is a one-line text that does something when tapped; unlike a
// button it shortens itself to fit.
type Link struct {
	widget.Label
	tapped func()
}

func NewLink(text string, tapped func()) *Link {
	l := &Link{tapped: tapped}
	l.ExtendBaseWidget(l)
	l.Text = text
	l.Truncation = fyne.TextTruncateEllipsis
	l.Importance = widget.HighImportance
	return l
}

func (l *Link) Tapped(*fyne.PointEvent) { l.tapped() }
func (l *Link) Cursor() desktop.Cursor  { return desktop.PointerCursor }
