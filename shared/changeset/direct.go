package changeset

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// fromStateDirect is FromState without the JSON object: each of st's
// values is set into its field of v (a pointer to a zero struct) by
// itself, a plain string, number or true/false at once and anything else
// by encoding/json from the value's own bytes. encoding/json read the
// whole object twice, checking it and then decoding it, by reflection
// field by field: half of an appeal's index row, the row a first pull
// makes for each of its 100,000 records (BENCHMARKS.md, pull5).
//
// It reports false, leaving v zero, whenever the result might differ from
// decoding the object: a struct encoding/json reads otherwise than field
// by field (embedded structs, the string option, names alike but for
// case), a name that is not a field's exactly but may match one folding
// case, a value that does not fit its field. FromState then decodes the
// object as before.
func (s Schema) fromStateDirect(st *State, only map[string]bool, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	rv = rv.Elem()
	if rv.Kind() != reflect.Struct || !rv.IsZero() {
		return false
	}
	p := planOf(rv.Type())
	if p == nil {
		return false
	}
	sc := directScratches.Get().(*directScratch)
	defer func() {
		if cap(sc.items) <= 1024 { // an odd huge record's list is not kept
			clear(sc.items[:cap(sc.items)])
			sc.items = sc.items[:0]
			directScratches.Put(sc)
		}
	}()
	ok := s.setFields(st, only, rv, p, sc)
	if !ok {
		rv.SetZero()
	}
	return ok
}

// setFields is fromStateDirect's work; false: v is to be decoded from the
// object instead.
func (s Schema) setFields(st *State, only map[string]bool, rv reflect.Value, p *plan, sc *directScratch) bool {
	items := sc.items[:0]
	defer func() { sc.items = items[:0] }()
	for name, f := range st.Fields {
		key, id, isItem := strings.Cut(name, ItemSep)
		if only != nil && !only[key] {
			continue
		}
		if isItem && s.isCollection(key) {
			if !isNull(f.Value) {
				items = append(items, directItem{coll: key, id: id, val: f.Value})
			}
			continue
		}
		if strings.HasPrefix(name, "_") {
			continue // merge metadata such as the tombstone
		}
		fp, found := p.fields[name]
		if !found {
			if p.mayMatch(name) {
				return false
			}
			continue // a field this type does not have: ignored
		}
		if !setField(rv.Field(fp.index), fp.kind, f.Value) {
			return false
		}
	}
	if len(items) == 0 {
		return true
	}
	// A collection's items in order of id, as FromFields writes them; they
	// replace a value of the collection's name set above.
	slices.SortFunc(items, func(a, b directItem) int {
		if c := strings.Compare(a.coll, b.coll); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].coll == items[i].coll {
			j++
		}
		coll := items[i].coll
		fp, found := p.fields[coll]
		if !found {
			if p.mayMatch(coll) {
				return false
			}
			i = j
			continue
		}
		fv := rv.Field(fp.index)
		if fv.Kind() != reflect.Slice {
			return false
		}
		list := reflect.MakeSlice(fv.Type(), j-i, j-i)
		for k, it := range items[i:j] {
			if !setField(list.Index(k), fp.elem, it.val) {
				return false
			}
		}
		fv.Set(list)
		i = j
	}
	return true
}

// setField sets fv from val as encoding/json would inside an object; false
// when it would not fit.
func setField(fv reflect.Value, kind fieldKind, val json.RawMessage) bool {
	if len(val) == 0 {
		val = jsonNull // FromState writes an empty value as null
	}
	switch kind {
	case kindString:
		switch {
		case val[0] == 'n':
			return string(val) == "null" // leaves the string as it is
		case val[0] != '"':
			return false
		}
		if plainString(val) {
			fv.SetString(string(val[1 : len(val)-1]))
			return true
		}
	case kindBool:
		switch string(val) {
		case "true":
			fv.SetBool(true)
			return true
		case "false":
			fv.SetBool(false)
			return true
		case "null":
			return true
		}
		return false
	case kindInt:
		if string(val) == "null" {
			return true
		}
		n, err := strconv.ParseInt(string(val), 10, 64)
		if err != nil || fv.OverflowInt(n) {
			return false
		}
		fv.SetInt(n)
		return true
	case kindUnmarshaler:
		return fv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(val) == nil
	case kindStrings:
		if string(val) == "null" {
			fv.SetZero()
			return true
		}
		if setStrings(fv, val) {
			return true
		}
	case kindStruct:
		if string(val) == "null" {
			return true // leaves the struct as it is
		}
		if setObject(fv, val) {
			return true
		}
		fv.SetZero()
	case kindStructPointer:
		if string(val) == "null" {
			fv.SetZero()
			return true
		}
		if p := reflect.New(fv.Type().Elem()); setObject(p.Elem(), val) {
			fv.Set(p)
			return true
		}
	}
	return json.Unmarshal(val, fv.Addr().Interface()) == nil
}

// setStrings sets slice fv of strings from val, an array of strings with
// nothing escaped in them; false for anything else.
func setStrings(fv reflect.Value, val []byte) bool {
	if len(val) < 2 || val[0] != '[' || val[len(val)-1] != ']' {
		return false
	}
	body := val[1 : len(val)-1]
	n := 0
	if len(body) > 0 {
		n = bytes.Count(body, []byte(`","`)) + 1
	}
	list := reflect.MakeSlice(fv.Type(), n, n)
	for k := range n {
		end := len(body)
		if k < n-1 {
			end = bytes.Index(body, []byte(`","`)) + 1
		}
		if !plainString(body[:end]) {
			return false
		}
		list.Index(k).SetString(string(body[1 : end-1]))
		body = body[min(end+1, len(body)):]
	}
	fv.Set(list)
	return true
}

