package controls

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Columns lays out a list row: fixed widths, the columns marked flexible
// share what is left.
type Columns struct {
	Widths []float32 // in 14-pt units; 0: flexible
}

// width is column i's width now (0: flexible): widths are given for 14-pt
// text and grow with the text size.
func (c Columns) width(i int) float32 {
	if i < len(c.Widths) && c.Widths[i] > 0 {
		return c.Widths[i] * theme.TextSize() / 14
	}
	return 0
}

func (c Columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
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
func (c Columns) height(o fyne.CanvasObject, w float32) float32 {
	l, ok := o.(*widget.Label)
	if !ok || l.Wrapping == fyne.TextWrapOff || w <= 0 {
		return o.MinSize().Height
	}
	if d := l.Size().Width - w; d > -0.5 && d < 0.5 {
		// Laid out at this width already: the label knows how tall its
		// lines are there (its line spacing included).
		return l.MinSize().Height
	}
	inner := theme.InnerPadding()
	m := fyne.MeasureText(l.Text, theme.TextSize(), l.TextStyle)
	lines := float32(1)
	if avail := w - 2*inner; avail > 0 && m.Width > avail {
		lines = min(3, float32(int(m.Width/avail))+1)
	}
	return lines*m.Height + 2*inner
}

func (c Columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for i, o := range objs {
		w := c.width(i)
		if w == 0 {
			// A flexible column is as wide as it was laid out last (a
			// long group name wraps there, and the row must be as tall
			// as its lines, or they spill over the rows above and
			// below); before its first layout, wide: one line.
			w = o.Size().Width
			if w <= 0 {
				w = 10000
			}
		}
		h = max(h, c.height(o, w))
	}
	return fyne.NewSize(100, h)
}

// TextWidth is the width a one-line label needs for the widest of texts,
// in 14-pt units as Columns takes them.
func TextWidth(style fyne.TextStyle, texts ...string) float32 {
	w := float32(0)
	for _, t := range texts {
		w = max(w, fyne.MeasureText(t, theme.TextSize(), style).Width)
	}
	return (w + 2*theme.InnerPadding() + 2) * 14 / theme.TextSize()
}

// Pairs is a two-column grid of labels and values: the labels as wide as
// the widest (at most 40 % of the width), the values wrap.
type Pairs struct{}

func (Pairs) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	lw := float32(0)
	for i := 0; i < len(objs); i += 2 {
		lw = max(lw, objs[i].MinSize().Width)
	}
	lw = min(lw, size.Width*0.4)
	pad := theme.Padding()
	y := float32(0)
	for i := 0; i+1 < len(objs); i += 2 {
		vw := size.Width - lw - pad
		objs[i+1].Resize(fyne.NewSize(vw, objs[i+1].MinSize().Height))
		h := max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
		objs[i].Resize(fyne.NewSize(lw, objs[i].MinSize().Height))
		objs[i].Move(fyne.NewPos(0, y))
		objs[i+1].Move(fyne.NewPos(lw+pad, y))
		y += h
	}
}

func (Pairs) MinSize(objs []fyne.CanvasObject) fyne.Size {
	lw, vw, h := float32(0), float32(0), float32(0)
	for i := 0; i+1 < len(objs); i += 2 {
		lw = max(lw, objs[i].MinSize().Width)
		vw = max(vw, min(objs[i+1].MinSize().Width, 200))
		h += max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
	}
	return fyne.NewSize(min(lw, 260)+vw, h)
}

// FixedWidth lays its objects over each other at one width, whatever
// their texts need (longer ones are cut by their own truncation).
type FixedWidth struct{ W float32 }

func (f FixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

func (f FixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(f.W, h)
}

// shrink lets a control be narrower than its widest text (a drop-down is
// as wide as its longest option; its shown choice is cut with an ellipsis
// instead). w is in 14-pt units.
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

// Narrow wraps o (a drop-down, a search field) so that it may be narrower
// than its options, at most w wide in 14-pt units, so a row of them and a
// two-column form fit a laptop screen at larger text sizes.
func Narrow(o fyne.CanvasObject, w float32) fyne.CanvasObject {
	return container.New(shrink{w}, o)
}
