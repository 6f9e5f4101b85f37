package policy

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// shapeTypes are every record type and every type of an item of its
// collections, by name.
func shapeTypes(t testing.TB) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for kind, rt := range recordTypes {
		out[kind] = rt
		for _, coll := range Collections(kind) {
			f, ok := fieldByJSON(rt, coll)
			if !ok || f.Type.Kind() != reflect.Slice {
				t.Fatalf("%s has no list %s", kind, coll)
			}
			out[kind+"/"+coll] = f.Type.Elem()
		}
	}
	return out
}

func fieldByJSON(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func shapeFor(t testing.TB, name string) *shape {
	kind, coll, ok := strings.Cut(name, "/")
	if !ok {
		return recordShape(kind)
	}
	s := itemShape(kind, coll)
	if s == nil {
		t.Fatalf("no shape for %s", name)
	}
	return s
}

// fits says what encoding/json says: a value fits a shape exactly when
// it decodes into the type without an error.
func checkFitsAsJSON(t *testing.T, name string, typ reflect.Type, v string) {
	t.Helper()
	s := shapeFor(t, name)
	want := json.Unmarshal([]byte(v), reflect.New(typ).Interface()) == nil
	if got := s.fits([]byte(v)); got != want {
		t.Fatalf("%s: fits(%s) = %v, encoding/json takes it: %v", name, v, got, want)
	}
}

// Each member of every type wrong (of each JSON kind), missing, null or
// extra, and the type's own value, judged as encoding/json judges them.
func TestShapesFitAsJSONDecodes(t *testing.T) {
	kinds := []string{`"текст"`, `""`, `5`, `-3`, `1.5`, `1e3`, `99999999999999999999`, `true`, `null`, `[]`, `["a"]`, `[1]`, `{}`, `{"id":"x"}`,
		`"2026-12-07"`, `"2026-02-30"`, `{"a":[1,{"b":"c"}]}`}
	types := shapeTypes(t)
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	n := 0
	for _, name := range names {
		typ := types[name]
		full := fullValue(typ)
		checkFitsAsJSON(t, name, typ, string(full))
		var m map[string]json.RawMessage
		if err := json.Unmarshal(full, &m); err != nil {
			t.Fatal(err)
		}
		for member := range m {
			for _, v := range kinds {
				// encoding/json matches a key to a member by case
				// folding: upper case, the Kelvin sign for k, the long
				// s for s.
				folds := []string{member, strings.ToUpper(member), strings.NewReplacer("k", "\u212a", "s", "\u017f").Replace(member)}
				for _, key := range folds {
					c := clone(m)
					delete(c, member)
					c[key] = json.RawMessage(v)
					b, _ := json.Marshal(c)
					checkFitsAsJSON(t, name, typ, string(b))
					n++
				}
			}
			c := clone(m)
			delete(c, member)
			b, _ := json.Marshal(c)
			checkFitsAsJSON(t, name, typ, string(b))
		}
		c := clone(m)
		c["not_a_member"] = json.RawMessage(`{"x":[1,2]}`)
		b, _ := json.Marshal(c)
		if !shapeFor(t, name).fits(b) {
			t.Fatalf("%s: a member the type does not know is refused: %s", name, b)
		}
		for _, v := range kinds {
			checkFitsAsJSON(t, name, typ, v)
		}
	}
	if n < 1000 {
		t.Fatalf("only %d values judged", n)
	}
}

func clone(m map[string]json.RawMessage) map[string]json.RawMessage {
	c := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// fullValue is a value of typ with every member set (non-zero), as JSON.
func fullValue(typ reflect.Type) []byte {
	v := reflect.New(typ).Elem()
	fill(v, 0)
	b, err := json.Marshal(v.Interface())
	if err != nil {
		panic(err)
	}
	return b
}

func fill(v reflect.Value, depth int) {
	if depth > 4 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth+1)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(`{"q":1}`))
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, depth+1)
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[struct{}]() {
			return
		}
		if v.Type().PkgPath() == "github.com/kenesh/kenesh/shared/caldate" {
			v.Set(reflect.ValueOf(caldate.MustParse("2026-12-07")))
			return
		}
		if v.Type().PkgPath() == "time" {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	}
}

