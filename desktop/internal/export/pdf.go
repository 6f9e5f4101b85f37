package export

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot/vg"

	"github.com/kenesh/kenesh/assets"
	"github.com/kenesh/kenesh/desktop/internal/charts"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/reports"
)

// Page layout of the PDF report, in millimetres (A4 is 210 × 297).
const (
	pdfMargin  = 18.0
	pdfBottom  = 18.0
	pdfFont    = "DejaVu"
	pdfLineH   = 5.0
	chartW     = 174.0 // the width between the margins
	chartH     = 92.0
	chartDPI   = 150
	labelShare = 0.42 // of a table's width, for its labels
)

// writePDF prints the report of o.Filter: a title page with what it was
// computed from, the programme's indicators and the figures, the charts,
// and the figures side by side per oblast, per council and per month.
// Charts are drawn by package charts and embedded as PNG; the fonts are
// embedded (DejaVu Sans, subset), so ң ө ү print anywhere.
func writePDF(ctx context.Context, svc *records.Service, w io.Writer, o Options, words reports.Words, res *Result) error {
	r, groups, err := figures(ctx, svc, o.Filter, words, reports.ByOblast, reports.ByCouncil, reports.ByMonth)
	if err != nil {
		return err
	}
	byOblast, byMonth := o.Filter, o.Filter
	byOblast.By, byMonth.By = reports.ByOblast, reports.ByMonth
	ro, err := reports.Make(ctx, svc, byOblast)
	if err != nil {
		return err
	}
	rm, err := reports.Make(ctx, svc, byMonth)
	if err != nil {
		return err
	}
	var pngs []chartImage
	for _, c := range charts.ForReport(r, ro, rm, words) {
		title := c.Title
		c.Title = "" // printed as text above it
		b, err := c.PNG(vg.Length(chartW)*vg.Millimeter, vg.Length(chartH)*vg.Millimeter, chartDPI)
		if err != nil {
			return err
		}
		pngs = append(pngs, chartImage{title: title, png: b})
	}
	res.Report = r
	res.Point = r.Point
	res.Records = r.Summary.Appeals.Total + r.Summary.Events.Total
	res.ByKind["appeal"], res.ByKind["event"] = r.Summary.Appeals.Total, r.Summary.Events.Total
	// Printed twice: the first time to count the pages, so that every
	// footer says "of N".
	doc := &pdfReport{r: r, words: words, groups: groups, charts: pngs}
	first, err := doc.typeset(0)
	if err != nil {
		return err
	}
	pdf, err := doc.typeset(first.PageCount())
	if err != nil {
		return err
	}
	return pdf.Output(w)
}

type pdfReport struct {
	r      *reports.Report
	words  reports.Words
	groups []*reports.Section
	charts []chartImage

	pdf    *fpdf.Fpdf
	width  float64
	bottom float64
	// orientation is that of the pages being printed ("P", or "L" for
	// the tables side by side): a table that breaks to a new page goes on
	// on one like it (fpdf's AddPage makes a portrait one).
	orientation string
}

