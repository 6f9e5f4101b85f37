package subjectaccess

import (
	"bytes"

	"flag"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var keepPDF = flag.String("pdf.keep", "", "also write the sample PDFs and their first page as PNG into this directory, to look at")

// poppler finds a poppler-utils program; CI installs them (.ci/ensure-deps).
func poppler(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install poppler-utils (apt-get install poppler-utils; .ci/ensure-deps does): %v", name, err)
	}
	return p
}

// pdfText renders the PDF's text as pdftotext reads it, with runs of white
// space made one space, so a name wrapped across lines is still found.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(poppler(t, "pdftotext"), "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func pages(t *testing.T, pdf []byte) int {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(poppler(t, "pdfinfo"), in).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo: no page count in\n%s", out)
	}
	n := 0
	for _, c := range m[1] {
		n = n*10 + int(c-'0')
	}
	return n
}

func render(t *testing.T, d *Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePDF(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPDFText reads the printed document back with pdftotext: the Kyrgyz
// letters, the person's name and the values in words are there, no code a
// person would not understand is, and every page is numbered.
func TestPDFText(t *testing.T) {
	for _, lang := range Languages {
		d := build(t, sample(), lang)
		pdf := render(t, d)
		n := pages(t, pdf)
		text := withoutFooters(pdfText(t, pdf), d, n)
		if n < 2 {
			t.Errorf("%s: %d pages; the sample needs more than one, so page breaks are tested", lang, n)
		}
		want := []string{"Айгүл Токтогулова", "ң", "ө", "ү", d.Title, d.Rights.Law, "NRN-ATB-2026-K7QH-0001",
			field(t, d.Appeals[0].Fields, "category").Text, field(t, d.Appeals[0].Fields, "gender").Text,
			field(t, d.Request, "answer_by").Text, d.Appeals[0].History[0].Fields[3].Text, // the earlier phone
			"Уурулук тууралуу арыз кабыл алынган жок. Эки жолу барган."}
		for _, p := range d.Rights.Paragraphs {
			want = append(want, strings.Join(strings.Fields(p), " "))
		}
		all := pdfText(t, pdf)
		for i := 1; i <= n; i++ {
			if f := footer(d, i, n); !strings.Contains(all, f) {
				t.Errorf("%s: page %d lacks its footer %q", lang, i, f)
			}
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the PDF's text lacks %q", lang, w)
			}
		}
		codes := map[string]bool{}
		for _, f := range allFields(d) {
			// "hearing" is a code, and a word of "Public hearing".
			if f.Code != "" && snake.MatchString(f.Code) && !strings.Contains(f.Text, f.Code) {
				codes[f.Code] = true
			}
			for _, c := range f.Codes {
				codes[c] = true
			}
		}
		if !codes["police_justice"] || !codes["female"] || !codes["women_at_risk"] {
			t.Fatalf("the sample's codes: %v", codes)
		}
		for c := range codes {
			if regexp.MustCompile(`(^|[^\p{L}_])` + regexp.QuoteMeta(c) + `($|[^\p{L}_])`).MatchString(text) {
				t.Errorf("%s: the PDF shows the code %q", lang, c)
			}
		}
		if strings.Contains(text, "Осмонов") {
			t.Errorf("%s: the PDF gives out another speaker's name", lang)
		}
		signedWithText(t, d, pdf)
		if *keepPDF != "" {
			keep(t, lang, pdf)
		}
	}
}

// TestPDFLongText: a text longer than a page goes on over the next pages
// whole, and the same document prints to the same bytes.
func TestPDFLongText(t *testing.T) {
	f := sample()
	long := strings.Repeat("Өтө узун сүрөттөмө, ар бир сөзү сакталышы керек. ", 400) + "АКЫРКЫ-СӨЗ"
	f.Appeals[0].Description = long
	d := build(t, f, "ky")
	pdf := render(t, d)
	text := withoutFooters(pdfText(t, pdf), d, pages(t, pdf))
	if got := strings.Count(text, "ар бир сөзү сакталышы керек"); got != 400 {
		t.Errorf("the long description printed %d of its 400 sentences", got)
	}
	if !strings.Contains(text, "АКЫРКЫ-СӨЗ") {
		t.Error("the end of the long description is missing")
	}
	if again := render(t, d); !bytes.Equal(pdf, again) {
		t.Error("the same document printed twice gives different files")
	}
}

func TestPDFNothingFound(t *testing.T) {
	d := build(t, &Found{Query: "Жок Адам", At: searchedAt, Holder: Holder{Device: "Ноутбук"}}, "ru")
	pdf := render(t, d)
	text := withoutFooters(pdfText(t, pdf), d, pages(t, pdf))
	for _, w := range []string{"в наших записях нет данных о вас", "«Жок Адам»", "О вас ничего не опубликовано", d.Signature} {
		if !strings.Contains(text, w) {
			t.Errorf("the PDF of an empty answer lacks %q:\n%s", w, text)
		}
	}
	signedWithText(t, d, pdf)
}

// signedWithText: the signature line shares its page with the end of the
// letter, never a page of its own.
func signedWithText(t *testing.T, d *Document, pdf []byte) {
	t.Helper()
	n := pages(t, pdf)
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(poppler(t, "pdftotext"), "-enc", "UTF-8", "-f", itoa(n), "-l", itoa(n), in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	last := strings.Join(strings.Fields(string(out)), " ")
	para := strings.Join(strings.Fields(d.Rights.Paragraphs[len(d.Rights.Paragraphs)-1]), " ")
	if !strings.Contains(last, strings.Join(strings.Fields(d.Signature), " ")) || !strings.Contains(last, para) {
		t.Errorf("%s: the last page does not hold both the last paragraph and the signature:\n%s", d.Language, last)
	}
}

// footer is what pdftotext reads at the foot of page n of total.
func footer(d *Document, n, total int) string {
	c, _ := l10n.Load()
	return strings.Join(strings.Fields(d.Title+" · "+c.In(d.Language).T("person.doc.page", "n", n, "total", total)), " ")
}

// withoutFooters removes the page footers from a document's text, so that
// a paragraph that goes on over a page reads whole.
func withoutFooters(text string, d *Document, total int) string {
	for i := 1; i <= total; i++ {
		text = strings.Replace(text, " "+footer(d, i, total), "", 1)
	}
	return text
}

func keep(t *testing.T, lang string, pdf []byte) {
	if err := os.MkdirAll(*keepPDF, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(*keepPDF, "sample-"+lang+".pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(poppler(t, "pdftoppm"), "-png", "-r", "80", path, strings.TrimSuffix(path, ".pdf")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
}
