package domain

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
)

// fill sets every field of v (at every depth) at random: empty, zero, nil
// or set, texts with Cyrillic, quotes, HTML and bytes that are not UTF-8.
// secret is written into every text that may be personal, to be looked
// for in what an anonymised export holds.
func fill(rng *rand.Rand, v reflect.Value, depth int) {
	texts := []string{"", "Айгүл Токтогулова", `"quoted" <b>&</b>`, "line\nbreak\ttab", "bad \xff\xfe utf-8", "ң ө ү", "0555 12 34 56", "2026-03-02"}
	switch v.Type() {
	case reflect.TypeFor[caldate.Date]():
		if rng.IntN(3) > 0 {
			v.Set(reflect.ValueOf(caldate.MustParse("2026-01-01").AddDays(rng.IntN(800) - 400)))
		}
		return
	case reflect.TypeFor[time.Time]():
		if rng.IntN(3) > 0 {
			t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(1e17)))
			if rng.IntN(2) == 0 {
				t = t.In(time.FixedZone("Asia/Bishkek", 6*3600))
			}
			v.Set(reflect.ValueOf(t))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(texts[rng.IntN(len(texts))])
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt([]int64{0, 1, -3, 42, 1 << 40}[rng.IntN(5)])
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint([]uint64{0, 1, 255}[rng.IntN(3)])
	case reflect.Float64, reflect.Float32:
		v.SetFloat([]float64{0, 0.1, 2.5, -7}[rng.IntN(4)])
	case reflect.Pointer:
		if depth < 4 && rng.IntN(4) > 0 {
			p := reflect.New(v.Type().Elem())
			fill(rng, p.Elem(), depth+1)
			v.Set(p)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		switch n := rng.IntN(5) - 1; {
		case n < 0: // nil
		case depth < 4:
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				fill(rng, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch n := rng.IntN(5) - 1; {
		case n < 0:
		case depth < 4:
			m := reflect.MakeMapWithSize(v.Type(), n)
			for range n {
				k := reflect.New(v.Type().Key()).Elem()
				fill(rng, k, depth+1)
				e := reflect.New(v.Type().Elem()).Elem()
				fill(rng, e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	}
}

// The typed anonymisation gives, on thousands of records filled at
// random (every field, at every depth), exactly what the same rule gives
// on the record's JSON: nothing the JSON path leaves out gets through,
// nothing it keeps is lost.
func TestAnonymiseTypedAsThroughJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, tt := range []struct {
		kind string
		typ  reflect.Type
	}{{KindAppeal, reflect.TypeFor[Appeal]()}, {KindEvent, reflect.TypeFor[Event]()}, {KindGrant, reflect.TypeFor[Grant]()}} {
		for i := range 3000 {
			p := reflect.New(tt.typ)
			fill(rng, p.Elem(), 0)
			want, err := anonymiseJSON(tt.kind, p.Interface())
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range []any{p.Interface(), p.Elem().Interface()} {
				got, ok, err := anonymiseTyped(tt.kind, rec)
				if !ok || err != nil {
					t.Fatalf("%s %d: typed path not taken (%v) or failed: %v", tt.kind, i, ok, err)
				}
				if !reflect.DeepEqual(got, want) {
					g, _ := json.MarshalIndent(got, "", " ")
					w, _ := json.MarshalIndent(want, "", " ")
					t.Fatalf("%s %d (%T): typed\n%s\nthrough JSON\n%s", tt.kind, i, rec, g, w)
				}
			}
		}
	}
}

// A shape the typed path does not follow goes through the JSON: the same
// answer either way.
func TestAnonymiseOtherShapes(t *testing.T) {
	type embedded struct{ Gender string }
	type withEmbedded struct {
		embedded
		Name string `json:"name"`
	}
	for _, rec := range []any{
		map[string]any{"gender": "female", "appellant": map[string]any{"name": "Айгүл"}},
		withEmbedded{embedded{"female"}, "Айгүл"},
		&struct {
			Gender string `json:"gender"`
			Count  int    `json:"extension_days,string"`
		}{"male", 3},
		json.RawMessage(`{"gender":"female","village":"Ак-Суу"}`),
	} {
		got, err := Anonymise(KindAppeal, rec)
		if err != nil {
			t.Fatalf("%T: %v", rec, err)
		}
		want, err := anonymiseJSON(KindAppeal, rec)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%T: %v, through JSON %v (%v)", rec, got, want, err)
		}
		if s := fmt.Sprint(got); strings.Contains(s, "Айгүл") || strings.Contains(s, "Ак-Суу") {
			t.Errorf("%T: a name got through: %v", rec, got)
		}
	}
	if _, err := Anonymise("nothing", &Appeal{}); err == nil {
		t.Error("an unknown kind anonymised")
	}
}
