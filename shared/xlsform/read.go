package xlsform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Limits of what a form may hold: a needs assessment has a few hundred
// questions; these keep a wrong file from taking a laptop's memory.
const (
	MaxFileSize  = 8 << 20
	MaxQuestions = 2000
	MaxChoices   = 20000
	MaxCell      = 4000 // characters of one cell
	maxErrors    = 100
)

// Error is one thing wrong in a form, where it is: the sheet, the row as
// the spreadsheet numbers it (0: the sheet as a whole), the column's
// letter and head ("" when the whole row or sheet is meant).
type Error struct {
	Sheet  string `json:"sheet"`
	Row    int    `json:"row,omitempty"`
	Column string `json:"column,omitempty"`
	Header string `json:"header,omitempty"`
	Msg    string `json:"message"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Sheet + " sheet")
	if e.Row > 0 {
		fmt.Fprintf(&b, ", row %d", e.Row)
	}
	switch {
	case e.Column != "" && e.Header != "":
		fmt.Fprintf(&b, ", column %s (%s)", e.Column, e.Header)
	case e.Column != "":
		fmt.Fprintf(&b, ", column %s", e.Column)
	case e.Header != "":
		fmt.Fprintf(&b, ", column %s", e.Header)
	}
	return b.String() + ": " + e.Msg
}

// Errors is every thing wrong in a form (up to 100), in the order of the
// sheets' rows: a form is refused whole, and its author fixes them all at
// once.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return "the form is refused: " + strings.Join(parts, "; ")
}

// Sheets is a workbook read as text: each sheet's rows of cells, by the
// sheet's name.
type Sheets map[string][][]string

// Read reads an XLSForm file (.xlsx) and checks it whole. A form that
// cannot be used is refused with Errors (each with its sheet, row and
// column), a file that is no workbook with an error saying so.
func Read(data []byte) (*Form, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("the file is %d MiB: a form may have at most %d MiB", len(data)>>20, MaxFileSize>>20)
	}
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return nil, errors.New("the file is not an XLSX workbook (save the form as .xlsx: an .xls or .csv file is not read)")
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 8 * MaxFileSize, UnzipXMLSizeLimit: 4 * MaxFileSize})
	if err != nil {
		return nil, fmt.Errorf("the file is not a readable XLSX workbook (cut off or damaged?): %w", err)
	}
	defer x.Close()
	sheets := Sheets{}
	for _, name := range x.GetSheetList() {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "survey", "choices", "settings":
		default:
			continue // other sheets (notes, Kobo's own) are not the form
		}
		// Raw values: a number as stored, not as a style would show it.
		rows, err := x.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fmt.Errorf("sheet %s cannot be read (cut off or damaged?): %w", name, err)
		}
		sheets[name] = rows
	}
	return Parse(sheets)
}

// Parse reads a form from its sheets (survey, choices and settings, by
// name in any case) and checks it whole.
func Parse(sheets Sheets) (*Form, error) {
	r := &reader{f: &Form{Choices: map[string][]*Choice{}}}
	get := func(want string) ([][]string, bool) {
		for name, rows := range sheets {
			if strings.EqualFold(strings.TrimSpace(name), want) {
				return rows, true
			}
		}
		return nil, false
	}
	settings, ok := get("settings")
	if !ok {
		r.add(&Error{Sheet: "settings", Msg: "the workbook has no settings sheet: add one with the columns form_id and version (the questionnaire's name and its version)"})
	} else {
		r.settings(settings)
	}
	choices, _ := get("choices")
	r.choices(choices)
	survey, ok := get("survey")
	if !ok {
		r.add(&Error{Sheet: "survey", Msg: "the workbook has no survey sheet: the questions are its rows"})
	} else {
		r.survey(survey)
	}
	if len(r.errs) == 0 {
		for _, p := range r.f.link() {
			e := &Error{Sheet: "survey", Row: p.row, Header: p.field, Msg: p.msg}
			if col, ok := r.surveyCols[p.field]; ok {
				e.Column = colName(col)
			}
			r.add(e)
		}
	}
	if len(r.errs) > 0 {
		sort.SliceStable(r.errs, func(i, j int) bool {
			return sheetOrder(r.errs[i].Sheet) < sheetOrder(r.errs[j].Sheet) ||
				sheetOrder(r.errs[i].Sheet) == sheetOrder(r.errs[j].Sheet) && r.errs[i].Row < r.errs[j].Row
		})
		return nil, r.errs
	}
	return r.f, nil
}

func sheetOrder(s string) int {
	return map[string]int{"survey": 0, "choices": 1, "settings": 2}[s]
}

// Decode reads a form's definition as Form's JSON (as it travels in a
// record) and checks it as Read does.
func Decode(data []byte) (*Form, error) {
	var f Form
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("a form's definition: %w", err)
	}
	if dec.More() {
		return nil, errors.New("a form's definition: more than one JSON value")
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &f, nil
}

// check is Parse's checks on a form decoded from JSON: the sheets' rules
// (names, types, languages, settings) and the links between rows.
func (f *Form) check() error {
	var errs Errors
	add := func(sheet string, row int, field, format string, a ...any) {
		if len(errs) < maxErrors {
			errs = append(errs, &Error{Sheet: sheet, Row: row, Header: field, Msg: fmt.Sprintf(format, a...)})
		}
	}
	if !validName(f.ID) {
		add("settings", 0, "form_id", "%q is not a form id (letters, digits, _ - ., starting with a letter)", f.ID)
	}
	if !validVersion(f.Version) {
		add("settings", 0, "version", "%q is not a version", f.Version)
	}
	textOK := func(sheet string, row int, field string, t Text) {
		for l, s := range t {
			if l != "" && !knownLanguage(l) {
				add(sheet, row, field, "language %q is none of ky, ru, en", l)
			}
			if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxCell {
				add(sheet, row, field, "text too long or not UTF-8")
			}
		}
	}
	textOK("settings", 0, "form_title", f.Title)
	if f.DefaultLanguage != "" && !knownLanguage(f.DefaultLanguage) {
		add("settings", 0, "default_language", "%q is none of ky, ru, en", f.DefaultLanguage)
	}
	n := 0
	var walk func(qs []*Question, depth int)
	walk = func(qs []*Question, depth int) {
		for _, q := range qs {
			if q == nil {
				add("survey", 0, "type", "an empty question")
				continue
			}
			n++
			switch q.Type {
			case TypeText, TypeInteger, TypeDecimal, TypeDate, TypeNote:
			case TypeSelectOne, TypeSelectMultiple:
				if _, ok := f.Choices[q.List]; !ok {
					add("survey", q.Row, "type", "list %q is not in the choices sheet", q.List)
				}
			case TypeGroup:
				if depth > 20 {
					add("survey", q.Row, "type", "groups nested more than 20 deep")
					return
				}
				walk(q.Children, depth+1)
			default:
				add("survey", q.Row, "type", "%q is not a supported type", q.Type)
			}
			if q.Type != TypeGroup && len(q.Children) > 0 {
				add("survey", q.Row, "type", "a %s holds questions", q.Type)
			}
			for _, t := range []Text{q.Label, q.Hint, q.RequiredMessage, q.ConstraintMessage} {
				textOK("survey", q.Row, "label", t)
			}
		}
	}
	walk(f.Questions, 0)
	if n > MaxQuestions {
		add("survey", 0, "", "%d questions: a form may have at most %d", n, MaxQuestions)
	}
	nc := 0
	for list, cs := range f.Choices {
		if !validName(list) {
			add("choices", 0, "list_name", "%q is not a list's name", list)
		}
		seen := map[string]bool{}
		for _, c := range cs {
			if c == nil || !validChoice(c.Name) || seen[c.Name] {
				add("choices", 0, "name", "list %s has an empty, repeated or spaced choice name", list)
				continue
			}
			seen[c.Name] = true
			textOK("choices", 0, "label", c.Label)
			nc++
		}
	}
	if nc > MaxChoices {
		add("choices", 0, "", "%d choices: a form may have at most %d", nc, MaxChoices)
	}
	if len(errs) == 0 {
		for _, p := range f.link() {
			add("survey", p.row, p.field, "%s", p.msg)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// problem is a link between rows that does not hold (link).
type problem struct {
	row   int
	field string
	msg   string
}

// link indexes the form's questions, checks their names are unique and
// compiles their expressions, checking every question they name exists.
func (f *Form) link() []problem {
	var ps []problem
	bad := func(q *Question, field, format string, a ...any) {
		ps = append(ps, problem{q.Row, field, fmt.Sprintf(format, a...)})
	}
	f.byName = map[string]*Question{}
	f.parent = map[string]*Question{}
	f.order = nil
	var walk func(qs []*Question, parent *Question)
	walk = func(qs []*Question, parent *Question) {
		for _, q := range qs {
			if !validName(q.Name) {
				bad(q, "name", "%q is not a name (letters, digits, _ - ., starting with a letter or _)", q.Name)
			} else if prev, ok := f.byName[q.Name]; ok {
				bad(q, "name", "%s is the name of row %d too: every question and group needs a name of its own", q.Name, prev.Row)
			} else {
				f.byName[q.Name] = q
			}
			if parent != nil {
				f.parent[q.Name] = parent
			}
			f.order = append(f.order, q)
			walk(q.Children, q)
		}
	}
	walk(f.Questions, nil)
	columns := map[string]bool{"name": true}
	for _, cs := range f.Choices {
		for _, c := range cs {
			for k := range c.Columns {
				columns[k] = true
			}
		}
	}
	compile := func(q *Question, field, src string, ctx exprContext) *Expr {
		if strings.TrimSpace(src) == "" {
			return nil
		}
		e, err := parseExpr(src, ctx)
		if err != nil {
			bad(q, field, "%s: %v", src, err)
			return nil
		}
		for _, ref := range e.refs {
			switch r := f.byName[ref]; {
			case r == nil:
				bad(q, field, "${%s} names no question of this form", ref)
			case !r.Answers():
				bad(q, field, "${%s} is a %s, which has no answer", ref, r.Type)
			}
		}
		return e
	}
	for _, q := range f.order {
		if q.Required != "" && !q.Answers() {
			bad(q, "required", "a %s takes no answer, so it cannot be required", q.Type)
		}
		if q.Constraint != "" && !q.Answers() {
			bad(q, "constraint", "a %s takes no answer, so it has no constraint", q.Type)
		}
		if q.ChoiceFilter != "" && !q.Select() {
			bad(q, "choice_filter", "only a select_one or select_multiple has a choice filter")
		}
		if len(q.Correct) > 0 {
			checkCorrect(f, q, bad)
		}
		q.required = compile(q, "required", q.Required, exprContext{})
		q.constraint = compile(q, "constraint", q.Constraint, exprContext{dot: true})
		q.relevant = compile(q, "relevant", q.Relevant, exprContext{})
		q.choiceFilter = compile(q, "choice_filter", q.ChoiceFilter, exprContext{columns: columns})
		for _, t := range []Text{q.Label, q.Hint} {
			for _, s := range t {
				for _, m := range labelRef.FindAllStringSubmatch(s, -1) {
					if f.byName[m[1]] == nil {
						bad(q, "label", "${%s} in the text names no question of this form", m[1])
					}
				}
			}
		}
	}
	return ps
}

// checkCorrect checks a question's correct answers (the "correct"
// column): only a select has them, a select_one one, and each is a
// choice of its list, named once.
func checkCorrect(f *Form, q *Question, bad func(q *Question, field, format string, a ...any)) {
	switch {
	case !q.Select():
		bad(q, "correct", "only a select_one or select_multiple has correct answers (the names of its correct choices); leave the cell of this %s empty", q.Type)
		return
	case q.Type == TypeSelectOne && len(q.Correct) > 1:
		bad(q, "correct", "a select_one has one correct answer, not %d (%s)", len(q.Correct), strings.Join(q.Correct, " "))
		return
	}
	seen := map[string]bool{}
	for _, c := range q.Correct {
		switch {
		case seen[c]:
			bad(q, "correct", "%q is written twice", c)
		case f.Choice(q.List, c) == nil:
			bad(q, "correct", "%q is not a choice of list %s (write the choices' names, not their labels)", c, q.List)
		}
		seen[c] = true
	}
}

// labelRef is a reference to an answer inside a label (${name}), which
// the form shows the answer in.
var labelRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}`)

