package domain

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/caldate"
)

// The anonymisation rule (anonymisedFields) applied to a typed record: the
// value a record's JSON decodes to (map[string]any, []any, string,
// float64, bool, nil), made from its fields by their JSON names, options
// and encoders as encoding/json does, keeping only what the rule allows.
// Which fields of a struct type are kept, walked into or left out depends
// on their paths alone, so it is worked out once per kind, type and path
// (plan). A record of a shape this does not follow (embedded structs, a
// ",string" option, a record that is not a struct) goes through its JSON
// instead (anonymiseJSON).

// anonymiseTyped is Anonymise on the typed record; ok is false if rec is
// of a shape it leaves to anonymiseJSON.
func anonymiseTyped(kind string, rec any) (m map[string]any, ok bool, err error) {
	v := reflect.ValueOf(rec)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, false, nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct || hasEncoder(v.Type()) || hasEncoder(reflect.PointerTo(v.Type())) {
		return nil, false, nil
	}
	p := planOf(kind, "", v.Type())
	if p == nil {
		return nil, false, nil
	}
	if !v.CanAddr() { // as json.Marshal of a value, not of a pointer
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		v = c
	}
	m = map[string]any{}
	if err := p.keep(kind, v, m); err != nil {
		return nil, true, err
	}
	return m, true, nil
}

// What to do with a field, by its path.
type action int

const (
	drop    action = iota // the rule allows nothing in it
	keepAll               // the rule allows it whole
	walk                  // an object or a list of objects: keep what the rule allows in it
	byJSON                // a shape the plan does not follow: its JSON, through keepAllowed
)

type fieldPlan struct {
	index               int
	name, path          string
	omitEmpty, omitZero bool
	isZero              func(reflect.Value) bool
	act                 action
	list                bool  // walk: a slice or array of objects
	sub                 *plan // walk: the plan of the (items') struct type
}

// plan is what to keep of a struct type at a path of a kind's records.
type plan struct {
	prefix string
	fields []fieldPlan
}

type planKey struct {
	kind, prefix string
	t            reflect.Type
}

var plans sync.Map // planKey -> *plan (nil: leave the type to its JSON)

// planOf returns the plan of struct type t at prefix ("" or "path."), or
// nil if t has a field the plan does not follow.
func planOf(kind, prefix string, t reflect.Type) *plan {
	k := planKey{kind, prefix, t}
	if p, ok := plans.Load(k); ok {
		return p.(*plan)
	}
	p := makePlan(kind, prefix, t)
	plans.Store(k, p)
	return p
}

func makePlan(kind, prefix string, t reflect.Type) *plan {
	p := &plan{prefix: prefix}
	seen := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous {
			return nil // encoding/json's rules for embedded fields: left to it
		}
		if !sf.IsExported() || tag == "-" {
			continue
		}
		if !hasTag || name == "" {
			name = sf.Name
		}
		if seen[name] {
			return nil // two fields of one name: encoding/json's rules
		}
		seen[name] = true
		f := fieldPlan{index: i, name: name, path: prefix + name}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "omitzero":
				f.omitZero = true
				f.isZero = isZeroFunc(sf.Type)
			case "string":
				return nil
			}
		}
		switch {
		case Anonymised(kind, f.path):
			f.act = keepAll
		case !anyAllowedUnder(kind, f.path):
			f.act = drop
		default:
			f.act = byJSON
			et := sf.Type
			if et.Kind() == reflect.Slice || et.Kind() == reflect.Array {
				f.list = true
				et = et.Elem()
			}
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct && !hasEncoder(et) && !hasEncoder(reflect.PointerTo(et)) &&
				(!f.list || !hasEncoder(sf.Type.Elem())) && !hasEncoder(sf.Type) {
				if sub := planOf(kind, f.path+".", et); sub != nil {
					f.act, f.sub = walk, sub
				}
			}
		}
		p.fields = append(p.fields, f)
	}
	return p
}

// keep puts into m what the plan keeps of struct v.
func (p *plan) keep(kind string, v reflect.Value, m map[string]any) error {
	for i := range p.fields {
		f := &p.fields[i]
		if f.act == drop {
			continue
		}
		fv := v.Field(f.index)
		if f.omitEmpty && isEmptyValue(fv) || f.omitZero && f.isZero(fv) {
			continue
		}
		switch f.act {
		case keepAll:
			x, err := toAny(fv)
			if err != nil {
				return err
			}
			m[f.name] = x
		case walk:
			if x, ok := f.walk(kind, fv); ok {
				m[f.name] = x
			}
		case byJSON:
			x, err := toAny(fv)
			if err != nil {
				return err
			}
			one := map[string]any{f.name: x}
			keepAllowed(kind, p.prefix, one)
			if x, ok := one[f.name]; ok {
				m[f.name] = x
			}
		}
	}
	return nil
}

// walk is what keepAllowed keeps of an object, or a list of objects, that
// the rule does not allow whole: the object if anything in it is kept;
// the list's objects, each with what is kept of it, if there is one.
func (f *fieldPlan) walk(kind string, fv reflect.Value) (any, bool) {
	if !f.list {
		for fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				return nil, false
			}
			fv = fv.Elem()
		}
		sub := map[string]any{}
		if err := f.sub.keep(kind, fv, sub); err != nil || len(sub) == 0 {
			return nil, false
		}
		return sub, true
	}
	if fv.Kind() == reflect.Slice && fv.IsNil() {
		return nil, false
	}
	var kept []any
	for i := range fv.Len() {
		it := fv.Index(i)
		if it.Kind() == reflect.Pointer {
			if it.IsNil() {
				continue
			}
			it = it.Elem()
		}
		sub := map[string]any{}
		if err := f.sub.keep(kind, it, sub); err != nil {
			return nil, false
		}
		kept = append(kept, sub)
	}
	return kept, len(kept) > 0
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	dateType      = reflect.TypeFor[caldate.Date]()
	timeType      = reflect.TypeFor[time.Time]()
	errBadFloat   = errors.New("json: unsupported value: NaN or infinity")
)

