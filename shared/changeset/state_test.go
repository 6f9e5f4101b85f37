package changeset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/hlc"
)

func op(dev string, seq uint64, t hlc.Timestamp, fields map[string]Change) *Op {
	return &Op{Device: dev, Seq: seq, HLC: t, Kind: "appeal", Record: "r1", Action: ActionUpdate, Fields: fields}
}

func ch(v string, base hlc.Timestamp) Change { return Change{Value: json.RawMessage(v), Base: base} }

func TestApplyMerge(t *testing.T) {
	tests := []struct {
		name          string
		ops           []*Op
		want          map[string]string
		wantConflicts int
	}{
		{
			name: "different fields on two devices both win",
			ops: []*Op{
				op("A", 1, 10, map[string]Change{"title": ch(`"a"`, 0), "status": ch(`"received"`, 0)}),
				op("A", 2, 20, map[string]Change{"title": ch(`"title by A"`, 10)}),
				op("B", 1, 21, map[string]Change{"status": ch(`"under_review"`, 10)}),
			},
			want: map[string]string{"title": `"title by A"`, "status": `"under_review"`},
		},
		{
			name: "same field concurrently: later clock wins, loser kept as conflict",
			ops: []*Op{
				op("A", 1, 10, map[string]Change{"title": ch(`"base"`, 0)}),
				op("A", 2, 20, map[string]Change{"title": ch(`"A's"`, 10)}),
				op("B", 1, 30, map[string]Change{"title": ch(`"B's"`, 10)}),
			},
			want:          map[string]string{"title": `"B's"`},
			wantConflicts: 1,
		},
		{
			name: "equal clocks: higher device id wins",
			ops: []*Op{
				op("A", 1, 10, map[string]Change{"title": ch(`"A"`, 0)}),
				op("B", 1, 10, map[string]Change{"title": ch(`"B"`, 0)}),
			},
			want:          map[string]string{"title": `"B"`},
			wantConflicts: 1,
		},
		{
			name: "sequential overwrite is not a conflict",
			ops: []*Op{
				op("A", 1, 10, map[string]Change{"title": ch(`"first"`, 0)}),
				op("B", 1, 20, map[string]Change{"title": ch(`"second"`, 10)}),
			},
			want: map[string]string{"title": `"second"`},
		},
		{
			name: "concurrent identical values are not a conflict",
			ops: []*Op{
				op("A", 1, 10, map[string]Change{"title": ch(`"same"`, 0)}),
				op("B", 1, 20, map[string]Change{"title": ch(`"same"`, 0)}),
			},
			want: map[string]string{"title": `"same"`},
		},
		{
			name: "delete concurrent with edit keeps the edit under the tombstone",
			ops: []*Op{
				op("A", 1, 10, map[string]Change{"title": ch(`"x"`, 0)}),
				op("A", 2, 20, map[string]Change{DeletedField: ch(`true`, 0)}),
				op("B", 1, 25, map[string]Change{"title": ch(`"y"`, 10)}),
			},
			want: map[string]string{"title": `"y"`, DeletedField: `true`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every order of delivery must give the same values; conflicts
			// are found whichever side arrives second.
			for trial := 0; trial < 20; trial++ {
				ops := append([]*Op(nil), tt.ops...)
				if trial > 0 {
					r := rand.New(rand.NewPCG(uint64(trial), 7))
					r.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
				}
				var s State
				conflicts := 0
				for _, o := range ops {
					_, c, err := s.Apply(o)
					if err != nil {
						t.Fatal(err)
					}
					conflicts += len(c)
				}
				got := map[string]string{}
				for k, v := range s.Values() {
					got[k] = string(v)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("order %v: values %v, want %v", ids(ops), got, tt.want)
				}
				if trial == 0 && conflicts != tt.wantConflicts {
					t.Fatalf("in causal order: %d conflicts, want %d", conflicts, tt.wantConflicts)
				}
			}
		})
	}
}

func ids(ops []*Op) []string {
	var out []string
	for _, o := range ops {
		out = append(out, o.ID())
	}
	return out
}

func TestApplyIdempotent(t *testing.T) {
	var s State
	o := op("A", 1, 10, map[string]Change{"title": ch(`"x"`, 0)})
	if changed, _, _ := s.Apply(o); len(changed) != 1 {
		t.Fatalf("first apply changed %v", changed)
	}
	changed, conflicts, err := s.Apply(o)
	if err != nil || len(changed) != 0 || len(conflicts) != 0 {
		t.Fatalf("second apply: changed %v conflicts %v err %v", changed, conflicts, err)
	}
}

