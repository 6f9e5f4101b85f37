package subjectaccess

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"

	"github.com/kenesh/kenesh/assets"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
)

// Page layout, in millimetres (A4 is 210 × 297).
const (
	marginX      = 20.0
	marginTop    = 18.0
	marginBottom = 20.0 // the footer with the page number sits in it
	lineH        = 4.6  // a table line at bodySize
	padY         = 1.0  // above and below a table cell's text
	labelShare   = 0.34 // of the width, for a table's label column
	bodySize     = 9.5  // points
	paraSize     = 10.0
	paraLineH    = 5.0
	signatureH   = 19.0 // the signature line and the space above it
	fontFamily   = "DejaVu"
)

// WritePDF prints d as a letter on A4 pages, in d's language: the holder
// and the date, the title, the request, a table per record, what was
// published, the person's rights under the law, a line to sign, and page
// numbers ("Page 2 of 5") at the foot of every page. The fonts are embedded
// (DejaVu Sans, subset to the letters used), so it prints the same on any
// computer.
func WritePDF(w io.Writer, d *Document) error {
	msgs, err := l10n.Load()
	if err != nil {
		return err
	}
	tr := msgs.In(d.Language)
	// Printed twice: the first time to count the pages, so that every
	// footer says "of N" with N known (and its width right).
	first, err := typeset(tr, d, 0)
	if err != nil {
		return err
	}
	pdf, err := typeset(tr, d, first.PageCount())
	if err != nil {
		return err
	}
	return pdf.Output(w)
}

func typeset(tr *l10n.Tr, d *Document, total int) (*fpdf.Fpdf, error) {
	p := newPrinter(tr)
	pdf := p.pdf
	pdf.SetTitle(d.Title, true)
	pdf.SetAuthor(d.From, true)
	pdf.SetSubject(d.Title, true)
	pdf.SetCreator("Kenesh", false)
	pdf.SetLang(d.Language)
	if at, err := madeAt(d); err == nil {
		// The document's own time, not the printing's: the same document
		// printed twice is the same file.
		pdf.SetCreationDate(at)
		pdf.SetModificationDate(at)
	}
	pdf.SetCatalogSort(true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-marginBottom + 6)
		pdf.SetFont(fontFamily, "", 8)
		pdf.SetTextColor(110, 110, 110)
		// One run of text, so that a reader (pdftotext, a screen reader)
		// never tears the title from the page number.
		pdf.CellFormat(0, 4, clean(d.Title)+" · "+tr.T("person.doc.page", "n", pdf.PageNo(), "total", total), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	// Letterhead: who answers, and the date.
	pdf.SetFont(fontFamily, "B", 11)
	pdf.MultiCell(p.width*0.62, 5.5, clean(d.From), "", "L", false)
	bottom := pdf.GetY()
	pdf.SetXY(marginX+p.width*0.62, marginTop)
	pdf.SetFont(fontFamily, "", 10)
	pdf.CellFormat(p.width*0.38, 5.5, clean(d.Date), "", 0, "R", false, 0, "")
	pdf.SetXY(marginX, bottom+6)

	pdf.SetFont(fontFamily, "B", 15)
	pdf.MultiCell(0, 7, clean(d.Title), "", "L", false)
	pdf.Ln(3)
	p.para(d.Intro, 0)

	p.heading1(tr.T("person.doc.section_request"))
	p.table(append(append([]Field(nil), d.Request...), d.Holder...))
	if d.Nothing != "" {
		p.para(d.Nothing, 0) // the counts would only say nought three times
	} else {
		p.para(d.Summary, 0)
	}

	if len(d.Appeals) > 0 {
		p.heading1(tr.T("person.doc.section_appeals"))
		for _, a := range d.Appeals {
			p.heading2(a.Heading)
			p.table(a.Fields)
			p.items(tr.T("field.consultations"), a.Consultations)
			p.items(tr.T("field.attachments"), a.Attachments)
			p.items(tr.T("person.doc.history"), a.History)
		}
	}
	if len(d.Events) > 0 {
		p.heading1(tr.T("person.doc.section_events"))
		for _, e := range d.Events {
			p.heading2(e.Heading)
			p.table(e.Fields)
			for _, it := range e.Named {
				p.heading3(it.Heading)
				p.table(it.Fields)
			}
		}
	}

	p.heading1(tr.T("person.doc.section_published"))
	if len(d.Published) == 0 {
		p.para(tr.T("person.doc.no_published"), 0)
	}
	for _, pub := range d.Published {
		p.heading2(pub.Heading)
		p.para(pub.Note, 0)
		p.table(pub.Fields)
	}

	p.heading1(tr.T("person.doc.section_rights"))
	pdf.SetFont(fontFamily, "B", paraSize)
	p.ensure(2 * paraLineH)
	pdf.MultiCell(0, paraLineH, clean(d.Rights.Law), "", "L", false)
	pdf.Ln(1.5)
	for i, para := range d.Rights.Paragraphs {
		keep := 0.0
		if i == len(d.Rights.Paragraphs)-1 {
			keep = signatureH // the signature never stands alone on a page
		}
		p.para(para, keep)
	}

	// The line the holder signs on.
	p.ensure(signatureH)
	pdf.Ln(4)
	p.para(d.Signature, 0)
	y := pdf.GetY() + 8
	pdf.SetDrawColor(0, 0, 0)
	pdf.Line(marginX, y, marginX+p.width*0.6, y)

	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("printing the document: %w", err)
	}
	return pdf, nil
}

