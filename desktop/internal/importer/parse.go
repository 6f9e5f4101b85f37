package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/jsonin"
	"github.com/kenesh/kenesh/shared/refdata"
)

func errUnknownKind(k string) error {
	return fmt.Errorf("import: %q is not a kind an import reads (appeal or event)", k)
}

// Mapping says how to read a spreadsheet whose heads or words Kenesh does
// not know (a mapping file, JSON):
//
//	{"columns":  {"Аты-жөнү": "appellant.name", "Эскертүү": ""},
//	 "values":   {"channel": {"Келип": "in_person"}},
//	 "defaults": {"council": "NRN-ATB", "oblast": "KG-N"}}
//
// columns maps a head to the field it holds (by its path, as the export's
// JSON names it; "" leaves the column out); values adds words for the
// codes of a field; defaults gives a value to a field where a row has
// none (the council of a council's own register).
type Mapping struct {
	Columns  map[string]string            `json:"columns"`
	Values   map[string]map[string]string `json:"values"`
	Defaults map[string]string            `json:"defaults"`
}

// ReadMapping reads a mapping file.
func ReadMapping(name string, data []byte) (*Mapping, error) {
	var m Mapping
	if err := jsonin.Decode("mapping "+name, data, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Refusal is a row, or a cell of it, an import will not take, in plain
// words: the row as the spreadsheet numbers it (the head is row 1), the
// column by its head in the file, the field it holds.
type Refusal struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Problem string `json:"problem"`
}

func (r Refusal) String() string {
	s := fmt.Sprintf("row %d", r.Row)
	if r.Column != "" {
		s += fmt.Sprintf(", column %q", r.Column)
	} else if r.Field != "" {
		s += ", " + r.Field
	}
	return s + ": " + r.Problem
}

// row is a spreadsheet's row read into a record's JSON.
type row struct {
	no     int
	digest string
	ref    string
	fields map[string]any // the record's JSON, nested by path
	flow   map[string]any // an appeal's workflow fields (status, days, texts)
}

// parsed is a file read and checked cell by cell.
type parsed struct {
	kind     *Kind
	file     string
	encoding string
	sheet    string
	columns  map[string]string // path → head in the file
	ignored  []string
	// flowDefaults are the mapping's defaults of the workflow's texts
	// (the reason of a rejection, to whom referred, the answer): used
	// where a step needs them and the row has none, never to choose
	// the step.
	flowDefaults map[string]any
	rows         []row
	refused      []Refusal
}

// parse reads the rows of a file of kind, with the mapping m (nil: none),
// into records' JSON, refusing every cell it cannot read. It touches no
// store: the fuzz tests run it on anything.
func parse(name string, data []byte, kind string, m *Mapping, cat *refdata.Catalog, councils []domain.Council) (*parsed, error) {
	k, ok := KindOf(kind)
	if !ok {
		return nil, errUnknownKind(kind)
	}
	if m == nil {
		m = &Mapping{}
	}
	byPath, heads, err := k.fields(cat)
	if err != nil {
		return nil, err
	}
	ek, _ := export.KindOf(kind)
	msgs := sheetNames(ek)
	t, err := readTable(name, data, msgs)
	if err != nil {
		return nil, err
	}
	p := &parsed{kind: k, file: filepath.Base(name), encoding: t.encoding, sheet: t.sheet, columns: map[string]string{}}
	// Which column holds which field.
	mapped := map[string]string{}
	for h, path := range m.Columns {
		if _, ok := byPath[path]; !ok && path != "" {
			return nil, fmt.Errorf("mapping: column %q: %q is not a field an import of %ss reads (one of: %s)", h, path, kind, strings.Join(sortedPaths(byPath), ", "))
		}
		mapped[fold(h)] = path
	}
	colPath := make([]string, len(t.head))
	for i, h := range t.head {
		path, ok := mapped[fold(h)]
		if !ok {
			path = heads[fold(h)]
		}
		if path == "" {
			if strings.TrimSpace(h) != "" {
				p.ignored = append(p.ignored, h)
			}
			continue
		}
		if prev, dup := p.columns[path]; dup {
			return nil, fileErr("%s: the columns %q and %q both hold %s: keep one, or map one elsewhere with a mapping file", name, prev, h, path)
		}
		p.columns[path] = h
		colPath[i] = path
	}
	for path := range m.Defaults {
		if _, ok := byPath[path]; !ok {
			return nil, fmt.Errorf("mapping: default %q is not a field an import of %ss reads (one of: %s)", path, kind, strings.Join(sortedPaths(byPath), ", "))
		}
	}
	var missing []string
	for _, req := range k.Required {
		if _, ok := p.columns[req]; !ok && m.Defaults[req] == "" {
			missing = append(missing, req)
		}
	}
	if len(missing) > 0 {
		return nil, fileErr("%s: no column holds %s (the heads are: %s); name them as the export does, or map them with --mapping", name,
			strings.Join(missing, ", "), strings.Join(t.head, " | "))
	}
	w, err := newWords(cat, councils, m.Values)
	if err != nil {
		return nil, err
	}
	defaults := map[string]any{}
	p.flowDefaults = map[string]any{}
	for path, v := range m.Defaults {
		val, err := w.value(byPath[path], v, false)
		if err != nil {
			return nil, fmt.Errorf("mapping: default %s: %v", path, err)
		}
		if k.Name == domain.KindAppeal && slices.Contains(workflow, path) {
			p.flowDefaults[path] = val
			continue
		}
		defaults[path] = val
	}
	for i, cells := range t.rows {
		if len(cells) > len(t.head) && !blank(cells[len(t.head):]) {
			p.refused = append(p.refused, Refusal{Row: t.rowNo[i], Problem: fmt.Sprintf("has %d cells, the head %d: a cell out of its column", len(cells), len(t.head))})
			continue
		}
		r := row{no: t.rowNo[i], fields: map[string]any{}, flow: map[string]any{}}
		ok := true
		values := map[string]any{}
		for c, path := range colPath {
			if path == "" || c >= len(cells) {
				continue
			}
			v, err := w.value(byPath[path], cells[c], t.xlsx)
			if err != nil {
				p.refused = append(p.refused, Refusal{Row: r.no, Column: t.head[c], Field: path, Problem: err.Error()})
				ok = false
				continue
			}
			if v != nil {
				values[path] = v
			}
		}
		for path, v := range defaults {
			if _, set := values[path]; !set && v != nil {
				values[path] = v
			}
		}
		if !ok {
			continue
		}
		if len(values) == 0 {
			continue // a row with nothing in the columns read
		}
		if err := r.fill(k, values, cat, councils); err != nil {
			p.refused = append(p.refused, Refusal{Row: r.no, Column: p.columns[err.field], Field: err.field, Problem: err.msg})
			continue
		}
		p.rows = append(p.rows, r)
	}
	return p, nil
}

func sheetNames(ek *export.Kind) []string {
	// The kind's sheet in every language (an export of Kenesh).
	out := []string{ek.File}
	if msgs, err := l10n.Load(); err == nil {
		for _, lang := range []string{"ky", "ru", "en"} {
			out = append(out, msgs.In(lang).T(ek.Sheet))
		}
	}
	return out
}

func sortedPaths(m map[string]field) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

type fieldErr struct{ field, msg string }

// fill makes the record's JSON of a row's values: nested by path, the
// oblast from the district or the council where the row has none, the
// day of registration that of receipt where none is given; the workflow
// apart; and the row's digest.
func (r *row) fill(k *Kind, values map[string]any, cat *refdata.Catalog, councils []domain.Council) *fieldErr {
	if ref, ok := values[Ref].(string); ok {
		r.ref = ref
	}
	// The digest: of what the row says, whatever the file's format or
	// the order of its columns (a JSON object's keys are sorted).
	b, _ := json.Marshal(map[string]any{"kind": k.Name, "values": values})
	sum := sha256.Sum256(b)
	r.digest = hex.EncodeToString(sum[:])

	oblast, _ := values["oblast"].(string)
	if oblast == "" {
		if c, ok := values["council"].(string); ok {
			if i := slices.IndexFunc(councils, func(x domain.Council) bool { return x.Code == c }); i >= 0 {
				oblast = councils[i].Oblast
			}
		}
	}
	if ds, ok := values["district"].(districts); ok {
		pick := ""
		for _, d := range ds {
			if oblast == "" && len(ds) == 1 || oblast != "" && strings.HasPrefix(d, oblast+"-") {
				pick = d
			}
		}
		if pick == "" {
			if oblast == "" {
				return &fieldErr{"district", "this district's name is in several oblasts: give the oblast too"}
			}
			return &fieldErr{"district", fmt.Sprintf("this district is not in %s", oblast)}
		}
		values["district"] = pick
		if oblast == "" {
			if _, reg, ok := cat.District(pick); ok {
				oblast = reg.Code
			}
		}
	}
	if oblast != "" {
		values["oblast"] = oblast
	}
	if k.Name == domain.KindAppeal {
		if _, ok := values["registered_on"]; !ok && values["received_on"] != nil {
			values["registered_on"] = values["received_on"]
		}
	}
	for path, v := range values {
		if path == Ref {
			continue
		}
		if k.Name == domain.KindAppeal && slices.Contains(workflow, path) {
			r.flow[path] = v
			continue
		}
		setPath(r.fields, path, v)
	}
	return nil
}

// setPath sets a.b.c in m, making the objects on the way.
func setPath(m map[string]any, path string, v any) {
	head, rest, more := strings.Cut(path, ".")
	if !more {
		m[head] = v
		return
	}
	sub, _ := m[head].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
		m[head] = sub
	}
	setPath(sub, rest, v)
}
