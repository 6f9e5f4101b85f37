package reports_test

import (
	"context"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// Grants in the report, counted by hand on 2026-04-15: by oblast, the
// amounts and what was paid out, milestones met, late and to come; an
// oblast filter keeps a grant by its council's oblast; a grant starting
// outside the period is not counted; a grant makes no council active.
func TestGrantFigures(t *testing.T) {
	svc, _ := setup(t)
	ctx := context.Background()
	d := caldate.MustParse
	save := func(council string, amount int64, start string, paid int64, due []string, met int) *domain.Grant {
		t.Helper()
		g := domain.Grant{Council: council, Purpose: "Кампания " + council, Amount: amount, StartOn: d(start), EndOn: d(start).AddDays(200)}
		for _, x := range due {
			g.Milestones = append(g.Milestones, domain.Milestone{Title: "Этап " + x, Due: d(x)})
		}
		if paid > 0 {
			g.Disbursements = []domain.Disbursement{{On: d(start), Amount: paid}}
		}
		out, err := svc.SaveGrant(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= met; i++ {
			if out, err = svc.ReportMilestone(ctx, out.ID, "1", true, d(due[0]), ""); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	// Naryn: two grants, 250,000 som, 180,000 paid; 4 milestones: 1 met
	// (03-01), 1 late (04-01), 2 to come. Osh: one, 90,000 som, nothing
	// paid, its one milestone late. One more starts after the quarter.
	save("NRN-ATB", 150000, "2026-01-10", 100000, []string{"2026-03-01", "2026-04-01", "2026-06-01"}, 1)
	save("NRN-KOC", 100000, "2026-02-01", 80000, []string{"2026-05-01"}, 0)
	save("OSH-ARV", 90000, "2026-03-01", 0, []string{"2026-04-10"}, 0)
	save("OSH-ARV", 70000, "2026-04-02", 0, nil, 0)

	r, err := reports.Make(ctx, svc, reports.Filter{From: d("2026-01-01"), To: d("2026-03-31"), By: reports.ByOblast})
	if err != nil {
		t.Fatal(err)
	}
	want := reports.GrantFigures{Total: 3, Amount: 340000, Disbursed: 180000, Milestones: 5, MilestonesMet: 1, MilestonesLate: 2, MilestonesPending: 2}
	if r.Summary.Grants != want {
		t.Fatalf("summary %+v, want %+v", r.Summary.Grants, want)
	}
	by := map[string]reports.GrantFigures{}
	for _, g := range r.Groups {
		by[g.Key] = g.Grants
	}
	if by["KG-N"] != (reports.GrantFigures{Total: 2, Amount: 250000, Disbursed: 180000, Milestones: 4, MilestonesMet: 1, MilestonesLate: 1, MilestonesPending: 2}) ||
		by["KG-O"] != (reports.GrantFigures{Total: 1, Amount: 90000, Milestones: 1, MilestonesLate: 1}) {
		t.Fatalf("by oblast: %+v", by)
	}
	// In words, as the Reports page, the XLSX summary and the PDF show
	// them: the grants' table, and their amount and milestones met beside
	// each oblast's other figures.
	w, err := reports.NewWords("en", svc.Catalog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]string{}
	for _, s := range r.Sections(w, "") {
		if s.ID == "grants" {
			for _, row := range s.Rows {
				cells[row.Label] = row.Cells[0].Text
			}
		}
	}
	for label, want := range map[string]string{"Grants": "3", "Amount of the grants, som": "340,000", "Paid out, som": "180,000",
		"Milestones met": "1", "Milestones late on 15 Apr 2026": "2", "Milestones still to come": "2"} {
		if cells[label] != want {
			t.Errorf("grants' table: %q is %q, want %q (%v)", label, cells[label], want, cells)
		}
	}
	table := r.GroupTable(w)
	n := len(table.Columns)
	if n < 2 || table.Columns[n-2] != "Grants, som" || table.Columns[n-1] != "Milestones met" {
		t.Fatalf("by oblast: columns %v", table.Columns)
	}
	wantRows := map[string][2]string{"Naryn Region": {"250,000", "1"}, "Osh Region": {"90,000", "0"}, "Total": {"340,000", "1"}}
	for _, row := range table.Rows {
		got := [2]string{row.Cells[n-2].Text, row.Cells[n-1].Text}
		if want, ok := wantRows[row.Label]; ok {
			if got != want {
				t.Errorf("by oblast, %s: %v, want %v", row.Label, got, want)
			}
			delete(wantRows, row.Label)
		}
	}
	if len(wantRows) > 0 {
		t.Errorf("by oblast: no row of %v in %+v", wantRows, table.Rows)
	}
	osh, err := reports.Make(ctx, svc, reports.Filter{Oblast: "KG-O"})
	if err != nil {
		t.Fatal(err)
	}
	if osh.Summary.Grants.Total != 2 || osh.Summary.Grants.Amount != 160000 {
		t.Fatalf("Osh oblast, all time: %+v", osh.Summary.Grants)
	}
	atb, err := reports.Make(ctx, svc, reports.Filter{Oblast: "KG-N", District: "KG-N-ATB"})
	if err != nil {
		t.Fatal(err)
	}
	if atb.Summary.Grants.Total != 1 || atb.Summary.Grants.Amount != 150000 {
		t.Fatalf("At-Bashy district, by its council's district: %+v", atb.Summary.Grants)
	}
	// The day only the last grant starts: no council recorded anything.
	day, err := reports.Make(ctx, svc, reports.Filter{From: d("2026-04-02"), To: d("2026-04-02")})
	if err != nil {
		t.Fatal(err)
	}
	if day.Summary.Grants.Total != 1 || day.Summary.Appeals.Total+day.Summary.Events.Total != 0 || day.Indicators.Active != 0 {
		t.Fatalf("a grant makes its council active: %+v, %d active", day.Summary.Grants, day.Indicators.Active)
	}
}
