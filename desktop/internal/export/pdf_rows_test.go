package export

import (
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/reports"
)

// A table's row is as tall as its label's lines as drawn: a label that
// fits on one line at the width its cell draws it is one line high, not
// two with a gap under it, and a head that fits on one line makes a head
// band of one line. The label is grown word by word to the longest that
// the cell still draws on one line (the cases the old split, 2 mm
// narrower than the cell, counted as two).
func TestPDFRowAsTallAsItsLabel(t *testing.T) {
	d := &pdfReport{orientation: "P"}
	pdf := d.begin()
	pdf.AddPage()
	lw := d.width * labelShare // the labels' width of a table of one column
	// The longest text + " ө…ө" drawn on one line at width w, which
	// the old split, 2 mm narrower, made two.
	longest := func(text string, w float64) string {
		t.Helper()
		long := ""
		for n := 1; n < 200; n++ {
			next := text + " " + strings.Repeat("ө", n)
			if len(pdf.SplitText(next, w)) > 1 {
				break
			}
			long = next
		}
		if len(pdf.SplitText(long, w)) != 1 || len(pdf.SplitText(long, w-2)) != 2 {
			t.Fatalf("%q: not drawn on one line, or not split 2 mm narrower", long)
		}
		return long
	}
	pdf.SetFont(pdfFont, "", 8.5)
	long := longest("Базар-Коргон району коомдук кеңеши", lw)
	pdf.SetFont(pdfFont, "B", 8.5)
	head := longest("Иш", 28) // a column's width beside the labels
	height := func(label, head string) float64 {
		y := pdf.GetY()
		d.table(&reports.Section{Title: "Кеңештер боюнча", Columns: []string{head},
			Rows: []reports.Row{{Label: label, Cells: []reports.Cell{{Text: "12"}}}}}, 0)
		return pdf.GetY() - y
	}
	short := height("Ат-Башы", "Саны")
	if got := height(long, "Саны"); got != short {
		t.Errorf("a row whose label is drawn on one line (%q) is %.1f mm tall, a short label's %.1f", long, got, short)
	}
	if got := height("Ат-Башы", head); got != short {
		t.Errorf("a head drawn on one line (%q) makes a table %.1f mm tall, want %.1f", head, got, short)
	}
}
