package changeset

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
)

type dated struct {
	Title string       `json:"title"`
	On    caldate.Date `json:"on"`
	N     int          `json:"n"`
	Items []item       `json:"items"`
	Zone  string       `json:"zone"`
}

// TestFromFieldsKeepsWhatFits: a field of the wrong type (a peer's bug, or a
// newer version's change) hides that field only, never the record.
func TestFromFieldsKeepsWhatFits(t *testing.T) {
	schema := Schema{Collections: []string{"items"}}
	good := map[string]string{
		"title": `"Суу"`, "on": `"2026-03-02"`, "n": `4`, "zone": `"Нарын"`,
		"items/01": `{"id":"01","text":"ң"}`, "items/02": `{"id":"02","text":"ө"}`,
	}
	full := dated{Title: "Суу", On: caldate.MustParse("2026-03-02"), N: 4, Zone: "Нарын", Items: []item{{"01", "ң"}, {"02", "ө"}}}
	for _, c := range []struct {
		name string
		bad  map[string]string // replaces or adds fields
		want func(d *dated)    // what is missing from full
		gone []string          // FieldsError.Fields
	}{
		{"all fit", nil, func(*dated) {}, nil},
		{"a number where a date goes", map[string]string{"on": `5`}, func(d *dated) { d.On = caldate.Date{} }, []string{"on"}},
		{"a date that is not one", map[string]string{"on": `"2026-13-45"`}, func(d *dated) { d.On = caldate.Date{} }, []string{"on"}},
		{"text where a number goes", map[string]string{"n": `"four"`}, func(d *dated) { d.N = 0 }, []string{"n"}},
		{"one collection item of the wrong shape", map[string]string{"items/02": `{"id":"02","text":7}`}, func(d *dated) { d.Items = d.Items[:1] }, []string{"items/02"}},
		{"two bad fields", map[string]string{"on": `[]`, "title": `{}`}, func(d *dated) { d.On, d.Title = caldate.Date{}, "" }, []string{"on", "title"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fields := map[string]json.RawMessage{}
			for k, v := range good {
				fields[k] = json.RawMessage(v)
			}
			for k, v := range c.bad {
				fields[k] = json.RawMessage(v)
			}
			var got dated
			err := schema.FromFields(fields, &got)
			want := full
			want.Items = append([]item(nil), full.Items...)
			c.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded %+v, want %+v", got, want)
			}
			var fe *FieldsError
			switch {
			case c.gone == nil && err != nil:
				t.Fatalf("error %v, want none", err)
			case c.gone != nil && !errors.As(err, &fe):
				t.Fatalf("error %v, want a FieldsError", err)
			case c.gone != nil && !reflect.DeepEqual(fe.Fields, c.gone):
				t.Fatalf("fields that did not fit %v, want %v", fe.Fields, c.gone)
			}
		})
	}
}

