package controls

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Rows edits a list of small items (speakers, follow-up actions): one row
// of cells each, with add and remove.
type Rows struct {
	Rows  []*Row
	Box   *fyne.Container
	cols  int
	cell  func(col int) fyne.CanvasObject
	list  *fyne.Container
	touch func()
}

// Row is one item.
type Row struct {
	ID    string // kept for an item that exists, so an edit changes it in place
	Cells []fyne.CanvasObject
	// Keep holds what the item has that no cell shows, carried through edits.
	Keep map[string]string
	box  *fyne.Container
}

// Text is what cell i holds if it is an Entry, "" otherwise.
func (r *Row) Text(i int) string {
	if e, ok := r.Cells[i].(*Entry); ok {
		return e.Text
	}
	return ""
}

// NewRows makes an editor whose rows have a cell per heading, each made by
// cell (nil: an Entry), and a button addLabel that adds a row and gives
// its first cell to focus.
func NewRows(headings []string, addLabel string, cell func(col int) fyne.CanvasObject, touch func(), focus func(fyne.Focusable)) *Rows {
	if touch == nil {
		touch = func() {}
	}
	ed := &Rows{cols: len(headings), cell: cell, touch: touch}
	if ed.cell == nil {
		ed.cell = func(int) fyne.CanvasObject { return NewEntry(touch) }
	}
	hdr := container.NewGridWithColumns(len(headings))
	for _, h := range headings {
		l := widget.NewLabelWithStyle(h, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Truncation = fyne.TextTruncateEllipsis
		hdr.Add(l)
	}
	ed.list = container.NewVBox()
	add := widget.NewButtonWithIcon(addLabel, theme.ContentAddIcon(), func() {
		touch()
		r := ed.AddRow("")
		if e, ok := r.Cells[0].(*Entry); ok && focus != nil {
			focus(e)
		}
	})
	ed.Box = container.NewVBox(container.NewBorder(nil, nil, nil, widget.NewIcon(nil), hdr), ed.list, container.NewHBox(add))
	return ed
}

// AddRow adds a row for the item id ("" for a new one), its first cells
// filled with texts.
func (ed *Rows) AddRow(id string, texts ...string) *Row {
	r := &Row{ID: id, Keep: map[string]string{}}
	grid := container.NewGridWithColumns(ed.cols)
	for i := range ed.cols {
		c := ed.cell(i)
		if e, ok := c.(*Entry); ok && i < len(texts) {
			e.SetText(texts[i])
		}
		r.Cells = append(r.Cells, c)
		grid.Add(c)
	}
	remove := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
		ed.touch()
		ed.remove(r)
	})
	r.box = container.NewBorder(nil, nil, nil, remove, grid)
	ed.Rows = append(ed.Rows, r)
	ed.list.Add(r.box)
	return r
}

func (ed *Rows) remove(r *Row) {
	for i, x := range ed.Rows {
		if x == r {
			ed.Rows = append(ed.Rows[:i], ed.Rows[i+1:]...)
			break
		}
	}
	ed.list.Remove(r.box)
}

// Clear removes every row.
func (ed *Rows) Clear() {
	for _, r := range ed.Rows {
		ed.list.Remove(r.box)
	}
	ed.Rows = nil
}