// FuzzShapes: for any valid JSON, each shape says what encoding/json
// says of decoding it into the type (the shapes are a decoder of what
// laptops send: policy.CheckWrite judges every operation by them).
func FuzzShapes(f *testing.F) {
	types := shapeTypes(f)
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		f.Add(uint8(i), string(fullValue(types[n])))
	}
	f.Add(uint8(0), `{"consultations":[{"id":"a","on":5}]}`)
	f.Add(uint8(0), `{"RECEIVED_ON":"2026-02-30","\u212aind":3}`)
	f.Fuzz(func(t *testing.T, which uint8, v string) {
		if !json.Valid([]byte(v)) {
			return
		}
		name := names[int(which)%len(names)]
		checkFitsAsJSON(t, name, types[name], v)
	})
}

// The refusal of an item whose member does not fit names the field, with
// the member in its sentence; one of a record's field names the field.
func TestFieldsThatDoNotFitAreRefused(t *testing.T) {
	const item = "0190a5c2-0000-7000-8000-00000000c001"
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	cur := &changeset.State{Kind: domain.KindAppeal, ID: "r", Council: "NRN-ATB", Created: 5}
	for _, c := range []struct {
		field, value, member string
	}{
		{"consultations/" + item, `{"id":"` + item + `","on":5}`, "on"},
		{"consultations/" + item, `{"id":"` + item + `","ON":"2026-02-30"}`, "on"},
		{"consultations/" + item, `{"id":"` + item + `","summary":["x"]}`, "summary"},
		{"attachments/" + item, `{"id":"` + item + `","size":"big"}`, "size"},
		{"attachments/" + item, `{"id":"` + item + `","chunks":[{"size":1.5}]}`, "chunks"},
		{"received_on", `"вчера"`, ""},
		{"Received_On", `5`, ""},
		{"PUBLISHED", `true`, ""},   // every copy reads it as published
		{"consultations", `[]`, ""}, // a collection is written item by item
		{"attachments", `[{"id":"x"}]`, ""},
		{"Received_On", `"2026-12-01"`, ""},
		{"extension_days", `2.5`, ""},
		{"appellant", `{"name":7}`, ""},
		{"vulnerable_groups", `"pwd"`, ""},
	} {
		op := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindAppeal, Record: "r", Council: "NRN-ATB", Action: changeset.ActionUpdate,
			Fields: map[string]changeset.Change{c.field: {Value: json.RawMessage(c.value)}, "summary": {Value: json.RawMessage(`"x"`)}}}
		r := CheckWrite(sec, op, cur)
		if r == nil || r.Code != syncproto.CodeInvalid || len(r.Fields) != 1 || r.Fields[0].Field != c.field || r.Fields[0].Code != domain.CodeFormat {
			t.Fatalf("%s = %s: %+v, want it refused as invalid, naming the field", c.field, c.value, r)
		}
		if c.member != "" && !strings.Contains(r.Message, "whose "+c.member+" is") {
			t.Fatalf("%s = %s: %q does not name the member %s", c.field, c.value, r.Message, c.member)
		}
	}
	// Fields and members the type does not know are kept; null removes.
	for field, value := range map[string]string{
		"consultations/" + item: `{"id":"` + item + `","on":"2026-12-01","consultant":"Асанов Б.","summary":"x","mood":{"any":[1]}}`,
		"a_newer_field":         `{"x":1}`, "received_on": `null`, "_deleted": `true`, "summary": `"x"`, "consultations": `null`,
	} {
		op := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindAppeal, Record: "r", Council: "NRN-ATB", Action: changeset.ActionUpdate,
			Fields: map[string]changeset.Change{field: {Value: json.RawMessage(value)}}}
		if r := CheckWrite(sec, op, cur); r != nil {
			t.Fatalf("%s = %s: refused: %v", field, value, r)
		}
	}
}

