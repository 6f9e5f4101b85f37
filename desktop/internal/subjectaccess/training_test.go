package subjectaccess

import (
	"context"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// A person on a training's attendance list is found by a request for what
// is held about them (as an appellant is), with what the list says of
// them, and only by the roles that read the list.
func TestFindAttendee(t *testing.T) {
	ctx := context.Background()
	svc := openCore(t)
	must(svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}))
	tr := must(svc.CreateEvent(ctx, domain.Event{Council: "NRN-ATB", Kind: domain.EventKindTraining, Title: "Окуу: кайрылуулар",
		Date: caldate.MustParse("2026-03-01"), Oblast: "KG-N", Speakers: []domain.Speaker{{Name: "Үсөнова Айгүл", Role: "тренер"}}}))
	if _, _, err := svc.SaveAttendees(ctx, tr.ID, []domain.Attendee{
		{Name: "Үсөнова Айгүл", Gender: "female", Group: "civil_society", Organisation: "Жаштар борбору"},
		{Name: "Осмонов Бакыт", Gender: "male", Group: "officials"},
	}); err != nil {
		t.Fatal(err)
	}
	// Typed without ү ө: found all the same; one mention, as speaker and attendee.
	f := must(Find(ctx, svc, "усонова"))
	if len(f.Events) != 1 || len(f.Events[0].Attendees) != 1 || len(f.Events[0].Speakers) != 1 {
		t.Fatalf("found %+v", f.Events)
	}
	d := must(Build(f, Options{Language: "ru"}))
	if len(d.Events) != 1 || len(d.Events[0].Named) != 2 {
		t.Fatalf("named: %+v", d.Events)
	}
	a := d.Events[0].Named[1]
	if field(t, a.Fields, "attendees.name").Text != "Үсөнова Айгүл" || field(t, a.Fields, "attendees.organisation").Text != "Жаштар борбору" || a.Heading != "В списке участников обучения" {
		t.Errorf("the attendee: %+v", a)
	}
	if f := must(Find(ctx, svc, "Осмонов")); len(f.Events) != 1 || len(f.Events[0].Attendees) != 1 || len(f.Events[0].Speakers) != 0 {
		t.Errorf("an attendee only: %+v", f.Events)
	}
	// Another council's laptop gives none of it out.
	if err := svc.Enroll(ctx, records.Enrollment{Server: "http://127.0.0.1:1", Token: "token", Role: domain.RoleSecretary, Council: "OSH-ARV", Name: "Араван"}); err != nil {
		t.Fatal(err)
	}
	if f := must(Find(ctx, svc, "Осмонов")); len(f.Events) != 0 || f.Withheld != 1 {
		t.Errorf("another council: %d events, %d withheld", len(f.Events), f.Withheld)
	}
}
