package export_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/desktop/internal/reports/fixture"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// poppler finds a poppler-utils program; CI installs them (.ci/ensure-deps).
func poppler(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install poppler-utils (apt-get install poppler-utils; .ci/ensure-deps does): %v", name, err)
	}
	return p
}

// pdfText is the PDF's text as pdftotext reads it, runs of white space
// made one space.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	in := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(in, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(poppler(t, "pdftotext"), "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// The PDF report read back with poppler's pdftotext: the title, the
// figures counted by hand, the council and oblast tables and a page
// number on every page, in Kyrgyz with ң ө ү, and no personal data.
func TestPDFReport(t *testing.T) {
	svc, _, _ := fixture.New(t)
	langs := []string{"ky", "ru", "en"}
	if testing.Short() {
		langs = langs[:1]
	}
	for _, lang := range langs {
		b, res := write(t, svc, export.Options{Format: domain.FormatPDF, Filter: quarter(), Language: lang})
		kept(t, "report-"+lang+".pdf", b)
		if res.Report == nil || res.Records != 8 {
			t.Fatalf("%s: result %+v", lang, res)
		}
		text := pdfText(t, b)
		want := map[string][]string{
			"ky": {"Коомдук кеңештердин иши боюнча отчет", "01.01.2026 – 31.03.2026", "Камтылган адамдар 38", "Бардык кайрылуулар 5",
				"Мөөнөтүндө катталды 4", "Кочкор коомдук кеңеши", "Ош облусу", "март 2026", "Облустар боюнча кайрылуулар жана иш-чаралар",
				"1-бет, бардыгы 6", "Иш-чаралар Катышуучулар Кайрылуулар"},
			"ru": {"Отчёт о работе общественных советов", "Охвачено людей 38", "Нарынская область", "Стр. 1 из"},
			"en": {"Report on the work of the public councils", "People reached 38", "Answered within the legal deadline 1", "Page 1 of"},
		}[lang]
		if !strings.Contains(strings.ReplaceAll(text, " ", ""), res.Report.Digest) {
			t.Errorf("%s: the PDF does not give the digest %s", lang, res.Report.Digest)
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the PDF does not say %q\n%s", lang, w, text)
			}
		}
		for _, p := range fixture.Personal {
			if strings.Contains(text, p) {
				t.Errorf("%s: the report holds %q", lang, p)
			}
		}
	}
}

// The tables side by side are eight columns wide and printed on landscape
// pages; one that goes on to a next page goes on on a landscape page too
// (five years by month is 60 rows: it breaks). A portrait page cut the
// table's right columns off.
func TestPDFWideTablesStayLandscape(t *testing.T) {
	svc, _, _ := fixture.New(t)
	f := reports.Filter{From: caldate.MustParse("2022-01-01"), To: caldate.MustParse(fixture.To)}
	b, _ := write(t, svc, export.Options{Format: domain.FormatPDF, Filter: f, Language: "ky"})
	in := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(in, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(poppler(t, "pdfinfo"), "-f", "1", "-l", "1000", in).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	var sizes []string // "P" or "L", a page each
	for _, line := range strings.Split(string(out), "\n") {
		var n int
		var w, h float64
		if _, err := fmt.Sscanf(line, "Page %d size: %f x %f", &n, &w, &h); err == nil {
			sizes = append(sizes, map[bool]string{true: "L", false: "P"}[w > h])
		}
	}
	first := slices.Index(sizes, "L")
	if first < 0 || len(sizes)-first < 2 {
		t.Fatalf("pages %v: want the tables on two landscape pages or more", sizes)
	}
	if i := slices.Index(sizes[first:], "P"); i >= 0 {
		t.Errorf("pages %v: page %d, within the tables side by side, is portrait", sizes, first+i+1)
	}
	text := pdfText(t, b)
	for _, w := range []string{"январь 2022", "март 2026"} {
		if !strings.Contains(text, w) {
			t.Errorf("the PDF does not say %q", w)
		}
	}
}