// An item's values are judged by the domain's rules for it
// (domain.ItemFaults: Validate's), each collection of an appeal and an
// event: a required member missing, a text too long, a term not known,
// an id that is no id; the refusal names the field, with the domain's
// code, and the member in its sentence.
func TestItemValuesAreTheDomains(t *testing.T) {
	const item = "0190a5c2-0000-7000-8000-00000000c001"
	long := strings.Repeat("я", domain.MaxLong+1)
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	for _, c := range []struct {
		kind, coll, members, member, code string
	}{
		{domain.KindAppeal, "consultations", `"on":"2026-12-01","consultant":"Асанов Б."`, "summary", domain.CodeRequired},
		{domain.KindAppeal, "consultations", `"on":"2026-12-01","consultant":"Асанов Б.","summary":"` + long + `"`, "summary", domain.CodeTooLong},
		{domain.KindAppeal, "consultations", `"on":"1999-12-01","consultant":"Асанов Б.","summary":"x"`, "on", domain.CodeRange},
		{domain.KindAppeal, "attachments", `"name":"акт.pdf","size":5,"sha256":"` + strings.Repeat("ab", 32) + `","chunks":[]`, "chunks", domain.CodeMismatch},
		{domain.KindAppeal, "attachments", `"name":"акт.pdf","size":0,"sha256":"nothex","chunks":[]`, "sha256", domain.CodeFormat},
		{domain.KindEvent, "followups", `"action":"Жооп","owner":"Айыл өкмөтү","due":"2026-12-20","status":"maybe"`, "status", domain.CodeUnknown},
		{domain.KindEvent, "followups", `"owner":"Айыл өкмөтү","due":"2026-12-20","status":"open"`, "action", domain.CodeRequired},
		{domain.KindEvent, "attendees", `"name":"Токтогулов Эрмек","group":"aliens"`, "group", domain.CodeUnknown},
		{domain.KindEvent, "attendees", `"name":"Токтогулов Эрмек","group":"citizens","council":"bad code"`, "council", domain.CodeFormat},
	} {
		field := c.coll + "/" + item
		op := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: c.kind, Record: "r", Council: "NRN-ATB", Action: changeset.ActionUpdate,
			Fields: map[string]changeset.Change{field: {Value: json.RawMessage(`{"id":"` + item + `",` + c.members + `}`)}}}
		r := CheckWrite(sec, op, &changeset.State{Kind: c.kind, ID: "r", Council: "NRN-ATB", Created: 5})
		if r == nil || r.Code != syncproto.CodeInvalid || len(r.Fields) != 1 || r.Fields[0].Field != field || r.Fields[0].Code != c.code ||
			!strings.Contains(r.Message, "whose "+c.member+" ") {
			t.Errorf("%s %s with %.80s: %+v, want it refused as invalid, naming the field (%s) and its %s", c.kind, c.coll, c.members, r, c.code, c.member)
		}
	}
	// Material use: an id that is no id.
	op := &changeset.Op{Device: "d", Seq: 1, HLC: 9, Kind: domain.KindEvent, Record: "r", Council: "NRN-ATB", Action: changeset.ActionUpdate,
		Fields: map[string]changeset.Change{"materials/m1": {Value: json.RawMessage(`{"id":"m1"}`)}}}
	if r := CheckWrite(sec, op, &changeset.State{Kind: domain.KindEvent, ID: "r", Council: "NRN-ATB", Created: 5}); r == nil || r.Fields[0].Code != domain.CodeFormat {
		t.Errorf("a material used whose id is no id: %+v", r)
	}
}

// FuzzCheckFieldReadable: a value CheckField takes for a field, every
// copy reads (changeset.Schema.FromFields into the kind's type marks no
// field unreadable): the promise the rule is for.
func FuzzCheckFieldReadable(f *testing.F) {
	kinds := make([]string, 0, len(recordTypes))
	for k := range recordTypes {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	const item = "0190a5c2-0000-7000-8000-00000000c001"
	for i, kind := range kinds {
		var full map[string]json.RawMessage
		if err := json.Unmarshal(fullValue(recordTypes[kind]), &full); err != nil {
			f.Fatal(err)
		}
		for name, v := range full {
			f.Add(uint8(i), name, string(v))
		}
		for _, coll := range Collections(kind) {
			f.Add(uint8(i), coll+"/"+item, `{"id":"`+item+`","on":"2026-12-01","name":"x","size":0}`)
		}
	}
	f.Add(uint8(0), "PUBLISHED", `true`)
	f.Fuzz(func(t *testing.T, which uint8, field, value string) {
		if !json.Valid([]byte(value)) || field == "" {
			return
		}
		kind := kinds[int(which)%len(kinds)]
		if CheckField(kind, "r", field, []byte(value)) != nil {
			return
		}
		v := reflect.New(recordTypes[kind]).Interface()
		err := changeset.Schema{Collections: Collections(kind)}.FromFields(map[string]json.RawMessage{field: json.RawMessage(value)}, v)
		var fe *changeset.FieldsError
		if errors.As(err, &fe) {
			t.Fatalf("%s %s = %s taken, but a copy cannot read it: %v", kind, field, value, err)
		}
	})
}