// reader reads the sheets into a form, collecting every error.
type reader struct {
	f          *Form
	errs       Errors
	surveyCols map[string]int // a survey column's head: its index (from 0)
}

func (r *reader) add(e *Error) {
	if len(r.errs) < maxErrors {
		r.errs = append(r.errs, e)
	}
}

// colName is a column's letter from its index (from 0).
func colName(i int) string {
	s, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return fmt.Sprint(i + 1)
	}
	return s
}

// table is a sheet's head and rows.
type table struct {
	sheet string
	head  []string // heads as written, trimmed
	rows  [][]string
	rowNo []int
}

func (r *reader) table(sheet string, rows [][]string) *table {
	t := &table{sheet: sheet}
	for i, row := range rows {
		if blank(row) {
			continue
		}
		if t.head == nil {
			for _, h := range row {
				t.head = append(t.head, strings.TrimSpace(h))
			}
			continue
		}
		t.rows = append(t.rows, row)
		t.rowNo = append(t.rowNo, i+1)
	}
	return t
}

func (t *table) col(name string) int {
	for i, h := range t.head {
		if strings.EqualFold(h, name) {
			return i
		}
	}
	return -1
}

func cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(row[i])
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// langCol is a column of texts in one language: "label", "label::ky",
// "label::Kyrgyz (ky)".
type langCol struct {
	i    int
	lang string
}

