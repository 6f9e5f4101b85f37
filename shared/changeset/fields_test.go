package changeset

import (
	"encoding/json"
	"errors"
	"reflect"
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