func (d *pdfReport) typeset(total int) (*fpdf.Fpdf, error) {
	tr := d.words.Tr
	pdf := d.begin()
	head := d.r.Heading(d.words, programmeName(tr.Lang))
	pdf.SetTitle(head.Title, true)
	pdf.SetCreator("Kenesh", false)
	pdf.SetLang(tr.Lang)
	// The report's own time, so that the same report printed twice is
	// the same file.
	pdf.SetCreationDate(d.r.MadeAt)
	pdf.SetModificationDate(d.r.MadeAt)
	pdf.SetCatalogSort(true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-pdfBottom + 6)
		pdf.SetFont(pdfFont, "", 7.5)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 4, pdfText(head.Title+" · "+d.r.Period(d.words)+" · "+tr.T("person.doc.page", "n", pdf.PageNo(), "total", total)), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})

	// The title page: what the report is and what it was computed from.
	pdf.AddPage()
	pdf.SetFont(pdfFont, "B", 18)
	pdf.MultiCell(0, 8, pdfText(head.Title), "", "L", false)
	pdf.Ln(2)
	pdf.SetFont(pdfFont, "", 12)
	pdf.MultiCell(0, 6, pdfText(d.r.Period(d.words)+" · "+d.r.ScopeText(d.words)), "", "L", false)
	pdf.Ln(4)
	lines := make([][2]string, len(head.Lines))
	for i, l := range head.Lines {
		lines[i] = [2]string{l.Label, l.Value}
	}
	d.pairs(lines)
	pdf.Ln(2)
	pdf.SetFont(pdfFont, "", 8)
	pdf.SetTextColor(90, 90, 90)
	pdf.MultiCell(0, 4, pdfText(tr.T("report.pdf.reproducible")), "", "L", false)
	pdf.SetTextColor(0, 0, 0)

	// The figures.
	for i, s := range d.r.Sections(d.words, "") {
		if i == 0 {
			pdf.Ln(4)
		}
		d.table(&s, 0)
	}
	// The charts, two to a page, each under its title in text (which
	// a reader and a search find).
	for i, c := range d.charts {
		if i%2 == 0 {
			pdf.AddPage()
		} else {
			pdf.Ln(6)
		}
		pdf.SetFont(pdfFont, "B", 11)
		pdf.MultiCell(0, 6, pdfText(c.title), "", "L", false)
		name := fmt.Sprintf("chart%d", i)
		pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(c.png))
		pdf.ImageOptions(name, pdfMargin, pdf.GetY(), chartW, chartH, true, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	}
	// Side by side, per oblast, per council and per month, on landscape
	// pages: eight columns of figures need the width.
	for i, g := range d.groups {
		if i == 0 {
			d.orientation = "L"
			pdf.AddPageFormat(d.orientation, pdf.GetPageSizeStr("A4"))
			w, h := pdf.GetPageSize()
			d.width, d.bottom = w-2*pdfMargin, h-pdfBottom
		}
		d.table(g, 0.22)
	}
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("printing the report: %w", err)
	}
	return pdf, nil
}

type chartImage struct {
	title string
	png   []byte
}

// begin makes the document: A4 portrait, the fonts, margins and the
// cells' own margin.
func (d *pdfReport) begin() *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	d.pdf, d.orientation = pdf, "P"
	pdf.AddUTF8FontFromBytes(pdfFont, "", assets.FontRegular)
	pdf.AddUTF8FontFromBytes(pdfFont, "B", assets.FontBold)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfBottom)
	pdf.SetCellMargin(1.2)
	pageW, pageH := pdf.GetPageSize()
	d.width, d.bottom = pageW-2*pdfMargin, pageH-pdfBottom
	return pdf
}

// ensure starts a new page unless h fits on this one, and says whether
// it did.
func (d *pdfReport) ensure(h float64) bool {
	if d.pdf.GetY()+h > d.bottom {
		d.pdf.AddPageFormat(d.orientation, d.pdf.GetPageSizeStr("A4"))
		return true
	}
	return false
}

// pairs prints labels and values in two columns.
func (d *pdfReport) pairs(lines [][2]string) {
	pdf := d.pdf
	lw := d.width * 0.36
	for _, l := range lines {
		pdf.SetFont(pdfFont, "", 9)
		values := pdf.SplitText(pdfText(l[1]), d.width-lw)
		d.ensure(float64(len(values)) * 4.6)
		y := pdf.GetY()
		pdf.SetFont(pdfFont, "B", 9)
		pdf.MultiCell(lw, 4.6, pdfText(l[0]), "", "L", false)
		yl := pdf.GetY()
		pdf.SetXY(pdfMargin+lw, y)
		pdf.SetFont(pdfFont, "", 9)
		pdf.MultiCell(d.width-lw, 4.6, pdfText(l[1]), "", "L", false)
		pdf.SetY(max(yl, pdf.GetY()) + 0.8)
	}
}

