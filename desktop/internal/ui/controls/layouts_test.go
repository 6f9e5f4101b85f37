package controls

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// A row whose flexible first column holds a long name that wraps at the
// width the row gets must be as tall as the name's lines: the rows of an
// event's participants (a group named in 40 letters, at 1366 px in
// Kyrgyz) spilled over the rows above and below.
func TestColumnsRowAsTallAsItsWrappedName(t *testing.T) {
	test.NewTempApp(t)
	cols := Columns{Widths: []float32{0, 110, 110}}
	row := func(name string) *fyne.Container {
		l := widget.NewLabel(name)
		l.Wrapping = fyne.TextWrapWord
		return container.New(cols, l, widget.NewLabel("9"), widget.NewLabel("16"))
	}
	long := row("Мамлекеттик жана муниципалдык кызматкерлер")
	short := row("Журналисттер")
	table := container.NewVBox(row("Жарандык коом"), long, short)
	w := test.NewTempWindow(t, table)
	w.Resize(fyne.NewSize(420, 400))
	// Fyne lays a window out again on every change; twice is what the
	// first drawing does.
	for range 2 {
		table.Resize(fyne.NewSize(420, table.MinSize().Height))
	}
	name := long.Objects[0]
	if lines := name.Size().Height / short.Objects[0].Size().Height; lines < 1.5 {
		t.Fatalf("the long name is %.0f px tall at %.0f px wide: it does not wrap here, the test proves nothing", name.Size().Height, name.Size().Width)
	}
	if long.Size().Height+0.5 < name.Size().Height {
		t.Fatalf("the row is %.0f px tall, its name %.0f px: the name spills over its neighbours", long.Size().Height, name.Size().Height)
	}
	if short.Position().Y+0.5 < long.Position().Y+long.Size().Height {
		t.Fatalf("the next row starts at %.0f, inside the long one (%.0f to %.0f)", short.Position().Y, long.Position().Y, long.Position().Y+long.Size().Height)
	}
}
