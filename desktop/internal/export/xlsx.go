package export

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/kenesh/kenesh/desktop/internal/reports"
)

// xlsxOut writes a workbook: a summary sheet with the report's figures,
// then a sheet per kind through excelize's stream writer, which keeps
// rows in a temporary file rather than in memory.
type xlsxOut struct {
	w     io.Writer
	words reports.Words
	f     *excelize.File
	sw    *excelize.StreamWriter
	cols  []Column
	width []float64 // of each column, in characters
	row   int
	// styles
	head, bold, date, dateTime, wrap, share, title, num int
}

func newXLSX(w io.Writer, words reports.Words) *xlsxOut {
	x := &xlsxOut{w: w, words: words, f: excelize.NewFile()}
	f := x.f
	dateFmt, dateTimeFmt := "dd.mm.yyyy", "dd.mm.yyyy hh:mm"
	if words.Tr.Lang == "en" {
		dateFmt, dateTimeFmt = "d mmm yyyy", "d mmm yyyy hh:mm"
	}
	font := &excelize.Font{Family: "Arial", Size: 10}
	boldFont := &excelize.Font{Family: "Arial", Size: 10, Bold: true}
	x.head, _ = f.NewStyle(&excelize.Style{Font: boldFont, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF4"}},
		Border: []excelize.Border{{Type: "bottom", Color: "7F8C99", Style: 1}}})
	x.bold, _ = f.NewStyle(&excelize.Style{Font: boldFont})
	x.title, _ = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: "Arial", Size: 14, Bold: true}})
	x.date, _ = f.NewStyle(&excelize.Style{Font: font, CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}})
	x.dateTime, _ = f.NewStyle(&excelize.Style{Font: font, CustomNumFmt: &dateTimeFmt, Alignment: &excelize.Alignment{Vertical: "top", Horizontal: "left"}})
	x.wrap, _ = f.NewStyle(&excelize.Style{Font: font, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	pct := "0.0%"
	x.share, _ = f.NewStyle(&excelize.Style{Font: font, CustomNumFmt: &pct})
	x.num, _ = f.NewStyle(&excelize.Style{Font: font, Alignment: &excelize.Alignment{Vertical: "top"}})
	return x
}

// sheetName makes a valid, unique sheet name of s (at most 31 characters,
// none of []:*?/\).
func sheetName(f *excelize.File, s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, s)
	for utf8.RuneCountInString(s) > 31 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	name := s
	for i := 2; ; i++ {
		if idx, _ := f.GetSheetIndex(name); idx < 0 {
			return name
		}
		name = fmt.Sprintf("%s %d", s, i)
	}
}

func (x *xlsxOut) summary(r *reports.Report, groups []*reports.Section) error {
	f, w := x.f, x.words
	tr := w.Tr
	name := sheetName(f, tr.T("export.sheet.summary"))
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return err
	}
	if err := fitWidth(f, name, "portrait"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 50); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, 9, 14); err != nil {
		return err
	}
	row := 1
	put := func(cells ...any) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, cells)
	}
	text := func(s string, style int) excelize.Cell {
		if style == 0 {
			style = x.num
		}
		return excelize.Cell{Value: s, StyleID: style}
	}
	head := r.Heading(w, programmeName(tr.Lang))
	if err := put(text(head.Title, x.title)); err != nil {
		return err
	}
	for _, l := range head.Lines {
		if err := put(text(l.Label, x.bold), text(l.Value, 0)); err != nil {
			return err
		}
	}
	sections := r.Sections(w, "")
	for _, s := range sections {
		row++
		cells := []any{text(s.Title, x.head)}
		for _, c := range s.Columns {
			cells = append(cells, text(c, x.head))
		}
		if err := put(cells...); err != nil {
			return err
		}
		for _, rw := range s.Rows {
			style := 0
			if rw.Total {
				style = x.bold
			}
			cells := []any{text(rw.Label, style)}
			for _, c := range rw.Cells {
				cells = append(cells, x.number(c))
			}
			if err := put(cells...); err != nil {
				return err
			}
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	for _, g := range groups {
		if err := x.groupSheet(g); err != nil {
			return err
		}
	}
	return nil
}

// fitWidth prints a sheet one page wide.
func fitWidth(f *excelize.File, sheet, orientation string) error {
	one, any := 1, 0
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{FitToWidth: &one, FitToHeight: &any, Orientation: &orientation}); err != nil {
		return err
	}
	fit := true
	return f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit})
}