// hasEncoder reports whether t encodes itself (json.Marshaler,
// encoding.TextMarshaler).
func hasEncoder(t reflect.Type) bool {
	return t.Implements(jsonMarshaler) || t.Implements(textMarshaler)
}

// toAny is v as its JSON decodes into an any.
func toAny(v reflect.Value) (any, error) {
	t := v.Type()
	switch t {
	case dateType:
		d := v.Interface().(caldate.Date)
		if d.IsZero() {
			return nil, nil
		}
		return d.String(), nil
	case timeType:
		tm := v.Interface().(time.Time)
		if _, off := tm.Zone(); tm.Year() >= 0 && tm.Year() <= 9999 && off > -24*3600 && off < 24*3600 {
			return tm.Format(time.RFC3339Nano), nil
		}
		return viaJSON(v)
	}
	if hasEncoder(t) || v.CanAddr() && hasEncoder(reflect.PointerTo(t)) {
		return viaJSON(v)
	}
	switch v.Kind() {
	case reflect.String:
		return validUTF8(v.String()), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return float64(v.Uint()), nil
	case reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errBadFloat
		}
		return f, nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return toAny(v.Elem())
	case reflect.Struct:
		return structAny(v)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return viaJSON(v)
		}
		if v.IsNil() {
			return nil, nil
		}
		m := make(map[string]any, v.Len())
		var bad []reflect.Value // keys that are not UTF-8
		for it := v.MapRange(); it.Next(); {
			if !utf8.ValidString(it.Key().String()) {
				bad = append(bad, it.Key())
				continue
			}
			x, err := toAny(it.Value())
			if err != nil {
				return nil, err
			}
			m[it.Key().String()] = x
		}
		if len(bad) == 0 {
			return m, nil
		}
		// encoding/json writes the keys in order, made UTF-8: of two that
		// become one, the later is the one decoded.
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			x, err := toAny(v.MapIndex(k))
			if err != nil {
				return nil, err
			}
			m[validUTF8(k.String())] = x
		}
		return m, nil
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return viaJSON(v) // base64
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range v.Len() {
			x, err := toAny(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	return viaJSON(v)
}

// structAny is a struct as its JSON object decodes: every field.
func structAny(v reflect.Value) (any, error) {
	fields, ok := allFields(v.Type())
	if !ok {
		return viaJSON(v)
	}
	m := make(map[string]any, len(fields))
	for _, f := range fields {
		fv := v.Field(f.index)
		if f.omitEmpty && isEmptyValue(fv) || f.omitZero && f.isZero(fv) {
			continue
		}
		x, err := toAny(fv)
		if err != nil {
			return nil, err
		}
		m[f.name] = x
	}
	return m, nil
}

var fieldsOf sync.Map // reflect.Type -> []fieldPlan (nil: left to its JSON)

// allFields lists every field struct type t encodes, as makePlan does.
func allFields(t reflect.Type) ([]fieldPlan, bool) {
	if f, ok := fieldsOf.Load(t); ok {
		fs := f.([]fieldPlan)
		return fs, fs != nil
	}
	var fs []fieldPlan
	// Under no kind: only the fields' names and options are read.
	if p := makePlan("", "", t); p != nil {
		fs = p.fields
		if fs == nil {
			fs = []fieldPlan{}
		}
	}
	fieldsOf.Store(t, fs)
	return fs, fs != nil
}

// viaJSON is v encoded by encoding/json and decoded into an any.
func viaJSON(v reflect.Value) (any, error) {
	x := v.Interface()
	if v.CanAddr() {
		x = v.Addr().Interface() // as json.Marshal reaches a field: its pointer methods too
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode %s: %w", v.Type(), err)
	}
	return out, nil
}

// validUTF8 is s as encoding/json writes it: each byte that is not UTF-8
// replaced by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isEmptyValue is encoding/json's test for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

type isZeroer interface{ IsZero() bool }

var zeroer = reflect.TypeFor[isZeroer]()

// isZeroFunc is encoding/json's test for omitzero on a field of type t.
func isZeroFunc(t reflect.Type) func(reflect.Value) bool {
	switch {
	case t.Kind() == reflect.Interface && t.Implements(zeroer):
		return func(v reflect.Value) bool {
			return v.IsNil() || v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil() || v.Interface().(isZeroer).IsZero()
		}
	case t.Kind() == reflect.Pointer && t.Implements(zeroer):
		return func(v reflect.Value) bool { return v.IsNil() || v.Interface().(isZeroer).IsZero() }
	case t.Implements(zeroer):
		return func(v reflect.Value) bool { return v.Interface().(isZeroer).IsZero() }
	case reflect.PointerTo(t).Implements(zeroer):
		return func(v reflect.Value) bool {
			if !v.CanAddr() {
				c := reflect.New(v.Type()).Elem()
				c.Set(v)
				v = c
			}
			return v.Addr().Interface().(isZeroer).IsZero()
		}
	}
	return func(v reflect.Value) bool { return v.IsZero() }
}
