package export

import (
	"archive/zip"
	"encoding/csv"
	"io"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/reports"
)

// bom starts every CSV file: without it, Excel on Windows reads UTF-8 as
// the local code page and Cyrillic comes out garbled.
const bom = "\ufeff"

// csvOut writes one CSV file per kind: straight to w for one kind, as
// the files of a zip for several.
type csvOut struct {
	w     io.Writer
	words reports.Words
	zip   *zip.Writer
	cw    *csv.Writer
	cols  []Column
	cells []string
}

func newCSV(w io.Writer, words reports.Words, several bool) *csvOut {
	c := &csvOut{w: w, words: words}
	if several {
		c.zip = zip.NewWriter(w)
	}
	return c
}

func (c *csvOut) summary(*reports.Report, []*reports.Section) error { return nil }

func (c *csvOut) begin(k *Kind, cols []Column) error {
	out := c.w
	if c.zip != nil {
		var err error
		out, err = c.zip.CreateHeader(&zip.FileHeader{Name: k.File + ".csv", Method: zip.Deflate, Modified: time.Now()})
		if err != nil {
			return err
		}
	}
	if _, err := io.WriteString(out, bom); err != nil {
		return err
	}
	c.cw = csv.NewWriter(out)
	c.cw.UseCRLF = true // what Excel writes and expects
	c.cols = cols
	c.cells = make([]string, len(cols))
	for i, col := range cols {
		c.cells[i] = col.Head(c.words)
	}
	return c.cw.Write(c.cells)
}

func (c *csvOut) record(_ any, m map[string]any) error {
	for i, col := range c.cols {
		v := col.Cell(m, c.words)
		s := v.String()
		if !v.IsNum && v.Day.IsZero() && v.At.IsZero() {
			s = csvText(s)
		}
		c.cells[i] = s
	}
	return c.cw.Write(c.cells)
}

// csvText keeps a spreadsheet from running a text as a formula: one that
// starts with = + - @ (a web submission may hold "=HYPERLINK(...)") gets a
// leading apostrophe, which spreadsheets hide and the importer drops.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (c *csvOut) end() error {
	c.cw.Flush()
	return c.cw.Error()
}

func (c *csvOut) close() error {
	if c.zip != nil {
		return c.zip.Close()
	}
	return nil
}