// langCols finds the columns of base in t, refusing languages other than
// ky, ru and en.
func (r *reader) langCols(t *table, base string, defaultLang string) []langCol {
	var out []langCol
	for i, h := range t.head {
		hb, lang, has := strings.Cut(h, "::")
		if !strings.EqualFold(strings.TrimSpace(hb), base) {
			continue
		}
		code := defaultLang
		if has {
			var ok bool
			if code, ok = languageCode(lang); !ok {
				r.add(&Error{Sheet: t.sheet, Row: 0, Column: colName(i), Header: h,
					Msg: fmt.Sprintf("language %q is none of Kenesh's: write Kyrgyz (ky), Russian (ru) or English (en), or remove the column", strings.TrimSpace(lang))})
				continue
			}
		}
		out = append(out, langCol{i, code})
	}
	return out
}

func (r *reader) text(t *table, row []string, no int, cols []langCol) Text {
	var out Text
	for _, c := range cols {
		s := cell(row, c.i)
		if s == "" {
			continue
		}
		if !r.cellOK(t, no, c.i, s) {
			continue
		}
		if out == nil {
			out = Text{}
		}
		out[c.lang] = s
	}
	return out
}

// cellOK checks a cell's text is UTF-8 and not too long.
func (r *reader) cellOK(t *table, no, col int, s string) bool {
	if !utf8.ValidString(s) {
		r.add(&Error{Sheet: t.sheet, Row: no, Column: colName(col), Header: t.head[col], Msg: "the text is not valid UTF-8"})
		return false
	}
	if n := utf8.RuneCountInString(s); n > MaxCell {
		r.add(&Error{Sheet: t.sheet, Row: no, Column: colName(col), Header: t.head[col], Msg: fmt.Sprintf("%d characters: a cell may have at most %d", n, MaxCell)})
		return false
	}
	return true
}

