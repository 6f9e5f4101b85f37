package ui

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// TestPersonDialog: a secretary whose interface speaks English answers a
// Russian-speaking citizen's request with a Kyrgyz document, from Settings.
func TestPersonDialog(t *testing.T) {
	h := unlocked(t, "en", 5, 2, 0)
	c := h.firstCouncil()
	_, err := h.u.sess.Records().CreateAppeal(context.Background(), domain.Appeal{Council: c.Code, Channel: "phone", Language: "ru",
		Oblast: c.Oblast, District: c.District, Appellant: &domain.Appellant{Name: "Асанова Гүлнара", Phone: "+996 555 12 34 56"},
		Gender: "female", Category: "police_justice", Summary: "Милиция арызды каттоодон баш тартты",
		ReceivedOn: caldate.MustParse("2026-11-20"), RegisteredOn: caldate.MustParse("2026-11-20")})
	if err != nil {
		t.Fatal(err)
	}

	// The way in: a button on the Settings page.
	h.u.shell.navigate(secSettings)
	h.drain()
	overlays := len(h.win.Canvas().Overlays().List())
	h.tap(h.T("person.action"))
	if len(h.win.Canvas().Overlays().List()) != overlays+1 {
		t.Fatal("the Settings button opened no dialog")
	}
	h.mustShow(h.T("person.explain"))
	h.tap(h.T("action.close"))
	if len(h.win.Canvas().Overlays().List()) != overlays {
		t.Fatal("Close left the dialog open")
	}

	p := h.u.showPersonDialog()
	if p.savePDF.Disabled() == false {
		t.Fatal("Save PDF is enabled before a search")
	}
	test.Type(p.query, "ас")
	test.Tap(p.search)
	h.drain()
	if p.status.Text != h.T("person.too_short") {
		t.Fatalf("a two-letter search says %q", p.status.Text)
	}

	p.query.SetText("")
	test.Type(p.query, "0555 123 456")
	p.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter searches
	h.waitFor("the search", func() bool { return p.result != nil })
	if want := h.T("person.found", "appeals", 1, "events", 0); p.status.Text != want {
		t.Fatalf("status %q, want %q", p.status.Text, want)
	}
	if !foundLine(p, "Асанова Гүлнара") || len(p.include) != 1 {
		t.Fatalf("found lines: %v", p.include)
	}
	if p.lang.Selected != "Русский" {
		t.Fatalf("the document's language is %q, not the person's (Russian)", p.lang.Selected)
	}

	// Saved where the person at the laptop chose, in Kyrgyz.
	dir := t.TempDir()
	var names []string
	p.choose = func(name, ext string, then func(fyne.URIWriteCloser)) {
		names = append(names, name)
		w, err := storage.Writer(storage.NewFileURI(filepath.Join(dir, "answer."+ext)))
		if err != nil {
			t.Fatal(err)
		}
		then(w)
	}
	p.lang.SetSelected("Кыргызча")
	test.Tap(p.savePDF)
	test.Tap(p.saveJSON)
	h.drain()
	if len(names) != 2 || !strings.HasSuffix(names[0], "-ky.pdf") || !strings.HasSuffix(names[1], "-ky.json") {
		t.Fatalf("file names offered: %v", names)
	}
	pdf := filepath.Join(dir, "answer.pdf")
	if fi, err := os.Stat(pdf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the PDF file: %v %v", fi, err)
	}
	if !p.saved.Visible() || !strings.Contains(p.saved.Text, "answer.json") {
		t.Errorf("after saving the dialog says %q", p.saved.Text)
	}
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatalf("pdftotext not found: install poppler-utils (.ci/ensure-deps does): %v", err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", pdf, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, w := range []string{"Асанова Гүлнара", "Милиция жана сот адилеттиги", "Жеке маалыматтар боюнча суроо-талапка жооп"} {
		if !strings.Contains(text, w) {
			t.Errorf("the PDF lacks %q", w)
		}
	}
	if strings.Contains(text, "police_justice") || strings.Contains(text, "female") {
		t.Error("the PDF shows codes")
	}
	b, err := os.ReadFile(filepath.Join(dir, "answer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Format, Language string
		Request          []struct{ Field, Code string }
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Format != "kenesh.subject-access/1" || doc.Language != "ky" {
		t.Fatalf("the JSON: %+v %v", doc, err)
	}

	// The request's date: written as the interface writes dates, never
	// after today; a wrong one says so beside the field and saves nothing.
	tests := []struct{ date, err string }{
		{"31.02.2026", h.T("err.format.date")},
		{"01.01.2099", h.T("person.future_date")},
	}
	for _, tt := range tests {
		names = nil
		p.requested.SetText(tt.date)
		test.Tap(p.savePDF)
		if p.dateErr.Text != tt.err || len(names) != 0 {
			t.Errorf("date %s: %q, %d files; want %q", tt.date, p.dateErr.Text, len(names), tt.err)
		}
	}
	p.requested.SetText("20.11.2026")
	p.choose = func(_, _ string, then func(fyne.URIWriteCloser)) { then(nil) } // cancelled
	test.Tap(p.saveJSON)
	if p.dateErr.Text != "" {
		t.Errorf("a good date still shows %q", p.dateErr.Text)
	}

	// Fyne's own file dialog is what a person gets.
	p.choose = h.u.chooseSaveFile
	before := len(h.win.Canvas().Overlays().List())
	test.Tap(p.savePDF)
	if len(h.win.Canvas().Overlays().List()) != before+1 {
		t.Error("Save PDF opened no file dialog")
	}
}

// TestPersonNothingFound: a search that finds nothing still makes an
// answer (saying so).
func TestPersonNothingFound(t *testing.T) {
	h := unlocked(t, "ky", 3, 1, 0)
	p := h.u.showPersonDialog()
	p.query.SetText("Жок Мындай Адам")
	test.Tap(p.search)
	h.waitFor("the search", func() bool { return p.result != nil })
	if p.status.Text != h.T("person.none", "query", "Жок Мындай Адам") || p.savePDF.Disabled() {
		t.Fatalf("status %q, save disabled %v", p.status.Text, p.savePDF.Disabled())
	}
	var saved []byte
	p.choose = func(_, ext string, then func(fyne.URIWriteCloser)) {
		path := filepath.Join(t.TempDir(), "a."+ext)
		w, err := storage.Writer(storage.NewFileURI(path))
		if err != nil {
			t.Fatal(err)
		}
		then(w)
		saved, _ = os.ReadFile(path)
	}
	test.Tap(p.saveJSON)
	var doc struct{ Nothing string }
	if err := json.Unmarshal(saved, &doc); err != nil || !strings.Contains(doc.Nothing, "Жок Мындай Адам") {
		t.Fatalf("the answer when nothing is held: %+v %v", doc, err)
	}
}

// TestPersonKeysExist: every person.* key the dialog uses is in every
// language (the keys test of the package scans other namespaces).
func TestPersonKeysExist(t *testing.T) {
	cat := l10n.MustLoad()
	file, err := parser.ParseFile(token.NewFileSet(), "person.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(file, func(node ast.Node) bool {
		lit, ok := node.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, _ := strconv.Unquote(lit.Value)
		if keyLike.MatchString(s) && (strings.HasPrefix(s, "person.") || strings.HasPrefix(s, "err.") || strings.HasPrefix(s, "form.")) {
			n++
			for _, lang := range l10n.Languages {
				if !cat.Has(lang, s) {
					t.Errorf("%s.json lacks %q (person.go)", lang, s)
				}
			}
		}
		return true
	})
	if n < 10 {
		t.Fatalf("found only %d keys in person.go: is the scan broken?", n)
	}
}

// foundLine reports whether the dialog lists a record found whose line
// holds text.
func foundLine(p *personDialog, text string) bool {
	for _, o := range test.LaidOutObjects(p.found) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, text) {
			return true
		}
	}
	return false
}

