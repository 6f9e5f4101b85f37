package xlsform

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "write testdata/*.xlsx from the corpus's sheets")

// The corpus: each form is a directory of its sheets as tab-separated
// text (survey.tsv, choices.tsv, settings.tsv), so that a change to a form
// reads as a diff; the test writes them into a real XLSX workbook with
// excelize and reads that back.

func readTSV(t testing.TB, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}

// workbook makes an XLSX file of the form in dir, numbers as numbers (as
// Excel stores a typed 18 or 2026031201).
func workbook(t testing.TB, dir string) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	first := true
	for _, sheet := range []string{"survey", "choices", "settings"} {
		path := filepath.Join(dir, sheet+".tsv")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if first {
			if err := x.SetSheetName("Sheet1", sheet); err != nil {
				t.Fatal(err)
			}
			first = false
		} else if _, err := x.NewSheet(sheet); err != nil {
			t.Fatal(err)
		}
		for i, row := range readTSV(t, path) {
			cells := make([]any, len(row))
			for j, c := range row {
				cells[j] = c
				if c != "" && strings.Trim(c, "0123456789") == "" && len(c) < 15 {
					var n int64
					json.Unmarshal([]byte(c), &n)
					cells[j] = n
				}
			}
			cellName, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := x.SetSheetRow(sheet, cellName, &cells); err != nil {
				t.Fatal(err)
			}
		}
	}
	if first {
		x.SetSheetName("Sheet1", "notes")
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func corpus(t testing.TB, kind string) []string {
	dirs, err := filepath.Glob(filepath.Join("testdata", kind, "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no %s forms in testdata: %v", kind, err)
	}
	return dirs
}

// loadForm reads a form of the corpus.
func loadForm(t testing.TB, name string) *Form {
	t.Helper()
	f, err := Read(workbook(t, filepath.Join("testdata", "forms", name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func TestCorpusForms(t *testing.T) {
	for _, dir := range corpus(t, "forms") {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			data := workbook(t, dir)
			f, err := Read(data)
			if err != nil {
				t.Fatal(err)
			}
			if f.ID != name && !strings.HasPrefix(f.ID, name) {
				t.Errorf("form_id %q, want %s...", f.ID, name)
			}
			if f.Version == "" || len(f.Fields()) < 4 {
				t.Errorf("version %q, %d fields", f.Version, len(f.Fields()))
			}
			for _, q := range f.All() {
				if q.Type != TypeGroup && q.Label.In("ky") == "" {
					t.Errorf("%s has no Kyrgyz label", q.Name)
				}
			}
			// The definition travels as JSON: read back, the same form.
			js, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := Decode(js)
			if err != nil {
				t.Fatalf("decode its own JSON: %v", err)
			}
			js2, _ := json.Marshal(g)
			if !bytes.Equal(js, js2) {
				t.Errorf("JSON round trip differs:\n%s\n%s", js, js2)
			}
			// The workbook kept beside the sheets (for keneshctl form
			// publish and for people) is the same form.
			path := filepath.Join("testdata", name+".xlsx")
			if *update {
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			kept, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestCorpusForms -update writes it)", err)
			}
			k, err := Read(kept)
			if err != nil {
				t.Fatal(err)
			}
			if js3, _ := json.Marshal(k); !bytes.Equal(js, js3) {
				t.Errorf("%s is not the form of its sheets: go test -run TestCorpusForms -update", path)
			}
		})
	}
}

func TestCorpusBroken(t *testing.T) {
	for _, dir := range corpus(t, "broken") {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			want := readTSV(t, filepath.Join(dir, "want.txt"))
			_, err := Read(workbook(t, dir))
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want Errors", err)
			}
			if len(es) != len(want) {
				t.Errorf("%d errors, want %d:\n%v", len(es), len(want), err)
			}
			for i, w := range want {
				if i < len(es) && !strings.HasPrefix(es[i].Error(), w[0]) {
					t.Errorf("error %d:\n got %s\nwant %s...", i+1, es[i], w[0])
				}
			}
		})
	}
}

func TestCouncilNeedsShape(t *testing.T) {
	f := loadForm(t, "council_needs")
	if f.ID != "council_needs_2026" || f.Version != "2026031201" || f.DefaultLanguage != "ky" {
		t.Errorf("settings: %q %q %q", f.ID, f.Version, f.DefaultLanguage)
	}
	if got := f.Title.In("ru"); got != "Оценка потребностей общественного совета" {
		t.Errorf("title ru %q", got)
	}
	if f.Question("start") != nil {
		t.Error("the metadata row start became a question")
	}
	d := f.Question("district")
	if d == nil || d.List != "district" || d.ChoiceFilter != "oblast=${oblast}" || f.Group(d).Name != "council" {
		t.Fatalf("district: %+v", d)
	}
	if got := f.Question("age").Hint.In("en"); got != "Whole years" {
		t.Errorf("hint %q", got)
	}
	if c := f.Choice("district", "KG-N-ATB"); c == nil || c.Columns["oblast"] != "KG-N" || c.Label["ky"] != "Ат-Башы району" {
		t.Errorf("choice %+v", c)
	}
	var names []string
	for _, q := range f.Fields() {
		names = append(names, q.Name)
	}
	want := []string{"respondent_name", "gender", "age", "role", "role_other", "oblast", "district", "members", "women", "founded",
		"trained", "trained_topics", "needed_topics", "budget", "comment"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("fields %v", names)
	}
}

// A form read from a plain XLSX with the languages named otherwise, blank
// rows between, and sheets named in capitals.
func TestParseVariants(t *testing.T) {
	f, err := Parse(Sheets{
		"Survey":   {{"Type", "Name", "Label::English", "label::Кыргызча", "Required"}, {}, {"INTEGER", "n", "Number", "Сан", "TRUE"}, {"  select_one   yn ", "c", "Choose", "Тандаңыз", "false"}},
		"CHOICES":  {{"list name", "name", "label::en", "label::ky"}, {"yn", "y", "Yes", "Ооба"}},
		"settings": {{"form_id", "version"}, {}, {"x1", "7"}},
		"notes":    {{"anything"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, c := f.Question("n"), f.Question("c")
	if n.Type != TypeInteger || n.Required != "true()" || n.Label["ky"] != "Сан" || n.Row != 3 {
		t.Errorf("n: %+v", n)
	}
	if c.Type != TypeSelectOne || c.List != "yn" || c.Required != "" {
		t.Errorf("c: %+v", c)
	}
}

func TestReadNotAWorkbook(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("type,name\ntext,a\n"), []byte("PK\x03\x04 cut"), bytes.Repeat([]byte("x"), MaxFileSize+1)} {
		_, err := Read(data)
		if err == nil || errors.As(err, new(Errors)) {
			t.Errorf("%.20q: %v", data, err)
		}
	}
}