// table prints a section: its title, the heads of its columns and a line
// per row, numbers to the right; labelShare of the width for the labels
// (0: the default).
func (d *pdfReport) table(s *reports.Section, share float64) {
	pdf := d.pdf
	if share == 0 {
		share = labelShare
	}
	if len(s.Columns) > 2 && len(s.Columns) < 8 {
		share = min(share, 0.34)
	}
	lw := d.width * share
	cw := (d.width - lw) / float64(max(1, len(s.Columns)))
	if len(s.Columns) <= 2 {
		cw = min(cw, 28)
	}
	size, headSize := 8.5, 8.5
	if len(s.Columns) > 4 {
		size, headSize = 7.5, 6.8
	}
	if len(s.Columns) > 8 {
		// With the grants' two columns: narrower labels and heads, so
		// that no head's word is cut ("Катышуучул-ар").
		share, headSize = min(share, 0.16), 6.2
		lw = d.width * share
		cw = (d.width - lw) / float64(len(s.Columns))
	}
	// The title, the heads and two lines stay together.
	pdf.SetFont(pdfFont, "B", headSize)
	headH := pdfLineH
	for _, c := range s.Columns {
		// Split at the width the head's MultiCell has: SplitText takes
		// off the cells' margins itself, as MultiCell does (taking 2 mm
		// more off counted a head of one line as two).
		headH = max(headH, float64(len(pdf.SplitText(pdfText(c), cw)))*3.6+1)
	}
	d.ensure(7 + headH + 2*pdfLineH)
	pdf.Ln(2)
	pdf.SetFont(pdfFont, "B", 11)
	pdf.MultiCell(0, 6, pdfText(s.Title), "", "L", false)
	pdf.SetDrawColor(190, 190, 190)
	heads := func() {
		y := pdf.GetY()
		pdf.SetFillColor(232, 238, 244)
		pdf.Rect(pdfMargin, y, lw+cw*float64(len(s.Columns)), headH, "F")
		pdf.SetFont(pdfFont, "B", headSize)
		for i, c := range s.Columns {
			pdf.SetXY(pdfMargin+lw+cw*float64(i), y+0.5)
			pdf.MultiCell(cw, 3.6, pdfText(c), "", "R", false)
		}
		pdf.SetY(y + headH)
	}
	heads()
	for _, row := range s.Rows {
		font := func() {
			pdf.SetFont(pdfFont, "", size)
			if row.Total {
				pdf.SetFont(pdfFont, "B", size)
			}
		}
		font()
		// As wide as the label's MultiCell (see the heads): a label
		// drawn on one line made a row of two, a gap under it.
		labels := pdf.SplitText(pdfText(row.Label), lw)
		h := float64(max(1, len(labels)))*(pdfLineH-0.8) + 0.8
		if d.ensure(h) {
			// The rows go on on a new page under the heads again:
			// numbers without them are not read (a council's row alone
			// at the top of a page read as nothing's).
			heads()
			font()
		}
		y := pdf.GetY()
		pdf.SetXY(pdfMargin, y)
		pdf.MultiCell(lw, pdfLineH-0.8, pdfText(row.Label), "", "L", false)
		for i, c := range row.Cells {
			pdf.SetXY(pdfMargin+lw+cw*float64(i), y)
			pdf.CellFormat(cw, pdfLineH-0.8, pdfText(c.Text), "", 0, "R", false, 0, "")
		}
		pdf.SetY(y + h)
		pdf.Line(pdfMargin, y+h, pdfMargin+lw+cw*float64(len(s.Columns)), y+h)
	}
	pdf.Ln(2)
}

// pdfText makes text printable by fpdf's font subsetting: no control
// characters, nothing beyond the Basic Multilingual Plane.
func pdfText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case unicode.IsControl(r):
			return -1
		case r > 0xFFFF:
			return unicode.ReplacementChar
		}
		return r
	}, s)
}