// TestPersonNamesake: a search by surname finds a namesake too; unticked,
// their appeal stays out of the answer.
func TestPersonNamesake(t *testing.T) {
	h := unlocked(t, "ru", 0, 0, 0)
	c := h.firstCouncil()
	ids := map[string]string{}
	for _, name := range []string{"Асанова Гүлнара", "Асанова Бүбүсара"} {
		a, err := h.u.sess.Records().CreateAppeal(context.Background(), domain.Appeal{Council: c.Code, Channel: "phone",
			Oblast: c.Oblast, Appellant: &domain.Appellant{Name: name}, Category: "health", Summary: "ФАПта дары жок",
			ReceivedOn: caldate.MustParse("2026-11-20"), RegisteredOn: caldate.MustParse("2026-11-20")})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = a.ID
	}
	p := h.u.showPersonDialog()
	p.query.SetText("асанова")
	test.Tap(p.search)
	h.waitFor("the search", func() bool { return p.result != nil })
	if len(p.include) != 2 || !foundLine(p, "Асанова Бүбүсара") {
		t.Fatalf("found: %v", p.include)
	}
	test.Tap(p.include[ids["Асанова Бүбүсара"]])
	var saved []byte
	p.choose = func(_, ext string, then func(fyne.URIWriteCloser)) {
		path := filepath.Join(t.TempDir(), "a."+ext)
		w, err := storage.Writer(storage.NewFileURI(path))
		if err != nil {
			t.Fatal(err)
		}
		then(w)
		saved, _ = os.ReadFile(path)
	}
	test.Tap(p.saveJSON)
	if !strings.Contains(string(saved), "Асанова Гүлнара") || strings.Contains(string(saved), "Бүбүсара") {
		t.Fatalf("the answer holds the namesake, or not the person:\n%s", saved)
	}
}

// The save dialog of the person's document names its places (Home,
// Computer) in the interface language, as the other file dialogs do.
func TestPersonSaveDialogPlacesTranslated(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	h.u.chooseSaveFile("kenesh-test-ky.pdf", "pdf", func(fyne.URIWriteCloser) {})
	h.drain()
	if _, ok := probeFind(h, "label", h.T("Home")); !ok {
		t.Fatalf("the save dialog's places are not in Kyrgyz: %+v", h.u.Probe().Items)
	}
	if _, ok := probeFind(h, "label", "Home"); ok {
		t.Fatal("the save dialog shows the place Home in English")
	}
}
