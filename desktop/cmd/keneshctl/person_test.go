package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const personAppeal = `{
  "council": "NRN-ATB",
  "channel": "phone",
  "language": "ru",
  "appellant": {"name": "Асанова Гүлнара", "phone": "+996 555 12 34 56"},
  "gender": "female",
  "oblast": "KG-N",
  "category": "police_justice",
  "summary": "Милиция арызды каттоодон баш тартты"
}`

func personCLI(t *testing.T) *ctlRun {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Ат-Башы ноутбугу")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")
	c.ok("", "council", "home", "NRN-ATB")
	c.ok(personAppeal, "appeal", "add")
	return c
}

// TestPersonRecordsUnchanged: without --format, scripts get the records as
// before.
func TestPersonRecordsUnchanged(t *testing.T) {
	c := personCLI(t)
	p := decode[map[string]any](t, c.ok("", "person", "асанова"))
	for _, k := range []string{"query", "made", "device", "appeals", "events_as_speaker"} {
		if _, ok := p[k]; !ok {
			t.Errorf("the records' export lacks %q: %v", k, p)
		}
	}
	if a := p["appeals"].([]any)[0].(map[string]any); a["category"] != "police_justice" {
		t.Errorf("the records' export changed: %v", a)
	}
	file := filepath.Join(t.TempDir(), "records.json")
	s := decode[map[string]any](t, c.ok("", "person", "асанова", "--out", file))
	if s["file"] != file || s["appeals"].(float64) != 1 || s["events_as_speaker"].(float64) != 0 {
		t.Errorf("summary %v", s)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the export file: %v %v", fi, err)
	}
}

func TestPersonDocumentJSON(t *testing.T) {
	c := personCLI(t)
	// The default language is the person's: their appeal's.
	d := decode[map[string]any](t, c.ok("", "person", "0555 123 456", "--format", "json"))
	if d["format"] != "kenesh.subject-access/1" || d["language"] != "ru" || d["from"] != "Ат-Башы коомдук кеңеши" {
		t.Fatalf("document: %v", d)
	}
	fields := d["appeals"].([]any)[0].(map[string]any)["fields"].([]any)
	var category map[string]any
	for _, f := range fields {
		if f := f.(map[string]any); f["field"] == "category" {
			category = f
		}
	}
	if category["text"] != "Милиция и правосудие" || category["code"] != "police_justice" || category["label"] == "" {
		t.Errorf("category: %v", category)
	}
	// A namesake's appeal is left out by its registration number.
	other := decode[map[string]any](t, c.ok(strings.Replace(personAppeal, "Асанова Гүлнара", "Асанова Бүбүсара", 1), "appeal", "add"))
	d = decode[map[string]any](t, c.ok("", "person", "асанова", "--format", "json"))
	if n := len(d["appeals"].([]any)); n != 2 {
		t.Fatalf("%d appeals found for the surname, want 2", n)
	}
	d = decode[map[string]any](t, c.ok("", "person", "асанова", "--format", "json", "--exclude", other["reg_no"].(string)))
	if a := d["appeals"].([]any); len(a) != 1 || a[0].(map[string]any)["reg_no"] == other["reg_no"] {
		t.Fatalf("--exclude left %v", a)
	}
	for _, lang := range []string{"ky", "en"} {
		d := decode[map[string]any](t, c.ok("", "person", "асанова", "--format", "json", "--lang", lang, "--requested-on", "2020-01-02"))
		if d["language"] != lang {
			t.Errorf("--lang %s: %v", lang, d["language"])
		}
		for _, f := range d["request"].([]any) {
			if f := f.(map[string]any); f["field"] == "answer_by" && f["code"] != "2020-01-09" {
				t.Errorf("answer by %v for a request of 2 January 2020", f["code"])
			}
		}
	}
}

func TestPersonDocumentPDF(t *testing.T) {
	c := personCLI(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "жооп.pdf")
	s := decode[map[string]any](t, c.ok("", "person", "Асанова", "--format", "pdf", "--lang", "ky", "--out", file))
	if s["file"] != file || s["format"] != "pdf" || s["language"] != "ky" || s["appeals"].(float64) != 1 {
		t.Errorf("summary %v", s)
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatalf("pdftotext not found: install poppler-utils (.ci/ensure-deps does): %v", err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, w := range []string{"Асанова Гүлнара", "Милиция жана сот адилеттиги", "Жеке маалыматтар боюнча суроо-талапка жооп"} {
		if !strings.Contains(text, w) {
			t.Errorf("the PDF lacks %q", w)
		}
	}
	for _, code := range []string{"police_justice", "female", "KG-N ", "received"} {
		if strings.Contains(text, code) {
			t.Errorf("the PDF shows the code %q", code)
		}
	}

	// An existing file is never overwritten.
	code, _, errs := c.run("", "person", "Асанова", "--format", "pdf", "--out", file)
	if code != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("second export to the same file: exit %d, %s", code, errs)
	}
	// To stdout when it is not a terminal (a pipe, a file).
	if got := c.ok("", "person", "Асанова", "--format", "pdf"); !strings.HasPrefix(got, "%PDF-") {
		t.Errorf("PDF on stdout starts %q", got[:min(len(got), 20)])
	}
}

func TestPersonFlags(t *testing.T) {
	c := personCLI(t)
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"person", "асанова", "--format", "xml"}, 2, "use json or pdf"},
		{[]string{"person", "асанова", "--format", "pdf", "--lang", "de"}, 2, "use ky, ru or en"},
		{[]string{"person", "асанова", "--lang", "ru"}, 2, "add --format"},
		{[]string{"person", "асанова", "--exclude", "x"}, 2, "add --format"},
		{[]string{"person", "асанова", "--format", "json", "--exclude", "NRN-ATB-2026-XXXX-0001"}, 1, "not among the records found"},
		{[]string{"person", "асанова", "--format", "json", "--requested-on", "05.03.2026"}, 2, "YYYY-MM-DD"},
		{[]string{"person", "асанова", "--format", "json", "--requested-on", "2999-01-01"}, 1, "after today"},
		{[]string{"person", "ас", "--format", "json"}, 1, "at least 3"},
	}
	for _, tt := range tests {
		code, _, errs := c.run("", tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.stderr) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, errs, tt.code, tt.stderr)
		}
	}
}
