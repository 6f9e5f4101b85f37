package reports_test

import (
	"context"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// A training's participants are counted from its attendance list, by
// group and gender, in place of the counts typed on it; a hearing the
// same day still counts what was typed; a removal from the list is
// counted at once. Counted by hand on 2026-04-02, a day the fixture
// holds no event.
func TestTrainingParticipants(t *testing.T) {
	svc, _ := setup(t)
	ctx := context.Background()
	day := caldate.MustParse("2026-04-02")
	tr, err := svc.CreateEvent(ctx, domain.Event{Council: "NRN-ATB", Kind: domain.EventKindTraining, Title: "Окуу", Date: day,
		Oblast: "KG-N", District: "KG-N-ATB", Participants: map[string]domain.GenderCount{"citizens": {Female: 40}}})
	if err != nil {
		t.Fatal(err)
	}
	_, list, err := svc.SaveAttendees(ctx, tr.ID, []domain.Attendee{
		{Name: "Асель", Gender: "female", Group: "council_members"},
		{Name: "Гүлнара", Gender: "female", Group: "council_members"},
		{Name: "Бакыт", Gender: "male", Group: "council_members"},
		{Name: "Нурлан", Group: "journalists"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateEvent(ctx, domain.Event{Council: "OSH-ARV", Kind: "hearing", Title: "Угуу", Date: day,
		Oblast: "KG-O", Participants: map[string]domain.GenderCount{"citizens": {Male: 5}}}); err != nil {
		t.Fatal(err)
	}
	check := func(want map[string]reports.Gendered, total reports.Gendered) {
		t.Helper()
		r, err := reports.Make(ctx, svc, reports.Filter{From: day, To: day})
		if err != nil {
			t.Fatal(err)
		}
		ev := r.Summary.Events
		if ev.Total != 2 || ev.ParticipantsTotal != total {
			t.Errorf("%d events, participants %+v, want 2 and %+v", ev.Total, ev.ParticipantsTotal, total)
		}
		for g, w := range want {
			if ev.Participants[g] != w {
				t.Errorf("%s: %+v, want %+v", g, ev.Participants[g], w)
			}
		}
		if r.Indicators.PeopleReached != total.Total {
			t.Errorf("people reached %d, want %d", r.Indicators.PeopleReached, total.Total)
		}
	}
	check(map[string]reports.Gendered{
		"council_members": {Female: 2, Male: 1, Total: 3},
		"journalists":     {Unspecified: 1, Total: 1},
		"citizens":        {Male: 5, Total: 5}, // the hearing's; the training's typed 40 are not counted
	}, reports.Gendered{Female: 2, Male: 6, Unspecified: 1, Total: 9})

	if _, err := svc.RemoveAttendee(ctx, tr.ID, list[1].ID); err != nil {
		t.Fatal(err)
	}
	check(map[string]reports.Gendered{"council_members": {Female: 1, Male: 1, Total: 2}},
		reports.Gendered{Female: 1, Male: 6, Unspecified: 1, Total: 8})
}
