package export

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/shared/caldate"
)

// Value is one cell of a record's row, typed for the formats: a text, a
// day, a moment or a number. A cell with nothing in it is a zero Value.
type Value struct {
	Text  string
	Day   caldate.Date
	At    time.Time
	Num   float64
	IsNum bool
}

// Empty reports whether the cell holds nothing.
func (v Value) Empty() bool { return v.Text == "" && v.Day.IsZero() && v.At.IsZero() && !v.IsNum }

// String is the cell as CSV writes it: days as YYYY-MM-DD, moments as
// YYYY-MM-DD HH:MM in Bishkek, numbers in digits.
func (v Value) String() string {
	switch {
	case !v.Day.IsZero():
		return v.Day.String()
	case !v.At.IsZero():
		return v.At.In(bishkek).Format("2006-01-02 15:04")
	case v.IsNum:
		return strconv.FormatFloat(v.Num, 'f', -1, 64)
	}
	return v.Text
}

var bishkek = time.FixedZone("Asia/Bishkek", 6*60*60)

// Cell reads column c of rec (a record's JSON as an object) in words.
func (c Column) Cell(rec map[string]any, w reports.Words) Value {
	head, rest, _ := strings.Cut(c.Path, ".")
	v, ok := rec[head]
	if !ok || v == nil {
		return Value{}
	}
	switch c.Type {
	case Sum:
		items, _ := v.([]any)
		if items == nil {
			return Value{}
		}
		var n float64
		for _, it := range items {
			o, _ := it.(map[string]any)
			// A number as the record's JSON holds it (float64) or as
			// the typed anonymisation keeps it (int64).
			if f, err := strconv.ParseFloat(scalar(lookup(o, rest)), 64); err == nil {
				n += f
			}
		}
		return Value{Num: n, IsNum: true}
	case Count, Joined:
		items, _ := v.([]any)
		var texts []string
		n := 0
		for _, it := range items {
			x := it
			if rest != "" {
				o, _ := it.(map[string]any)
				x = lookup(o, rest)
			}
			if x == nil || x == "" {
				continue
			}
			n++
			texts = append(texts, scalar(x))
		}
		if c.Type == Count {
			if items == nil {
				return Value{}
			}
			return Value{Num: float64(n), IsNum: true}
		}
		return Value{Text: strings.Join(texts, "\n")}
	}
	if rest != "" {
		o, _ := v.(map[string]any)
		v = lookup(o, rest)
		if v == nil {
			return Value{}
		}
	}
	s := scalar(v)
	switch c.Type {
	case Date:
		if d, err := caldate.Parse(s); err == nil {
			return Value{Day: d}
		}
	case DateTime:
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil && !t.IsZero() {
			return Value{At: t}
		}
		return Value{}
	case Number:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return Value{Num: f, IsNum: true}
		}
	case Bool:
		if b, ok := v.(bool); ok {
			if b {
				return Value{Text: w.Tr.T("common.yes")}
			}
			return Value{Text: w.Tr.T("common.no")}
		}
	case Term:
		return Value{Text: w.Term(c.List, s)}
	case Terms:
		items, _ := v.([]any)
		names := make([]string, 0, len(items))
		for _, it := range items {
			names = append(names, w.Term(c.List, scalar(it)))
		}
		return Value{Text: strings.Join(names, "\n")}
	case Region:
		return Value{Text: w.Region(s)}
	case District:
		if d, _, ok := w.Cat.District(s); ok {
			return Value{Text: d.Names.In(w.Tr.Lang)}
		}
	case Status:
		return Value{Text: w.Status(s)}
	case Language:
		if k := "person.doc.lang_" + s; w.Tr.Has(k) {
			return Value{Text: w.Tr.T(k)}
		}
	}
	return Value{Text: s}
}

// lookup follows a dotted path through objects.
func lookup(o map[string]any, path string) any {
	for o != nil {
		head, rest, more := strings.Cut(path, ".")
		v := o[head]
		if !more {
			return v
		}
		o, _ = v.(map[string]any)
		path = rest
	}
	return nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// recordMap is a record as its JSON is an object, anonymised unless
// personal (domain.Anonymise: the one rule).
func recordMap(kind string, rec any, personal bool, anonymise func(string, any) (map[string]any, error)) (map[string]any, error) {
	if !personal {
		return anonymise(kind, rec)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", kind, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("export %s: %w", kind, err)
	}
	return m, nil
}
