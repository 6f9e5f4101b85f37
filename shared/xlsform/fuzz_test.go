package xlsform

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A form comes from outside (central staff's spreadsheet, or a definition
// record pulled from the server): whatever it holds, reading it gives a
// form that checks responses, or errors each with its sheet and a message;
// never a panic.

func fuzzForm(t *testing.T, f *Form, err error) {
	if err != nil {
		var es Errors
		if errors.As(err, &es) {
			for _, e := range es {
				if e.Sheet == "" || e.Msg == "" || e.Row < 0 {
					t.Fatalf("error without its place: %+v", e)
				}
			}
		}
		if err.Error() == "" {
			t.Fatal("an error that says nothing")
		}
		return
	}
	js, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Decode(js)
	if err != nil {
		t.Fatalf("a form read whole does not decode from its own JSON: %v\n%s", err, js)
	}
	// Every question answered with something of its type, and with junk.
	a := Answers{}
	for _, q := range g.All() {
		switch q.Type {
		case TypeInteger, TypeDecimal:
			a[q.Name] = json.RawMessage(`3`)
		case TypeSelectMultiple:
			a[q.Name] = json.RawMessage(`["a","b"]`)
		default:
			a[q.Name] = json.RawMessage(`"2026-03-01"`)
		}
	}
	_ = g.Check(a, checkDay)
	_ = g.Prune(a, checkDay)
	st := g.Evaluate(a, checkDay)
	for _, q := range g.Fields() {
		if q.Select() {
			st.Offered(q)
		}
	}
}

// sheetsOf reads a fuzzer's text as sheets: "# name" lines start a sheet,
// cells are separated by tabs.
func sheetsOf(s string) Sheets {
	out := Sheets{}
	cur := ""
	for _, line := range strings.Split(s, "\n") {
		if name, ok := strings.CutPrefix(line, "# "); ok {
			cur = name
			out[cur] = nil
			continue
		}
		out[cur] = append(out[cur], strings.Split(line, "\t"))
	}
	return out
}

func seedSheets(f *testing.F) {
	for _, dir := range append(corpus(f, "forms"), corpus(f, "broken")...) {
		var b strings.Builder
		for _, sheet := range []string{"survey", "choices", "settings"} {
			data, err := os.ReadFile(filepath.Join(dir, sheet+".tsv"))
			if err != nil {
				continue
			}
			b.WriteString("# " + sheet + "\n")
			b.Write(data)
		}
		f.Add(b.String())
	}
}

func FuzzParse(f *testing.F) {
	seedSheets(f)
	f.Fuzz(func(t *testing.T, s string) {
		form, err := Parse(sheetsOf(s))
		fuzzForm(t, form, err)
	})
}

func FuzzRead(f *testing.F) {
	for _, dir := range corpus(f, "forms") {
		data := workbook(f, dir)
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add(workbook(f, filepath.Join("testdata", "broken", "several")))
	f.Fuzz(func(t *testing.T, data []byte) {
		form, err := Read(data)
		fuzzForm(t, form, err)
	})
}

func FuzzDecode(f *testing.F) {
	for _, dir := range corpus(f, "forms") {
		form, err := Read(workbook(f, dir))
		if err != nil {
			f.Fatal(err)
		}
		js, _ := json.Marshal(form)
		f.Add(js)
	}
	f.Add([]byte(`{"form_id":"a","version":"1","questions":[{"type":"group","name":"g","children":[{"type":"group","name":"g"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		form, err := Decode(data)
		fuzzForm(t, form, err)
	})
}

func FuzzExpr(f *testing.F) {
	for _, s := range []string{"${a} > 1 and selected(${b}, 'x')", ". <= today()", "count-selected(.) <= 3", "oblast=${a}",
		"if(${a} = '', 0, int(${a} div 2)) mod 3", "regex(., '^[0-9]{9}$')", "not(-(-1)) or coalesce(${a}, date('2026-01-01'))"} {
		f.Add(s)
	}
	en := testEnv{vals: map[string]value{"a": num(3), "b": str("x y")}, d: str("12"), cols: map[string]string{"oblast": "3"}}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseExpr(s, exprContext{dot: true, columns: map[string]bool{"oblast": true}})
		if err != nil {
			var xe *ExprError
			if !errors.As(err, &xe) || xe.Pos < 1 || xe.Msg == "" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		e.eval(en)
	})
}

func FuzzCheck(f *testing.F) {
	f.Add([]byte(validNeeds))
	f.Add([]byte(`{"age": 1e400, "trained_topics": [1], "founded": "2026-02-30", "role_other": null}`))
	form := loadForm(f, "council_needs")
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Answers
		if json.Unmarshal(data, &a) != nil {
			return
		}
		err := form.Check(a, checkDay)
		if err != nil && faults(err) == "" {
			t.Fatalf("an error naming no question: %v", err)
		}
	})
}
