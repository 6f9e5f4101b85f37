package export_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/reports/fixture"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// A grant is a row of the grants' table, its milestones (each with the
// council's report) and its disbursements rows of tables of their own;
// JSON holds them in the grant. An anonymised export, in every format,
// never holds a note.
func TestGrantExport(t *testing.T) {
	svc, _, _ := fixture.New(t) // today is 2026-04-15
	ctx := context.Background()
	d := caldate.MustParse
	g, err := svc.SaveGrant(ctx, domain.Grant{Council: "NRN-ATB", Purpose: "Жергиликтүү бюджет боюнча кампания", Amount: 150000,
		StartOn: d("2026-01-15"), EndOn: d("2026-07-31"), Notes: "ички эскертүү Асанов",
		Milestones: []domain.Milestone{{Title: "Угуу өткөрүлдү", Due: d("2026-03-01")}, {Title: "Отчет", Due: d("2026-07-31")},
			{Title: "Тренинг", Due: d("2026-02-01")}},
		Disbursements: []domain.Disbursement{{On: d("2026-01-20"), Amount: 100000, Note: "төлөм эскертүүсү"}, {On: d("2026-03-02"), Amount: 20000}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ReportMilestone(ctx, g.ID, "1", true, d("2026-01-30"), "отчеттун эскертүүсү Бакыт"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ReportMilestone(ctx, g.ID, "2", true, d("2026-03-01"), ""); err != nil {
		t.Fatal(err)
	}
	// The third is reported and withdrawn: not met.
	if _, err := svc.ReportMilestone(ctx, g.ID, "3", true, d("2026-03-01"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ReportMilestone(ctx, g.ID, "3", false, caldate.Date{}, ""); err != nil {
		t.Fatal(err)
	}
	notes := []string{"ички эскертүү Асанов", "төлөм эскертүүсү", "отчеттун эскертүүсү Бакыт"}
	for _, personal := range []bool{false, true} {
		o := export.Options{Format: domain.FormatXLSX, Kinds: []string{domain.KindGrant}, Personal: personal, Language: "ru"}
		b, res := write(t, svc, o)
		if personal {
			kept(t, "grants-ru.xlsx", b)
		}
		if res.Records != 1 || res.ByKind[domain.KindGrant] != 1 {
			t.Fatalf("personal %v: %+v", personal, res)
		}
		got, _ := sheets(t, b)
		grants, milestones, payments := got["Гранты"], got["Этапы грантов"], got["Выплаты по грантам"]
		if len(grants) != 2 || len(milestones) != 4 || len(payments) != 3 {
			t.Fatalf("personal %v: %d grant rows, %d milestone rows, %d payment rows (with heads): %v", personal, len(grants), len(milestones), len(payments), got)
		}
		cell := func(rows [][]string, row int, head string) string {
			i := indexOf(rows[0], head)
			if i < 0 || i >= len(rows[row]) {
				return ""
			}
			return rows[row][i]
		}
		for head, want := range map[string]string{"Цель": "Жергиликтүү бюджет боюнча кампания", "Сумма, сом": "150000", "Валюта": "KGS",
			"Начало": "15.01.2026", "Выплачено, сом": "120000", "Выплат": "2", "Этапов": "3", "Этапов выполнено": "2"} {
			if v := cell(grants, 1, head); v != want {
				t.Errorf("personal %v: grants' %s: %q, want %q (%v)", personal, head, v, want, grants)
			}
		}
		// In the order they were made; reported by their number in due
		// order: the training (1, due 1 February) met on 30 January,
		// the hearing (2) on 1 March, the report (3) withdrawn.
		for i, want := range [][3]string{{"Угуу өткөрүлдү", "да", "01.03.2026"}, {"Отчет", "нет", ""}, {"Тренинг", "да", "30.01.2026"}} {
			if got := [3]string{cell(milestones, i+1, "Этап"), cell(milestones, i+1, "Выполнен"), cell(milestones, i+1, "Дата выполнения")}; got != want {
				t.Errorf("personal %v: milestone %d: %q, want %q", personal, i+1, got, want)
			}
			if v := cell(milestones, i+1, "Грант"); v != g.ID {
				t.Errorf("milestone %d names grant %q", i+1, v)
			}
		}
		if v := cell(payments, 1, "Сумма, сом"); v != "100000" {
			t.Errorf("first payment %q", v)
		}
	}
	for _, format := range []string{domain.FormatXLSX, domain.FormatCSV, domain.FormatJSON} {
		for _, personal := range []bool{false, true} {
			b, _ := write(t, svc, export.Options{Format: format, Kinds: []string{domain.KindGrant}, Personal: personal, Language: "ky"})
			text := everything(t, format, b)
			for _, n := range notes {
				if strings.Contains(text, n) != personal {
					t.Errorf("%s, personal %v: holds %q: %v", format, personal, n, !personal)
				}
			}
			for _, want := range []string{"Угуу өткөрүлдү", "2026-03-02"} {
				if format != domain.FormatXLSX && !strings.Contains(text, want) {
					t.Errorf("%s, personal %v: lost %q", format, personal, want)
				}
			}
		}
	}
	// The PDF report counts the grant: its table, in Kyrgyz.
	pdf, _ := write(t, svc, export.Options{Format: domain.FormatPDF, Language: "ky"})
	kept(t, "grants-report-ky.pdf", pdf)
	text := pdfText(t, pdf)
	for _, want := range []string{"Чакан гранттар", "Гранттардын суммасы, сом 150 000", "Төлөнгөнү, сом 120 000", "Аткарылган этаптар 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF report lacks %q: %s", want, text)
		}
	}
	// JSON: the grant with its items, as keneshctl grant show prints it.
	b, _ := write(t, svc, export.Options{Format: domain.FormatJSON, Kinds: []string{domain.KindGrant}})
	var list []domain.Grant
	if err := json.Unmarshal(b, &list); err != nil || len(list) != 1 || len(list[0].Milestones) != 3 || len(list[0].Reports) != 3 || list[0].Disbursed() != 120000 || list[0].MetCount() != 2 {
		t.Fatalf("JSON: %v %+v", err, list)
	}
	// CSV of grants is a zip of its three tables, even of that one kind.
	o := export.Options{Format: domain.FormatCSV, Kinds: []string{domain.KindGrant}}
	if ext := o.FileExt(); ext != "zip" {
		t.Errorf("CSV of grants: .%s", ext)
	}
	if _, _, err := export.ToFile(ctx, svc, t.TempDir()+"/гранттар.csv", o); err == nil || !strings.Contains(err.Error(), "name the file .zip") {
		t.Errorf("grants to a .csv file: %v", err)
	}
	x := filepath.Join(t.TempDir(), "гранттар.zip")
	_, rec, err := export.ToFile(ctx, svc, x, o)
	if err != nil || rec.Records != 1 || len(rec.Kinds) != 1 || rec.Kinds[0] != domain.KindGrant {
		t.Fatalf("recorded %+v %v", rec, err)
	}
}
