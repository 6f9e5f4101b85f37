package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/xlsform"
)

// needsForm is the council needs assessment's form, read from its workbook.
func needsForm(t testing.TB) *xlsform.Form {
	t.Helper()
	data, err := os.ReadFile("../xlsform/testdata/council_needs.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	f, err := xlsform.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFormCache(t *testing.T) {
	f := needsForm(t)
	version := func(v string) []byte {
		g := *f
		g.Version = v
		b, err := json.Marshal(&g)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c := &formCache{max: 8, maxBytes: 1 << 20}
	a1, err := c.decode(version("1"))
	if err != nil {
		t.Fatal(err)
	}
	a2, err := c.decode(version("1"))
	if err != nil || a2 != a1 {
		t.Fatalf("the same definition again: %p %v, want the form decoded first %p", a2, err, a1)
	}
	b, err := c.decode(version("2"))
	if err != nil || b == a1 || b.Version != "2" || a1.Version != "1" {
		t.Fatalf("another version: %v %v (first %v)", b, err, a1.Version)
	}
	for i := range 20 {
		if _, err := c.decode(version(fmt.Sprint("v", i))); err != nil {
			t.Fatal(err)
		}
		if len(c.forms) > c.max {
			t.Fatalf("%d forms kept, at most %d", len(c.forms), c.max)
		}
	}
	// The bytes bound: room for two definitions, never more kept.
	one := len(version("v0"))
	small := &formCache{max: 64, maxBytes: 2*one + one/2}
	for i := range 10 {
		if _, err := small.decode(version(fmt.Sprint("w", i))); err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, cf := range small.forms {
			sum += cf.size
		}
		if len(small.forms) > 2 || small.bytes != sum || small.bytes > small.maxBytes {
			t.Fatalf("%d forms, %d bytes counted (%d in fact), at most %d", len(small.forms), small.bytes, sum, small.maxBytes)
		}
	}
	// A definition larger than the bound is decoded, not kept.
	tiny := &formCache{max: 64, maxBytes: one / 2}
	if f, err := tiny.decode(version("big")); err != nil || f == nil || len(tiny.forms) != 0 {
		t.Fatalf("a definition over the bound: %v %v, %d kept", f, err, len(tiny.forms))
	}
	for _, bad := range [][]byte{[]byte(`{"form_id": "x"`), []byte(`{}`)} {
		if _, err := c.decode(bad); err == nil {
			t.Fatalf("%s decoded", bad)
		}
		if _, err := c.decode(bad); err == nil {
			t.Fatalf("%s decoded the second time", bad)
		}
	}
}

// Many responses judged at once against one definition, as the server's
// ingest and a laptop's saves may: the cached form is only read (run with
// -race).
func TestCheckResponseSharesTheForm(t *testing.T) {
	def, _ := needsDefinition(t)
	today := caldate.MustParse("2026-03-12")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				age := 18 + g + i
				if i%5 == 0 {
					age = 12 // under the constraint's 18
				}
				op, st := needsResponse(t, fmt.Sprintf("r%d-%d", g, i), age)
				r := CheckResponse(op, st, def, today)
				if (r != nil) != (age < 18) {
					t.Errorf("age %d: %v", age, r)
				}
			}
		}()
	}
	wg.Wait()
}

// needsResponse is a response to the needs assessment made by one
// operation, with the respondent's age given.
func needsResponse(t testing.TB, id string, age int) (*changeset.Op, *changeset.State) {
	t.Helper()
	op := &changeset.Op{Device: "a", Seq: 1, HLC: 100, Kind: domain.KindResponse, Record: id, Council: "NRN-ATB", Action: changeset.ActionCreate, Fields: map[string]changeset.Change{}}
	for k, v := range map[string]any{"council": "NRN-ATB", "form_id": "council_needs_2026", "version": "2026031201", "filled_on": "2026-03-12",
		"answers/respondent_name": "Асанова", "answers/gender": "female", "answers/age": age, "answers/role": "chair", "answers/oblast": "KG-N",
		"answers/district": "KG-N-ATB", "answers/members": 15, "answers/trained": "no", "answers/needed_topics": []string{"law"}} {
		b, _ := json.Marshal(v)
		if name, ok := cutAnswer(k); ok {
			b, _ = json.Marshal(map[string]any{"id": name, "value": v})
		}
		op.Fields[k] = changeset.Change{Value: b}
	}
	st := &changeset.State{}
	if _, _, err := st.Apply(op); err != nil {
		t.Fatal(err)
	}
	return op, st
}

func cutAnswer(k string) (string, bool) {
	const p = "answers/"
	if len(k) > len(p) && k[:len(p)] == p {
		return k[len(p):], true
	}
	return "", false
}

// BenchmarkCheckResponse is the server's judgement of one response
// operation against its definition (make the store's state and the
// refusal): with the decoded form kept, and decoding it each time as
// before.
func BenchmarkCheckResponse(b *testing.B) {
	def, _ := needsDefinition(b)
	today := caldate.MustParse("2026-03-12")
	op, st := needsResponse(b, "r", 41)
	b.Run("kept", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := CheckResponse(op, st, def, today); r != nil {
				b.Fatal(r)
			}
		}
	})
	b.Run("decoded-each-time", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, f, err := Questionnaire(def, caldate.Date{})
			if err != nil {
				b.Fatal(err)
			}
			r, _ := ResponseOf(st)
			if err := f.Check(r.AnswerMap(), today); err != nil {
				b.Fatal(err)
			}
		}
	})
}
