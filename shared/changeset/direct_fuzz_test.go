package changeset

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzFromStateDirect checks fromStateDirect against the JSON object it
// stands in for, on any bytes: the states a laptop decodes into structs are
// merged from operations other laptops sent, outside input. Three fields of
// any name and JSON value (and a collection item) are set into rich, which has a
// field of each kind fromStateDirect sets itself or hands to encoding/json
// (TestFromStateDirect's generated states are the systematic cases). Set
// directly, the struct must be what the object decodes to, and the object
// must decode; left to the object, the struct must still be zero.
func FuzzFromStateDirect(f *testing.F) {
	seeds := []struct{ n1, v1, n2, v2, item string }{
		{"title", `"Көл"`, "small", `127`, `{"id":"01","text":"ң"}`},
		{"who", `{"id":"x","text":"y"}`, "place", `{"name":"Нарын","on":"2026-01-02","n":3,"ok":true}`, `null`},
		{"tags", `["a","b"]`, "named", `["a","b"]`, `{"id":"02","text":5}`},
		{"on", `"2026-03-02"`, "due", `null`, `{"Id":"03"}`},
		{"TITLE", `"upper"`, "rate", `1.5`, `{"id":"04","text":"a\nb"}`},
		{"place", `{"ok":true,"ok":false}`, "who", `{"i\u0064":"x"}`, `[]`},
		{"small", `128`, "title", "\"bad \xff utf8\"", `{"id":"05"}`},
		{"any", `{"a":[1,2]}`, "counts", `{"a":"b"}`, `5`},
	}
	for _, s := range seeds {
		f.Add(s.n1, []byte(s.v1), s.n2, []byte(s.v2), []byte(s.item), false)
	}
	schema := Schema{Collections: []string{"items"}}
	f.Fuzz(func(t *testing.T, n1 string, v1 []byte, n2 string, v2 []byte, item []byte, some bool) {
		// A state's values are JSON: an operation's are checked when it
		// is decoded (Op.Validate), before anything is merged.
		if !json.Valid(v1) || !json.Valid(v2) || !json.Valid(item) {
			return
		}
		st := &State{Kind: "rec", ID: "r", Fields: map[string]FieldValue{
			n1:         {Value: json.RawMessage(v1)},
			n2:         {Value: json.RawMessage(v2)},
			"items/01": {Value: json.RawMessage(item)},
		}}
		var only map[string]bool
		if some {
			only = map[string]bool{n1: true, "items": true}
		}
		var got, want rich
		wantErr := schema.fromStateObject(st, only, &want)
		if !schema.fromStateDirect(st, only, &got) {
			if !reflect.DeepEqual(got, rich{}) {
				t.Fatalf("fields %q, only %v: left to the object, but not zero: %+v", st.Values(), only, got)
			}
			return
		}
		if wantErr != nil {
			t.Fatalf("fields %q, only %v: set directly, but the object does not decode: %v", st.Values(), only, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fields %q, only %v:\ndirect %+v\nobject %+v", st.Values(), only, got, want)
		}
	})
}
