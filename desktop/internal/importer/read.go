package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Limits of what an import reads: a council's register is a few thousand
// rows; these keep a wrong file from taking the laptop's memory.
const (
	MaxFileSize = 64 << 20
	MaxRows     = 200_000
	MaxColumns  = 500
)

// FileError is a file that cannot be read as a table (cut off, damaged,
// not a spreadsheet): nothing is imported from it.
type FileError struct{ Msg string }

func (e *FileError) Error() string { return e.Msg }

func fileErr(format string, a ...any) error { return &FileError{fmt.Sprintf(format, a...)} }

// table is a spreadsheet read as rows of cells, as the file stores them:
// in an XLSX file a date is its serial number, which the date columns
// read as such (xlsx).
type table struct {
	head     []string
	rows     [][]string
	rowNo    []int // each row's number as the spreadsheet shows it
	encoding string
	sheet    string
	xlsx     bool
}

// readTable reads a CSV or XLSX file (by its content, not its name).
func readTable(name string, data []byte, sheetNames []string) (*table, error) {
	if len(data) > MaxFileSize {
		return nil, fileErr("%s is %d MiB: an import reads at most %d MiB (split the file)", name, len(data)>>20, MaxFileSize>>20)
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return readXLSX(name, data, sheetNames)
	}
	if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
		return nil, fileErr("%s is an old Excel file (.xls): open it in Excel or LibreOffice and save it as .xlsx or .csv", name)
	}
	return readCSV(name, data)
}

// decodeText makes a CSV file's bytes UTF-8: UTF-8 with or without a byte
// order mark, UTF-16 (Excel's "Unicode text"), else Windows-1251, the
// Cyrillic code page Excel on a Russian or Kyrgyz Windows writes CSV in.
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", "", fileErr("the file says it is UTF-8 but is not: save it again as CSV UTF-8")
		}
		return string(data), "utf-8", nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil {
			return "", "", fileErr("the file is not readable UTF-16: %v", err)
		}
		return string(out), "utf-16", nil
	case utf8.Valid(data):
		return string(data), "utf-8", nil
	}
	out, err := charmap.Windows1251.NewDecoder().Bytes(data)
	if err != nil {
		return "", "", fileErr("the file's text is neither UTF-8 nor Windows-1251: save it again as CSV UTF-8")
	}
	return string(out), "windows-1251", nil
}

// delimiter guesses a CSV file's separator from its first line: Excel in
// Russian writes ';', elsewhere ','; Unicode text is tab-separated.
func delimiter(text string) rune {
	line, _, _ := strings.Cut(text, "\n")
	best, n := ',', 0
	for _, d := range []rune{',', ';', '\t'} {
		c, quoted := 0, false
		for _, r := range line {
			switch {
			case r == '"':
				quoted = !quoted
			case r == d && !quoted:
				c++
			}
		}
		if c > n {
			best, n = d, c
		}
	}
	return best
}

func readCSV(name string, data []byte) (*table, error) {
	text, enc, err := decodeText(data)
	if err != nil {
		return nil, fileErr("%s: %v", name, err)
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = delimiter(text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = false
	t := &table{encoding: enc}
	for rec := 1; ; rec++ {
		cells, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					return nil, fileErr("%s, row %d: a quoted cell never ends (%v): the file may be cut off or damaged; nothing was imported", name, rec, pe.Err)
				}
				return nil, fileErr("%s, row %d: %v; nothing was imported", name, rec, pe.Err)
			}
			return nil, fileErr("%s: %v", name, err)
		}
		if len(cells) > MaxColumns {
			return nil, fileErr("%s, row %d: %d columns: an import reads at most %d", name, rec, len(cells), MaxColumns)
		}
		if t.head == nil {
			if blank(cells) {
				continue // blank lines above the head
			}
			t.head = cells
			continue
		}
		if len(t.rows) >= MaxRows {
			return nil, fileErr("%s: more than %d rows: split the file", name, MaxRows)
		}
		t.rows = append(t.rows, cells)
		t.rowNo = append(t.rowNo, rec)
	}
	if t.head == nil {
		return nil, fileErr("%s is empty: it has no head row", name)
	}
	return t, nil
}

// readXLSX reads the sheet named like the kind (an export of Kenesh has a
// summary first), else the first sheet, with excelize.
func readXLSX(name string, data []byte, sheetNames []string) (*table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 4 * MaxFileSize})
	if err != nil {
		return nil, fileErr("%s is not a readable XLSX file (cut off or damaged?): %v; nothing was imported", name, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fileErr("%s has no sheet", name)
	}
	sheet := sheets[0]
	for _, s := range sheets {
		for _, want := range sheetNames {
			if fold(s) == fold(want) {
				sheet = s
			}
		}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, fileErr("%s, sheet %s: %v", name, sheet, err)
	}
	defer rows.Close()
	t := &table{encoding: "xlsx", sheet: sheet, xlsx: true}
	for n := 1; rows.Next(); n++ {
		raw, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fileErr("%s, sheet %s, row %d: %v", name, sheet, n, err)
		}
		if len(raw) > MaxColumns {
			return nil, fileErr("%s, row %d: %d columns: an import reads at most %d", name, n, len(raw), MaxColumns)
		}
		if t.head == nil {
			if blank(raw) {
				continue
			}
			t.head = raw
			continue
		}
		if blank(raw) {
			continue // a sheet's rows may have blank ones between
		}
		if len(t.rows) >= MaxRows {
			return nil, fileErr("%s: more than %d rows: split the file", name, MaxRows)
		}
		// Values as stored, not as excelize would format them (a date by
		// its style may read m-d-yy, a long number 9.96555E+11).
		t.rows = append(t.rows, raw)
		t.rowNo = append(t.rowNo, n)
	}
	if err := rows.Error(); err != nil {
		return nil, fileErr("%s, sheet %s: %v (cut off or damaged?); nothing was imported", name, sheet, err)
	}
	if t.head == nil {
		return nil, fileErr("%s, sheet %s is empty: it has no head row", name, sheet)
	}
	return t, nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
