package records_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// A grant saved with its milestones, a milestone reported met, an edit
// that keeps the report, late milestones listed as the home screen asks,
// bad input refused with every fault named.
func TestGrants(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t) // today is 2026-03-10
	d := caldate.MustParse
	g := domain.Grant{Council: "NRN-ATB", Purpose: "Жергиликтүү бюджет боюнча кампания\nэкинчи сап", Amount: 150000,
		StartOn: d("2026-01-15"), EndOn: d("2026-07-31"),
		Milestones:    []domain.Milestone{{Title: "Отчет", Due: d("2026-07-31")}, {Title: "Угуу", Due: d("2026-03-01")}, {Title: "Тренинг", Due: d("2026-02-01")}},
		Disbursements: []domain.Disbursement{{On: d("2026-01-20"), Amount: 100000}}}
	saved, err := svc.SaveGrant(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Currency != "KGS" || len(saved.Milestones) != 3 || saved.Meta == nil || !domain.ValidID(saved.ID) {
		t.Fatalf("saved %+v", saved)
	}
	late, err := svc.List(records.Filter{Kind: domain.KindGrant, MilestonesLate: true})
	if err != nil || len(late) != 1 || late[0].DueNext == nil || *late[0].DueNext != d("2026-02-01") || late[0].Title != "Жергиликтүү бюджет боюнча кампания" {
		t.Fatalf("late: %+v %v", late, err)
	}
	// The first due (number 1) and then the second by its id.
	if _, err := svc.ReportMilestone(ctx, saved.ID, "1", true, d("2026-01-31"), "22 киши"); err != nil {
		t.Fatal(err)
	}
	hearing, _ := saved.FindMilestone("2")
	got, err := svc.ReportMilestone(ctx, saved.ID, hearing.ID, true, caldate.Date{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.MetCount() != 2 || !got.MilestoneMet(hearing.ID) {
		t.Fatalf("reported: %+v", got.Reports)
	}
	if r, _ := got.Report(hearing.ID); r.MetOn != svc.Today() {
		t.Fatalf("met today by default: %+v", r)
	}
	if n, err := svc.Count(records.Filter{Kind: domain.KindGrant, MilestonesLate: true}); err != nil || n != 0 {
		t.Fatalf("late after the reports: %d %v", n, err)
	}
	// Central staff pay out the rest and move the report's due date: the
	// council's reports stay.
	got.Disbursements = append(got.Disbursements, domain.Disbursement{On: d("2026-03-09"), Amount: 50000})
	got.Milestones[0].Title = "Тренинг өткөрүлдү"
	edited, err := svc.SaveGrant(ctx, *got)
	if err != nil {
		t.Fatal(err)
	}
	if edited.Disbursed() != 150000 || edited.MetCount() != 2 {
		t.Fatalf("edited: %+v", edited)
	}
	// Over the amount, end before start, a milestone unknown: refused,
	// named, nothing saved.
	bad := *edited
	bad.Disbursements = append(bad.Disbursements, domain.Disbursement{On: d("2026-03-10"), Amount: 1})
	bad.EndOn = d("2026-01-01")
	_, err = svc.SaveGrant(ctx, bad)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "150001 som disbursed in all") || !strings.Contains(err.Error(), "end_on") {
		t.Fatalf("bad edit: %v", err)
	}
	if _, err := svc.ReportMilestone(ctx, saved.ID, "4", true, caldate.Date{}, ""); !errors.Is(err, domain.ErrNoMilestone) {
		t.Fatalf("milestone 4 of 3: %v", err)
	}
	if _, err := svc.ReportMilestone(ctx, saved.ID, "3", true, d("2026-04-01"), ""); !errors.As(err, &ve) || !strings.Contains(err.Error(), "future") {
		t.Fatalf("met in the future: %v", err)
	}
	if _, err := svc.SaveGrant(ctx, domain.Grant{Council: "OSH-ARA", Purpose: "x", Amount: 1, StartOn: d("2026-01-01"), EndOn: d("2026-02-01")}); !errors.As(err, &ve) || ve.Fields[0].Field != "council" {
		t.Fatalf("a council not here: %v", err)
	}
	all, err := svc.Grants(ctx, "NRN-ATB")
	if err != nil || len(all) != 1 || all[0].Disbursed() != 150000 {
		t.Fatalf("grants: %+v %v", all, err)
	}
	hist, err := svc.History(ctx, domain.KindGrant, saved.ID)
	if err != nil || len(hist) != 4 {
		t.Fatalf("history: %d entries, %v", len(hist), err)
	}
}