// number is a report's cell as a number, or blank.
func (x *xlsxOut) number(c reports.Cell) any {
	switch {
	case !c.Valid:
		return nil
	case c.Share:
		return excelize.Cell{Value: c.Value, StyleID: x.share}
	}
	return excelize.Cell{Value: c.Value, StyleID: x.num}
}

// groupSheet writes a table of figures side by side on a sheet of its own.
func (x *xlsxOut) groupSheet(s *reports.Section) error {
	f := x.f
	name := sheetName(f, s.Title)
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	if err := fitWidth(f, name, "landscape"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 36); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, len(s.Columns)+1, 13); err != nil {
		return err
	}
	cells := []any{excelize.Cell{Value: "", StyleID: x.head}}
	for _, c := range s.Columns {
		cells = append(cells, excelize.Cell{Value: c, StyleID: x.head})
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for i, rw := range s.Rows {
		style := x.num
		if rw.Total {
			style = x.bold
		}
		cells := []any{excelize.Cell{Value: rw.Label, StyleID: style}}
		for _, c := range rw.Cells {
			cells = append(cells, x.number(c))
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	return sw.Flush()
}

func (x *xlsxOut) begin(k *Kind, cols []Column) error {
	f := x.f
	name := sheetName(f, x.words.Tr.T(k.Sheet))
	if idx, _ := f.GetSheetIndex("Sheet1"); idx >= 0 {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	x.sw, x.cols, x.row, x.width = sw, cols, 2, make([]float64, len(cols))
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	heads := make([]any, len(cols))
	for i, c := range cols {
		width := 24.0
		switch c.Type {
		case Joined, Terms:
			width = 36
		case Date:
			width = 12
		case DateTime:
			width = 17
		case Number, Count, Bool:
			width = 11
		case Text:
			if c.Path == "summary" || c.Path == "description" || c.Path == "public_summary" || c.Path == "title" || c.Path == "purpose" || c.Path == "milestones.title" {
				width = 48
			}
		}
		if c.Path == "id" {
			width = 38 // a UUID
		}
		x.width[i] = width
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
		heads[i] = excelize.Cell{Value: c.Head(x.words), StyleID: x.head}
	}
	return sw.SetRow("A1", heads, excelize.RowOpts{Height: 42})
}

func (x *xlsxOut) record(_ any, m map[string]any) error {
	cells := make([]any, len(x.cols))
	lines := 1
	for i, c := range x.cols {
		v := c.Cell(m, x.words)
		switch {
		case v.Empty():
			cells[i] = nil
		case !v.Day.IsZero():
			cells[i] = excelize.Cell{Value: time.Date(v.Day.Year(), v.Day.Month(), v.Day.Day(), 0, 0, 0, 0, time.UTC), StyleID: x.date}
		case !v.At.IsZero():
			t := v.At.In(bishkek)
			cells[i] = excelize.Cell{Value: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC), StyleID: x.dateTime}
		case v.IsNum:
			cells[i] = excelize.Cell{Value: v.Num, StyleID: x.num}
		default:
			cells[i] = excelize.Cell{Value: xlsxText(v.Text), StyleID: x.wrap}
			lines = max(lines, linesOf(v.Text, x.width[i]))
		}
	}
	cell, _ := excelize.CoordinatesToCellName(1, x.row)
	x.row++
	// A streamed sheet's rows have no computed height, and spreadsheets
	// do not grow them for wrapped text on opening: give each row the
	// height its longest text needs, up to eight lines.
	if lines > 1 {
		return x.sw.SetRow(cell, cells, excelize.RowOpts{Height: float64(min(lines, 8)) * 13})
	}
	return x.sw.SetRow(cell, cells)
}

// linesOf estimates the lines text takes wrapped in a column of width
// characters.
func linesOf(text string, width float64) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		n += 1 + int(float64(utf8.RuneCountInString(l))*1.1/width)
	}
	return n
}

// xlsxText keeps what a cell can hold: no control characters but line
// ends and tabs, at most 32,767 characters (Excel's limit).
func xlsxText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 32767 {
		s = string([]rune(s)[:32766]) + "…"
	}
	return s
}

func (x *xlsxOut) end() error {
	err := x.sw.Flush()
	x.sw = nil
	return err
}

func (x *xlsxOut) close() error {
	defer x.f.Close()
	x.f.SetActiveSheet(0)
	_, err := x.f.WriteTo(x.w)
	return err
}
