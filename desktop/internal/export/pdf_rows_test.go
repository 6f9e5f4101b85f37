package export

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// A table longer than a page goes on on the next under its heads again
// (read back with poppler's pdftotext, page by page): the rows there are
// not numbers under nothing.
func TestPDFTableHeadsOnEveryPage(t *testing.T) {
	d := &pdfReport{orientation: "P"}
	pdf := d.begin()
	pdf.AddPage()
	var rows []reports.Row
	for i := range 120 {
		rows = append(rows, reports.Row{Label: fmt.Sprintf("Кеңеш %d", i+1), Cells: []reports.Cell{{Text: "7"}, {Text: "12"}}})
	}
	d.table(&reports.Section{Title: "Кеңештер боюнча", Columns: []string{"Иш-чаралар", "Кайрылуулар"}, Rows: rows}, 0)
	if pdf.PageCount() < 3 {
		t.Fatalf("120 rows on %d pages: the test wants a table over three", pdf.PageCount())
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "table.pdf")
	if err := os.WriteFile(in, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatalf("pdftotext not found: install poppler-utils (.ci/ensure-deps does): %v", err)
	}
	for p := 1; p <= pdf.PageCount(); p++ {
		out, err := exec.Command(tool, "-enc", "UTF-8", "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), in, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext: %v\n%s", err, out)
		}
		if text := string(out); !strings.Contains(text, "Иш-чаралар") || !strings.Contains(text, "Кайрылуулар") {
			t.Errorf("page %d has no heads:\n%s", p, text)
		}
	}
}