func TestNames(t *testing.T) {
	type meta struct {
		Created string `json:"created"`
	}
	type rec struct {
		meta
		ID    string  `json:"id"`
		Title string  `json:"title,omitempty"`
		Note  *string `json:"note"`
		Skip  string  `json:"-"`
		//lint:ignore SA5008 the test is that a field tagged "-," is named "-", as encoding/json names it
		Dash  string `json:"-,"`
		Plain int
		//lint:ignore U1000 the test is that an unexported field is not a field
		hidden int
	}
	got := Names(&rec{})
	want := map[string]bool{"created": true, "id": true, "title": true, "note": true, "-": true, "Plain": true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
}

// TestDiffKeepsFieldsOfNewerVersions: editing a record on a laptop that
// does not know some of its fields (written by a newer version) must not
// remove them; fields it knows and that are gone are removed.
func TestDiffKeepsFieldsOfNewerVersions(t *testing.T) {
	schema := Schema{Collections: []string{"items"}}
	var s State
	create := &Op{Device: "A", Seq: 1, HLC: 5, Kind: "appeal", Record: "r1", Action: ActionCreate, Fields: map[string]Change{
		"title": ch(`"Көл"`, 0), "n": ch(`3`, 0), "items/01": ch(`{"id":"01","text":"ң"}`, 0),
		"future": ch(`"жаңы"`, 0), "gadgets/01": ch(`{"id":"01"}`, 0),
	}}
	if _, _, err := s.Apply(create); err != nil {
		t.Fatal(err)
	}
	edited := rec{N: 4} // title cleared, the item removed
	next, err := schema.ToFields(edited, "id")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, c := range Diff(&s, next, Names(edited)) {
		got[k] = string(c.Value)
	}
	want := map[string]string{"n": "4", "title": "null", "items/01": "null"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("diff %v, want %v (future and gadgets/01 kept)", got, want)
	}
	// Without the names (nil), every absent field is removed, as before.
	if d := Diff(&s, next, nil); len(d) != 5 {
		t.Fatalf("diff without names has %d changes, want 5", len(d))
	}
}

// TestDiffKeepsAnItemThatIsNot: an item of a collection whose value is no
// item (text a laptop of before policy.CheckItem wrote for one) is left
// out of the record read, and a save of it does not remove it: written
// null, that removed at the centre the item the server had kept when it
// refused the text. An item it read and that is gone is removed.
func TestDiffKeepsAnItemThatIsNot(t *testing.T) {
	schema := Schema{Collections: []string{"items"}}
	var s State
	create := &Op{Device: "A", Seq: 1, HLC: 5, Kind: "appeal", Record: "r1", Action: ActionCreate, Fields: map[string]Change{
		"n": ch(`3`, 0), "items/01": ch(`"бириктирилди"`, 0), "items/02": ch(`{"id":"another"}`, 0), "items/03": ch(`{"id":"03"}`, 0),
	}}
	if _, _, err := s.Apply(create); err != nil {
		t.Fatal(err)
	}
	next, err := schema.ToFields(rec{N: 4}, "id")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, c := range Diff(&s, next, Names(rec{})) {
		got[k] = string(c.Value)
	}
	if want := map[string]string{"n": "4", "items/03": "null"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("diff %v, want %v (items/01 and items/02, no items, kept)", got, want)
	}
}

// fromFieldsViaMap is how FromFields rebuilt a record before it wrote the
// JSON object itself: the fields as a map, marshalled, then decoded.
func fromFieldsViaMap(s Schema, fields map[string]json.RawMessage, v any) error {
	top := map[string]any{}
	items := map[string][]string{}
	for name, val := range fields {
		if coll, id, ok := strings.Cut(name, ItemSep); ok && s.isCollection(coll) {
			if !isNull(val) {
				items[coll] = append(items[coll], id)
			}
			continue
		}
		if !strings.HasPrefix(name, "_") {
			top[name] = val
		}
	}
	for coll, ids := range items {
		sort.Strings(ids)
		var list []json.RawMessage
		for _, id := range ids {
			list = append(list, fields[coll+ItemSep+id])
		}
		top[coll] = list
	}
	raw, err := json.Marshal(top)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// FromFields writes the fields as one JSON object and decodes it: the
// record it makes is the one the map's JSON made, for records of every
// shape (collections, removed items, a tombstone, fields it does not know,
// names to escape, values that do not fit).
func TestFromFieldsAsThroughAMap(t *testing.T) {
	schema := Schema{Collections: []string{"items"}}
	rng := rand.New(rand.NewPCG(3, 4))
	values := map[string][]string{
		"title": {`"Суу"`, `"a \"quoted\" <b>"`, `""`, `null`, `"\u00e9\ud83d\ude00"`},
		"on":    {`"2026-03-02"`, `null`, `"2025-12-31"`},
		"n":     {`4`, `0`, `-12`, `1e3`, `null`},
		"zone":  {`"Нарын"`, `"Ош"`},
	}
	for i := range 2000 {
		fields := map[string]json.RawMessage{}
		for name, vs := range values {
			if rng.IntN(4) > 0 {
				fields[name] = json.RawMessage(vs[rng.IntN(len(vs))])
			}
		}
		for n := rng.IntN(5); n > 0; n-- {
			id := fmt.Sprintf("%02d", rng.IntN(10))
			v := fmt.Sprintf(`{"id":%q,"text":"ң%d"}`, id, rng.IntN(100))
			if rng.IntN(5) == 0 {
				v = "null" // removed
			}
			fields["items/"+id] = json.RawMessage(v)
		}
		if rng.IntN(5) == 0 {
			fields[DeletedField] = json.RawMessage("true")
		}
		if rng.IntN(5) == 0 {
			fields["newer\n\"field\""] = json.RawMessage(`{"a":[1,2]}`)
		}
		if rng.IntN(8) == 0 {
			fields["Title"] = json.RawMessage(`"upper"`) // encoding/json matches names alike
		}
		var got, want dated
		err := schema.FromFields(fields, &got)
		if wantErr := fromFieldsViaMap(schema, fields, &want); wantErr == nil && err != nil {
			t.Fatalf("record %d %v: %v", i, fields, err)
		} else if wantErr != nil {
			continue // a field that does not fit: TestFromFieldsKeepsWhatFits
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("record %d %v:\n got %+v\nwant %+v", i, fields, got, want)
		}
	}
}

// rich has a field of each kind fromStateDirect sets itself or hands to
// encoding/json.
type rich struct {
	Title  string            `json:"title"`
	On     caldate.Date      `json:"on,omitzero"`
	Due    *caldate.Date     `json:"due,omitempty"`
	Small  int8              `json:"small"`
	Ok     bool              `json:"ok"`
	Rate   float64           `json:"rate"`
	Tags   []string          `json:"tags"`
	Who    *item             `json:"who"`
	Any    any               `json:"any"`
	Counts map[string]int    `json:"counts"`
	Items  []item            `json:"items"`
	Raw    json.RawMessage   `json:"raw"`
	NoTag  string            // named as encoding/json names it: "NoTag"
	Dash   string            `json:"-"`
	Extra  map[string]string `json:"extra,omitempty"`
	Place  place             `json:"place"`
	Named  []named           `json:"named"`
}

type place struct {
	Name string       `json:"name"`
	On   caldate.Date `json:"on"`
	N    int16        `json:"n"`
	Ok   bool         `json:"ok"`
	Tags []string     `json:"tags"`
}

type named string

// FromState set field by field (fromStateDirect) makes what decoding the
// object makes (fromStateObject), or leaves it to that: generated states of
// every kind of field, values that fit and do not (overflows, wrong types,
// escapes, invalid UTF-8, null and empty values), collection items, names
// alike but for case, names of no field, and only some fields. Most
// states are set directly.
func TestFromStateDirect(t *testing.T) {
	schema := Schema{Collections: []string{"items"}}
	rng := rand.New(rand.NewPCG(20261206, 15))
	values := map[string][]string{
		"title": {`"Көл"`, `"a\"b"`, `"tab\tin"`, `"\u00e9"`, "\"bad \xff utf8\"", `""`, `null`, ``, `7`},
		"on":    {`"2026-03-02"`, `null`, `"2026-3-2"`, `5`},
		"due":   {`"2026-03-02"`, `null`},
		"small": {`3`, `-128`, `127`, `128`, `1.5`, `"3"`, `null`},
		"ok":    {`true`, `false`, `null`, `"true"`, `1`},
		"rate":  {`1.5`, `2`, `null`},
		"tags":  {`["a","b"]`, `[]`, `null`, `"a"`},
		"who": {`{"id":"x","text":"y"}`, `null`, `{"id":1}`, `{}`, `{"id":"x","id":"z"}`, `{"id": "x"}`, `{"ID":"x"}`,
			`{"id":"x","other":{"a":1}}`, `{"id":"x","other":7,"more":"ң"}`, `{"i\u0064":"x"}`, `{"id":"a\"b"}`, `{"text":null}`},
		"place": {`{"name":"Нарын","on":"2026-01-02","n":3,"ok":true}`, `{"ok":true,"ok":false}`, `{"n":70000}`, `{"on":null,"n":null}`,
			`{"tags":["a"]}`, `{"name":5}`, `null`, `{"on":"bad"}`, `{"n":-1,"name":"","ok":false}`},
		"named":   {`["a","b"]`, `[]`, `[""]`, `null`, `["a",1]`, `[ "a"]`, `["a\"b","c"]`, `["a","b","c"]`},
		"any":     {`{"a":[1,2]}`, `"s"`, `3`, `null`},
		"counts":  {`{"a":1}`, `null`, `{"a":"b"}`},
		"items":   {`[]`, `[{"id":"09","text":"top"}]`, `null`, `5`},
		"raw":     {`{"x":1}`, `null`},
		"NoTag":   {`"n"`},
		"notag":   {`"folded"`},
		"Dash":    {`"no"`},
		"-":       {`"no"`},
		"unknown": {`{"a":[1,2]}`, `"z"`},
		"other/x": {`1`},
		"_del":    {`true`},
		"TITLE":   {`"upper"`},
		"extra":   {`{"k":"v"}`},
	}
	names := slices.Sorted(maps.Keys(values))
	onlies := []map[string]bool{nil, nil, {"title": true, "items": true}, {"small": true, "on": true}}
	direct := 0
	const rounds = 5000
	for round := range rounds {
		st := &State{Kind: "rec", ID: "r", Fields: map[string]FieldValue{}}
		for _, name := range names {
			odd := name == "TITLE" || name == "notag" || name == "NoTag" || name == "Dash"
			if odd && round%4 != 0 {
				continue // a quarter of the rounds: names that fold to a field
			}
			if rng.IntN(2) == 0 {
				vs := values[name]
				st.Fields[name] = FieldValue{Value: json.RawMessage(vs[rng.IntN(len(vs))])}
			}
		}
		for n := rng.IntN(4); n > 0; n-- {
			id := fmt.Sprintf("0%d", rng.IntN(5))
			v := fmt.Sprintf(`{"id":%q,"text":"ң %d"}`, id, rng.IntN(9))
			switch rng.IntN(8) {
			case 0:
				v = `null`
			case 1:
				v = `{"id":"` + id + `","text":5}` // does not fit
			case 2:
				v = `{"id":"` + id + `","text":"a\nb"}`
			case 3:
				v = `{"Id":"` + id + `"}`
			}
			st.Fields["items/"+id] = FieldValue{Value: json.RawMessage(v)}
		}
		only := onlies[round%len(onlies)]
		var want, got rich
		wantErr := schema.fromStateObject(st, only, &want)
		if schema.fromStateDirect(st, only, &got) {
			direct++
			if wantErr != nil {
				t.Fatalf("round %d, fields %v, only %v: set directly, but the object does not decode: %v", round, st.Values(), only, wantErr)
			}
		} else if !reflect.DeepEqual(got, rich{}) {
			t.Fatalf("round %d, fields %v: left to the object, but not zero: %+v", round, st.Values(), got)
		} else {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d, fields %v, only %v:\ndirect %+v\nobject %+v", round, st.Values(), only, got, want)
		}
	}
	if direct < rounds/20 {
		t.Fatalf("%d of %d states set directly", direct, rounds)
	}
	t.Logf("%d of %d states set directly", direct, rounds)
	var full rich
	full.Title = "x"
	if schema.fromStateDirect(&State{Fields: map[string]FieldValue{"title": {Value: json.RawMessage(`"y"`)}}}, nil, &full) {
		t.Fatal("set directly into a value that was not zero")
	}
}