func madeAt(d *Document) (time.Time, error) {
	for _, f := range d.Request {
		if f.Name == "made_at" {
			return time.Parse(time.RFC3339, f.Code)
		}
	}
	return time.Time{}, fmt.Errorf("no made_at")
}

type printer struct {
	pdf    *fpdf.Fpdf
	tr     *l10n.Tr
	width  float64 // of the text, between the margins
	bottom float64 // the lowest y text may reach
}

func newPrinter(tr *l10n.Tr) *printer {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(fontFamily, "", assets.FontRegular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", assets.FontBold)
	pdf.SetMargins(marginX, marginTop, marginX)
	pdf.SetAutoPageBreak(true, marginBottom)
	pdf.SetCellMargin(1.5)
	pageW, pageH := pdf.GetPageSize()
	return &printer{pdf: pdf, tr: tr, width: pageW - 2*marginX, bottom: pageH - marginBottom}
}

// ensure starts a new page unless h millimetres fit on this one.
func (p *printer) ensure(h float64) {
	if p.pdf.GetY()+h > p.bottom {
		p.pdf.AddPage()
	}
}

func (p *printer) heading1(s string) {
	p.ensure(9 + 3*lineH) // never a heading alone at the foot of a page
	p.pdf.Ln(3)
	p.pdf.SetFont(fontFamily, "B", 13)
	p.pdf.MultiCell(0, 6.5, clean(s), "", "L", false)
	y := p.pdf.GetY()
	p.pdf.SetDrawColor(150, 150, 150)
	p.pdf.Line(marginX, y, marginX+p.width, y)
	p.pdf.Ln(2)
}

func (p *printer) heading2(s string) {
	p.ensure(8 + 3*lineH)
	p.pdf.Ln(2.5)
	p.pdf.SetFont(fontFamily, "B", 11)
	p.pdf.MultiCell(0, 5.5, clean(s), "", "L", false)
	p.pdf.Ln(1)
}

func (p *printer) heading3(s string) {
	p.ensure(7 + 2*lineH)
	p.pdf.Ln(1.5)
	p.pdf.SetFont(fontFamily, "B", bodySize)
	p.pdf.SetTextColor(60, 60, 60)
	p.pdf.MultiCell(0, 5, clean(s), "", "L", false)
	p.pdf.SetTextColor(0, 0, 0)
	p.pdf.Ln(0.5)
}

// para prints a paragraph, on a new page unless it fits on this one
// whole (with keep millimetres more after it) or is longer than a page.
func (p *printer) para(s string, keep float64) {
	if strings.TrimSpace(s) == "" {
		return
	}
	p.pdf.SetFont(fontFamily, "", paraSize)
	h := float64(len(p.split(s, p.width)))*paraLineH + keep
	if h > p.bottom-marginTop {
		h = 2 * paraLineH
	}
	p.ensure(h)
	p.pdf.MultiCell(0, paraLineH, clean(s), "", "L", false)
	p.pdf.Ln(1.5)
}

// items prints the parts of a record under a heading: each its own small
// table under its own heading.
func (p *printer) items(title string, items []Item) {
	if len(items) == 0 {
		return
	}
	p.heading3(title)
	for _, it := range items {
		p.pdf.SetFont(fontFamily, "", bodySize)
		p.ensure(5 + 2*lineH)
		p.pdf.SetTextColor(60, 60, 60)
		p.pdf.MultiCell(0, 5, clean(it.Heading), "", "L", false)
		p.pdf.SetTextColor(0, 0, 0)
		p.table(it.Fields)
	}
}

// table prints fields as a two-column table, labels on the left on a grey
// ground. A row longer than what is left of the page goes on over the next
// one, line by line, so no text is ever cut off.
func (p *printer) table(fs []Field) {
	pdf := p.pdf
	labelW := p.width * labelShare
	valueW := p.width - labelW
	for _, f := range fs {
		pdf.SetFont(fontFamily, "", bodySize)
		labels := p.split(f.Label, labelW)
		values := p.split(f.Text, valueW)
		n := max(len(labels), len(values))
		for start := 0; start < n; {
			fit := int((p.bottom - pdf.GetY() - 2*padY) / lineH)
			// Keep at least two lines of a row together (or the whole
			// row, when it is shorter).
			if fit < min(2, n-start) {
				pdf.AddPage()
				continue
			}
			k := min(n-start, fit)
			y0 := pdf.GetY()
			h := float64(k)*lineH + 2*padY
			pdf.SetDrawColor(190, 190, 190)
			pdf.SetFillColor(242, 242, 242)
			pdf.Rect(marginX, y0, labelW, h, "FD")
			pdf.Rect(marginX+labelW, y0, valueW, h, "D")
			for i := 0; i < k; i++ {
				y := y0 + padY + float64(i)*lineH
				if j := start + i; j < len(labels) {
					pdf.SetTextColor(70, 70, 70)
					pdf.SetXY(marginX, y)
					pdf.CellFormat(labelW, lineH, labels[j], "", 0, "L", false, 0, "")
				}
				if j := start + i; j < len(values) {
					pdf.SetTextColor(0, 0, 0)
					pdf.SetXY(marginX+labelW, y)
					pdf.CellFormat(valueW, lineH, values[j], "", 0, "L", false, 0, "")
				}
			}
			pdf.SetTextColor(0, 0, 0)
			pdf.SetXY(marginX, y0+h)
			start += k
		}
	}
	pdf.Ln(1.5)
}

// split wraps s into lines that fit w in the current font.
func (p *printer) split(s string, w float64) []string {
	var out []string
	for _, para := range strings.Split(clean(s), "\n") {
		lines := p.pdf.SplitText(para, w)
		if len(lines) == 0 {
			lines = []string{""}
		}
		out = append(out, lines...)
	}
	return out
}

// clean makes text printable: Windows line ends and tabs become what they
// mean, other control characters go, and a character beyond the Basic
// Multilingual Plane (an emoji pasted from a messenger), which fpdf's font
// subsetting cannot hold (it panics), prints as U+FFFD. The JSON document
// keeps the text as it was.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return -1
		case r > 0xFFFF:
			return unicode.ReplacementChar
		}
		return r
	}, s)
}