var langInParens = regexp.MustCompile(`\(([A-Za-z-]+)\)\s*$`)

// languageCode reads a language as XLSForm names it: "Kyrgyz (ky)", "ky",
// "Kyrgyz", "Кыргызча".
func languageCode(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if m := langInParens.FindStringSubmatch(s); m != nil {
		code := strings.ToLower(m[1])
		return code, knownLanguage(code)
	}
	switch strings.ToLower(s) {
	case "ky", "kyrgyz", "kirghiz", "кыргызча", "кыргыз тили":
		return "ky", true
	case "ru", "russian", "русский", "орусча":
		return "ru", true
	case "en", "english", "англисче", "английский":
		return "en", true
	}
	return "", false
}

func knownLanguage(code string) bool {
	for _, l := range Languages {
		if l == code {
			return true
		}
	}
	return false
}

var versionRE = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,50}$`)

func validVersion(s string) bool { return versionRE.MatchString(s) }

// validChoice: a choice's name is stored in answers (separated by spaces
// in a select_multiple), so it has no spaces.
func validChoice(s string) bool {
	return s != "" && len(s) <= 100 && utf8.ValidString(s) && !strings.ContainsAny(s, " \t\r\n")
}

func (r *reader) settings(rows [][]string) {
	t := r.table("settings", rows)
	if t.head == nil || len(t.rows) == 0 {
		r.add(&Error{Sheet: "settings", Msg: "the settings sheet needs a head row (form_id, version) and a row of values under it"})
		return
	}
	row, no := t.rows[0], t.rowNo[0]
	get := func(name string) (string, int) {
		i := t.col(name)
		return cell(row, i), i
	}
	if lang, i := get("default_language"); lang != "" {
		code, ok := languageCode(lang)
		if !ok {
			r.add(&Error{Sheet: "settings", Row: no, Column: colName(i), Header: "default_language", Msg: fmt.Sprintf("%q is none of Kyrgyz (ky), Russian (ru), English (en)", lang)})
		}
		r.f.DefaultLanguage = code
	}
	id, i := get("form_id")
	switch {
	case i < 0:
		r.add(&Error{Sheet: "settings", Header: "form_id", Msg: "no form_id column: name the questionnaire (for example needs_2026), the name its responses are filed under"})
	case !validName(id):
		r.add(&Error{Sheet: "settings", Row: no, Column: colName(i), Header: "form_id", Msg: fmt.Sprintf("%q is not a form id: Latin letters, digits, _ - ., starting with a letter", id)})
	}
	r.f.ID = id
	v, i := get("version")
	switch {
	case i < 0 || v == "":
		r.add(&Error{Sheet: "settings", Row: no, Header: "version", Msg: "no version: give the form a version (for example 2026031201 or v1), and a new one each time it changes"})
	case !validVersion(v):
		r.add(&Error{Sheet: "settings", Row: no, Column: colName(i), Header: "version", Msg: fmt.Sprintf("%q is not a version: up to 50 Latin letters, digits, _ - .", v)})
	}
	r.f.Version = v
	r.f.Title = r.text(t, row, no, r.langCols(t, "form_title", r.f.DefaultLanguage))
}

func (r *reader) choices(rows [][]string) {
	t := r.table("choices", rows)
	if t.head == nil {
		return
	}
	ln, nm := t.col("list_name"), t.col("name")
	if ln < 0 {
		ln = t.col("list name")
	}
	if ln < 0 || nm < 0 {
		r.add(&Error{Sheet: "choices", Row: 0, Msg: "the choices sheet needs the columns list_name and name"})
		return
	}
	labels := r.langCols(t, "label", r.f.DefaultLanguage)
	isLabel := map[int]bool{}
	for _, c := range labels {
		isLabel[c.i] = true
	}
	// Other columns are what choice filters compare (region, oblast).
	var others []int
	for i, h := range t.head {
		if i == ln || i == nm || isLabel[i] || h == "" || strings.Contains(h, "::") || strings.HasPrefix(h, "$") {
			continue
		}
		if validName(h) {
			others = append(others, i)
		}
	}
	seen := map[string]map[string]int{}
	n := 0
	for k, row := range t.rows {
		no := t.rowNo[k]
		list, name := cell(row, ln), cell(row, nm)
		if n++; n > MaxChoices {
			r.add(&Error{Sheet: "choices", Row: no, Msg: fmt.Sprintf("more than %d choices", MaxChoices)})
			return
		}
		switch {
		case list == "":
			r.add(&Error{Sheet: "choices", Row: no, Column: colName(ln), Header: "list_name", Msg: "the choice has no list_name"})
			continue
		case !validName(list):
			r.add(&Error{Sheet: "choices", Row: no, Column: colName(ln), Header: "list_name", Msg: fmt.Sprintf("%q is not a list's name (Latin letters, digits, _ - .)", list)})
			continue
		case !validChoice(name):
			r.add(&Error{Sheet: "choices", Row: no, Column: colName(nm), Header: "name", Msg: fmt.Sprintf("%q is not a choice's name: it is stored in the answers, so it is not empty and has no spaces", name)})
			continue
		}
		if seen[list] == nil {
			seen[list] = map[string]int{}
		}
		if prev, dup := seen[list][name]; dup {
			r.add(&Error{Sheet: "choices", Row: no, Column: colName(nm), Header: "name", Msg: fmt.Sprintf("%s is in list %s twice (row %d too)", name, list, prev)})
			continue
		}
		seen[list][name] = no
		c := &Choice{Name: name, Label: r.text(t, row, no, labels)}
		if c.Label.Empty() {
			r.add(&Error{Sheet: "choices", Row: no, Header: "label", Msg: fmt.Sprintf("choice %s of list %s has no label", name, list)})
		}
		for _, i := range others {
			if v := cell(row, i); v != "" {
				if c.Columns == nil {
					c.Columns = map[string]string{}
				}
				c.Columns[t.head[i]] = v
			}
		}
		r.f.Choices[list] = append(r.f.Choices[list], c)
	}
}

// Survey columns: those read, those XLSForm has that change what a form
// does and Kenesh does not do (refused when filled), and the rest, which
// are ignored (Kobo's $kuid, media, guidance hints).
var (
	unsupportedCols = map[string]string{
		"calculation":  "calculations are not supported",
		"default":      "default answers are not supported",
		"read_only":    "read-only questions are not supported",
		"repeat_count": "repeats are not supported",
		"trigger":      "triggers are not supported",
		"parameters":   "parameters are not supported",
	}
	// metaTypes are what ODK records about the filling itself; Kenesh
	// records who filled a response and when on its own, so rows of
	// these types are skipped.
	metaTypes = map[string]bool{"start": true, "end": true, "today": true, "deviceid": true, "username": true,
		"phonenumber": true, "subscriberid": true, "simserial": true, "audit": true, "email": true}
	unsupportedTypes = map[string]string{
		"begin repeat": "repeats are not supported", "begin_repeat": "repeats are not supported",
		"end repeat": "repeats are not supported", "end_repeat": "repeats are not supported",
		"calculate": "calculations are not supported", "geopoint": "locations are not supported",
		"geotrace": "locations are not supported", "geoshape": "locations are not supported",
		"image": "photos in answers are not supported", "audio": "recordings are not supported",
		"video": "videos are not supported", "file": "files are not supported", "barcode": "barcodes are not supported",
		"time": "times are not supported (use date or text)", "datetime": "date-times are not supported (use date)",
		"range": "ranges are not supported (use integer with a constraint)", "rank": "ranking is not supported",
		"acknowledge": "acknowledge is not supported (use select_one yes/no)", "hidden": "hidden questions are not supported",
		"select_one_from_file": "choices from a file are not supported", "select_multiple_from_file": "choices from a file are not supported",
	}
)

// SupportedTypes are the survey sheet's types a form may use.
var SupportedTypes = []string{"text", "integer", "decimal", "date", "select_one LIST", "select_multiple LIST", "note", "begin group", "end group"}

func (r *reader) survey(rows [][]string) {
	t := r.table("survey", rows)
	if t.head == nil {
		r.add(&Error{Sheet: "survey", Msg: "the survey sheet is empty: it needs a head row (type, name, label) and a row per question"})
		return
	}
	r.surveyCols = map[string]int{}
	for i, h := range t.head {
		base, _, _ := strings.Cut(h, "::")
		base = strings.ToLower(strings.TrimSpace(base))
		if _, ok := r.surveyCols[base]; !ok && base != "" {
			r.surveyCols[base] = i
		}
	}
	ty, nm := t.col("type"), t.col("name")
	if ty < 0 || nm < 0 {
		r.add(&Error{Sheet: "survey", Msg: "the survey sheet needs the columns type and name"})
		return
	}
	dl := r.f.DefaultLanguage
	labels := r.langCols(t, "label", dl)
	hints := r.langCols(t, "hint", dl)
	reqMsgs := r.langCols(t, "required_message", dl)
	conMsgs := r.langCols(t, "constraint_message", dl)
	col := func(name string) int { return t.col(name) }
	req, con, rel, cf, app := col("required"), col("constraint"), col("relevant"), col("choice_filter"), col("appearance")
	correct := col("correct")
	type open struct {
		q  *Question
		no int
	}
	var stack []open
	top := &r.f.Questions
	place := func() *[]*Question {
		if len(stack) == 0 {
			return top
		}
		return &stack[len(stack)-1].q.Children
	}
	n := 0
	for k, row := range t.rows {
		no := t.rowNo[k]
		at := func(i int, format string, a ...any) {
			e := &Error{Sheet: "survey", Row: no, Msg: fmt.Sprintf(format, a...)}
			if i >= 0 {
				e.Column, e.Header = colName(i), t.head[i]
			}
			r.add(e)
		}
		typ := strings.Join(strings.Fields(strings.ToLower(cell(row, ty))), " ")
		name := cell(row, nm)
		if typ == "" {
			at(ty, "the row has no type (one of %s)", strings.Join(SupportedTypes, ", "))
			continue
		}
		if metaTypes[typ] {
			continue
		}
		if typ == "end group" || typ == "end_group" {
			if len(stack) == 0 {
				at(ty, "end group without a begin group before it")
				continue
			}
			stack = stack[:len(stack)-1]
			continue
		}
		if n++; n > MaxQuestions {
			at(-1, "more than %d questions", MaxQuestions)
			return
		}
		for c, why := range unsupportedCols {
			if i := col(c); i >= 0 && cell(row, i) != "" {
				at(i, "%s: leave the cell empty", why)
			}
		}
		q := &Question{Name: name, Row: no}
		head, rest, _ := strings.Cut(typ, " ")
		switch {
		case typ == "begin group" || typ == "begin_group":
			q.Type = TypeGroup
		case head == TypeSelectOne || head == TypeSelectMultiple || head == "select_one_external":
			if head == "select_one_external" {
				at(ty, "select_one_external is not supported (choices from an external file)")
				continue
			}
			q.Type = head
			list, extra, _ := strings.Cut(rest, " ")
			if extra != "" {
				msg := fmt.Sprintf("%q after the list's name is not supported", extra)
				if extra == "or_other" {
					msg = "or_other is not supported: add a choice other and a text question relevant when it is selected"
				}
				at(ty, "%s", msg)
				continue
			}
			if list == "" {
				at(ty, "%s needs the name of its list in the choices sheet: %s LIST", head, head)
				continue
			}
			if _, ok := r.f.Choices[list]; !ok {
				at(ty, "list %q is not in the choices sheet (list_name)", list)
				continue
			}
			q.List = list
		case rest == "" && (typ == TypeText || typ == TypeInteger || typ == TypeDecimal || typ == TypeDate || typ == TypeNote):
			q.Type = typ
		case typ == "int":
			q.Type = TypeInteger
		default:
			why := unsupportedTypes[typ]
			if why == "" {
				why = unsupportedTypes[head]
			}
			if why != "" {
				at(ty, "%s: %s; the supported types are %s", typ, why, strings.Join(SupportedTypes, ", "))
			} else {
				at(ty, "%q is not a type Kenesh reads; the supported types are %s", typ, strings.Join(SupportedTypes, ", "))
			}
			continue
		}
		if name == "" {
			at(nm, "the %s has no name", q.Type)
			continue
		}
		q.Label = r.text(t, row, no, labels)
		q.Hint = r.text(t, row, no, hints)
		q.RequiredMessage = r.text(t, row, no, reqMsgs)
		q.ConstraintMessage = r.text(t, row, no, conMsgs)
		if q.Type != TypeGroup && q.Label.Empty() {
			i := -1
			if len(labels) > 0 {
				i = labels[0].i
			}
			at(i, "%s has no label: the question needs words to be asked with", name)
		}
		if i := req; i >= 0 {
			switch v := strings.ToLower(cell(row, i)); v {
			case "", "no", "false", "0", "false()":
			case "yes", "true", "1", "true()":
				q.Required = "true()"
			default:
				q.Required = cell(row, i) // an expression, checked by link
			}
		}
		expr := func(i int) string {
			if i < 0 {
				return ""
			}
			s := cell(row, i)
			if !r.cellOK(t, no, i, s) {
				return ""
			}
			return s
		}
		q.Constraint, q.Relevant, q.ChoiceFilter, q.Appearance = expr(con), expr(rel), expr(cf), expr(app)
		q.Correct = strings.Fields(expr(correct)) // checked by link
		*place() = append(*place(), q)
		if q.Type == TypeGroup {
			if len(stack) >= 20 {
				at(ty, "groups nested more than 20 deep")
				return
			}
			stack = append(stack, open{q, no})
		}
	}
	for _, o := range stack {
		r.add(&Error{Sheet: "survey", Row: o.no, Column: colName(ty), Header: "type", Msg: fmt.Sprintf("begin group %s has no end group", o.q.Name)})
	}
	if n == 0 && len(r.errs) == 0 {
		r.add(&Error{Sheet: "survey", Msg: "the survey sheet has no questions"})
	}
}