func TestApplyRefusesOtherRecord(t *testing.T) {
	s := State{Kind: "appeal", ID: "r1"}
	o := op("A", 1, 10, map[string]Change{"x": ch(`1`, 0)})
	o.Record = "r2"
	if _, _, err := s.Apply(o); err == nil {
		t.Fatal("applying another record's operation must fail")
	}
}

type item struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type rec struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	N     int    `json:"n"`
	Items []item `json:"items,omitempty"`
}

func TestFieldsRoundTripAndDiff(t *testing.T) {
	schema := Schema{Collections: []string{"items"}}
	r := rec{ID: "r1", Title: "Көл", N: 3, Items: []item{{ID: "01", Text: "ң"}, {ID: "02", Text: "ө"}}}
	fields, err := schema.ToFields(r, "id")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"items/01", "items/02", "n", "title"}
	if got := keys(fields); !reflect.DeepEqual(got, want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	var back rec
	if err := schema.FromFields(fields, &back); err != nil {
		t.Fatal(err)
	}
	back.ID = r.ID
	if !reflect.DeepEqual(back, r) {
		t.Fatalf("round trip: %+v, want %+v", back, r)
	}

	var s State
	create := &Op{Device: "A", Seq: 1, HLC: 5, Kind: "appeal", Record: "r1", Action: ActionCreate, Fields: map[string]Change{}}
	for k, v := range fields {
		create.Fields[k] = Change{Value: v}
	}
	if _, _, err := s.Apply(create); err != nil {
		t.Fatal(err)
	}
	r.Title = ""                                        // cleared
	r.Items = []item{r.Items[1], {ID: "03", Text: "ү"}} // one removed, one added
	next, _ := schema.ToFields(r, "id")
	d := Diff(&s, next, Names(r))
	got := map[string]string{}
	for k, c := range d {
		got[k] = string(c.Value)
		if c.Base != 0 && c.Base != 5 {
			t.Fatalf("base of %s = %s, want the version seen (5)", k, c.Base)
		}
	}
	wantDiff := map[string]string{"title": "null", "items/01": "null", "items/03": `{"id":"03","text":"ү"}`}
	if !reflect.DeepEqual(got, wantDiff) {
		t.Fatalf("diff %v, want %v", got, wantDiff)
	}
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func TestValidate(t *testing.T) {
	good := func() *Op { return op("A", 1, 10, map[string]Change{"title": ch(`"x"`, 0)}) }
	tests := []struct {
		name string
		mod  func(*Op)
		ok   bool
	}{
		{"good", func(*Op) {}, true},
		{"no device", func(o *Op) { o.Device = "" }, false},
		{"seq zero", func(o *Op) { o.Seq = 0 }, false},
		{"no fields", func(o *Op) { o.Fields = nil }, false},
		{"bad action", func(o *Op) { o.Action = "explode" }, false},
		{"bad json", func(o *Op) { o.Fields["t"] = ch(`{`, 0) }, false},
		{"huge value", func(o *Op) { o.Fields["t"] = ch(fmt.Sprintf("%q", make([]byte, MaxValueBytes)), 0) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.mod(o)
			if err := o.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// compact gives what json.Compact gives (or, for what it refuses, the
// value as it is), always in memory of its own, for values with and
// without white space, in and out of strings, escapes and invalid JSON.
func TestCompactAsJSONCompact(t *testing.T) {
	want := func(raw []byte) []byte {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return raw
		}
		return b.Bytes()
	}
	cases := []string{``, `1`, `"a b"`, ` "a" `, `{"a": 1}`, `{"a":"x\" y","b":[1, 2]}`, `"\\"`, `"\\" `, `"a\\\" b"`,
		"\"tab\tin\"", "{\"a\":\n1}", `[1,2,3]`, `{"a":"ң ө ү"}`, `{"a":"\u00e9"} `, `nul l`, `"open`, `{"a":1`, `"\"`, "\r\n", `["\"", 1]`, `{"a":"\\", "b":1}`, `["\\\"", 2]`}
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{`{`, `}`, `[`, `]`, `"`, `\`, ` `, "\t", "\n", `:`, `,`, `a`, `1`, `ң`, `null`, `"x y"`, `\"`}
	for range 20000 {
		var sb strings.Builder
		for n := rng.IntN(12); n > 0; n-- {
			sb.WriteString(parts[rng.IntN(len(parts))])
		}
		cases = append(cases, sb.String())
	}
	for _, c := range cases {
		raw := json.RawMessage(c)
		got := compact(raw)
		if !bytes.Equal(got, want(raw)) {
			t.Fatalf("compact(%q) = %q, want %q", c, got, want(raw))
		}
		if len(got) > 0 && &got[0] == &raw[0] {
			t.Fatalf("compact(%q) holds the value's own memory", c)
		}
	}
}

// FromState makes of a state what FromFields makes of its values (the
// same ones, when only names some): generated states with collection
// items (null ones too), a top-level value named like the collection,
// merge metadata, names with a separator outside a collection, empty
// values and values of the wrong type (FieldsError, the same fields).
func TestFromStateIsFromFields(t *testing.T) {
	schema := Schema{Collections: []string{"items"}}
	rng := rand.New(rand.NewPCG(20261204, 2))
	values := map[string][]string{
		"title":    {`"Көл"`, `"a\"b"`, `null`, `7`, ``},
		"n":        {`3`, `-1`, `"x"`, `null`},
		"items":    {`[]`, `[{"id":"09","text":"top"}]`, `null`},
		"other/x":  {`1`, `"y"`},
		"_deleted": {`true`, `null`},
		"unknown":  {`{"a":[1,2]}`, `"z"`},
		// Names that match a field folding case: their order decides.
		"Title": {`"Upper"`, `5`},
		"N":     {`9`},
	}
	names := slices.Sorted(maps.Keys(values))
	onlies := []map[string]bool{nil, {"title": true, "items": true}, {"n": true}, {"items": true}, {"other": true}}
	for round := range 3000 {
		st := &State{Kind: "rec", ID: "r", Fields: map[string]FieldValue{}}
		for _, name := range names {
			if round%3 == 0 && (name == "Title" || name == "N") {
				continue // a third of the rounds: lower-case names only
			}
			if rng.IntN(2) == 0 {
				vs := values[name]
				st.Fields[name] = FieldValue{Value: json.RawMessage(vs[rng.IntN(len(vs))])}
			}
		}
		for n := rng.IntN(4); n > 0; n-- {
			id := fmt.Sprintf("0%d", rng.IntN(5))
			v := fmt.Sprintf(`{"id":%q,"text":"ң %d"}`, id, rng.IntN(9))
			switch rng.IntN(5) {
			case 0:
				v = `null`
			case 1:
				v = `{"id":"` + id + `","text":5}` // does not fit
			}
			st.Fields["items/"+id] = FieldValue{Value: json.RawMessage(v)}
		}
		only := onlies[round%len(onlies)]
		fields := map[string]json.RawMessage{}
		for name, f := range st.Fields {
			if key, _, _ := strings.Cut(name, ItemSep); only == nil || only[key] {
				fields[name] = f.Value
			}
		}
		var want, got rec
		wantErr := schema.FromFields(fields, &want)
		gotErr := schema.FromState(st, only, &got)
		if !reflect.DeepEqual(got, want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("round %d, fields %v, only %v:\nFromState  %+v (%v)\nFromFields %+v (%v)", round, st.Values(), only, got, gotErr, want, wantErr)
		}
	}
}

// hasSpaceOutsideStrings says whether json.Compact would change a valid
// value, on its quick path (strings with nothing escaped) and its slow one.
func TestHasSpaceOutsideStrings(t *testing.T) {
	for _, raw := range []string{
		`"plain text with spaces, and more than eight bytes of it"`, `"a"`, `""`, `"Ат-Башы коомдук кеңеши"`,
		`"escaped \" quote "`, `"tab\tescaped"`, `{"a": 1}`, `{"a":"x y"}`, `[1, 2]`, `[1,2]`, ` "x"`, `"x" `,
		"\"x\"\n", `true`, `12`, `{"a":"b\\"}`, `{ }`,
	} {
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(raw)); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if got, want := hasSpaceOutsideStrings([]byte(raw)), b.String() != raw; got != want {
			t.Errorf("hasSpaceOutsideStrings(%q) = %v, want %v", raw, got, want)
		}
	}
}