// setObject sets struct sv from val, an object of plain values (strings
// with nothing escaped, numbers, true, false, null) with nothing between
// them, into fields of the kinds setField sets at once; false for
// anything else (sv may be half set then).
func setObject(sv reflect.Value, val []byte) bool {
	p := planOf(sv.Type())
	if p == nil || len(val) < 2 || val[0] != '{' || val[len(val)-1] != '}' {
		return false
	}
	b := val[:len(val)-1] // up to the closing brace
	i := 1
	for i < len(b) {
		if b[i] != '"' {
			return false
		}
		end := i + 1
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' || b[end] < 0x20 {
				return false
			}
			end++
		}
		if end+1 >= len(b) || b[end+1] != ':' {
			return false
		}
		key := b[i+1 : end]
		i = end + 2
		start := i
		if i < len(b) && b[i] == '"' {
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					return false
				}
				i++
			}
			i++ // past the closing quote
		} else {
			for i < len(b) && b[i] != ',' {
				if c := b[i]; c == '{' || c == '[' || c == '"' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
					return false
				}
				i++
			}
		}
		if i > len(b) || start == i || i < len(b) && b[i] != ',' {
			return false
		}
		fp, found := p.fields[string(key)]
		switch {
		case !found:
			if !utf8.Valid(key) || p.mayMatch(string(key)) {
				return false
			}
		case fp.kind == kindString, fp.kind == kindBool, fp.kind == kindInt, fp.kind == kindUnmarshaler:
			if !setField(sv.Field(fp.index), fp.kind, b[start:i]) {
				return false
			}
		default:
			return false
		}
		if i == len(b) {
			return true
		}
		i++ // past the comma
		if i == len(b) {
			return false // a comma before the brace
		}
	}
	return i == len(b) // {} or the end
}

var jsonNull = json.RawMessage("null")

// plainString reports whether val is a JSON string with nothing escaped
// in it: its bytes between the quotes are the string.
func plainString(val []byte) bool {
	if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return false
	}
	body := val[1 : len(val)-1]
	for _, c := range body {
		if c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.Valid(body)
}

// plan is how fromStateDirect sets the fields of a struct type.
type plan struct {
	fields map[string]fieldPlan // by JSON name
	folded map[string]bool      // the JSON names in lower case
}

type fieldPlan struct {
	index int
	kind  fieldKind
	elem  fieldKind // a slice's elements (a collection's items)
}

type fieldKind uint8

const (
	kindOther         fieldKind = iota // by encoding/json from the value's bytes
	kindString                         // a string, set at once when nothing in it is escaped
	kindBool                           // true or false
	kindInt                            // an integer
	kindUnmarshaler                    // by the type's UnmarshalJSON
	kindStrings                        // a slice of strings
	kindStruct                         // a struct, its fields by setObject
	kindStructPointer                  // a pointer to one
)

// mayMatch reports whether encoding/json might match name, which is no
// field's name exactly, to a field folding case.
func (p *plan) mayMatch(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return true // folding may match it (the Kelvin sign is a K)
		}
	}
	return p.folded[name]
}

var plans sync.Map // reflect.Type -> *plan; a nil *plan: not set field by field

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// planOf returns the plan of struct type t, nil if encoding/json reads it
// otherwise than field by field under each field's own name.
func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := makePlan(t)
	plans.Store(t, p)
	return p
}

func makePlan(t reflect.Type) *plan {
	p := &plan{fields: map[string]fieldPlan{}, folded: map[string]bool{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil // embedded: encoding/json flattens or hides its fields
		}
		tag, hasTag := f.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" {
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !hasTag && name == "" || strings.Contains(","+opts+",", ",string,") || !plainName(name) {
			return nil
		}
		lower := strings.ToLower(name)
		if p.folded[lower] {
			return nil // two names alike but for case: encoding/json picks
		}
		p.folded[lower] = true
		fp := fieldPlan{index: i, kind: kindOf(f.Type), elem: kindOther}
		if f.Type.Kind() == reflect.Slice {
			fp.elem = kindOf(f.Type.Elem())
		}
		p.fields[name] = fp
	}
	return p
}

// plainName reports whether a JSON name is of ASCII letters, digits and
// the punctuation Kenesh's names use, which fold only by ASCII case.
func plainName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return name != ""
}

func kindOf(t reflect.Type) fieldKind {
	pt := reflect.PointerTo(t)
	switch {
	case t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && pt.Implements(jsonUnmarshaler):
		return kindUnmarshaler
	case pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler) || t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler):
		return kindOther
	}
	switch t.Kind() {
	case reflect.String:
		return kindString
	case reflect.Bool:
		return kindBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kindInt
	case reflect.Slice:
		if kindOf(t.Elem()) == kindString {
			return kindStrings
		}
	case reflect.Struct:
		return kindStruct
	case reflect.Pointer:
		if t.Elem().Kind() == reflect.Struct && kindOf(t.Elem()) == kindStruct {
			return kindStructPointer
		}
	}
	return kindOther
}

type directItem struct {
	coll, id string
	val      json.RawMessage
}

type directScratch struct {
	items []directItem
}

var directScratches = sync.Pool{New: func() any { return &directScratch{} }}
