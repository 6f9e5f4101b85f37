package records_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

func newTraining(t *testing.T, svc interface {
	CreateEvent(context.Context, domain.Event) (*domain.Event, error)
}) *domain.Event {
	t.Helper()
	e, err := svc.CreateEvent(context.Background(), domain.Event{Council: "NRN-ATB", Kind: domain.EventKindTraining,
		Title: "Кайрылуулар менен иштөө", Date: caldate.MustParse("2026-03-05"), Oblast: "KG-N", District: "KG-N-ATB",
		Participants: map[string]domain.GenderCount{"citizens": {Female: 30}}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Two laptops add people to the same training offline: after they
// exchange their operations both hold everyone; a removal on one and an
// edit of someone else on the other both hold too, and the removal is in
// the history.
func TestAttendanceMergesPerAttendee(t *testing.T) {
	ctx := context.Background()
	a, _ := setup(t)
	b := otherLaptop(t)
	tr := newTraining(t, a)
	if _, err := b.ApplyRemote(ctx, pending(t, a, 0), 1); err != nil {
		t.Fatal(err)
	}
	seenA, seenB := len(pending(t, a, 0)), len(pending(t, b, 0))

	_, asel, err := a.SaveAttendee(ctx, tr.ID, domain.Attendee{Name: "Асель Токтогулова", Gender: "female", Group: "council_members", Organisation: "Ат-Башы АӨ"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SaveAttendee(ctx, tr.ID, domain.Attendee{Name: "Нурлан Осмонов", Gender: "male", Group: "officials"}); err != nil {
		t.Fatal(err)
	}
	_, bakyt, err := b.SaveAttendee(ctx, tr.ID, domain.Attendee{Name: "Бакыт Асанов", Gender: "male", Group: "journalists", Council: "NRN-KOC"})
	if err != nil {
		t.Fatal(err)
	}
	exchange := func() {
		t.Helper()
		opsA, opsB := pending(t, a, 0)[seenA:], pending(t, b, 0)[seenB:]
		if _, err := b.ApplyRemote(ctx, opsA, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := a.ApplyRemote(ctx, opsB, 2); err != nil {
			t.Fatal(err)
		}
		seenA, seenB = len(pending(t, a, 0)), len(pending(t, b, 0))
	}
	exchange()
	for name, svc := range map[string]interface {
		Event(context.Context, string) (*domain.Event, error)
	}{"a": a, "b": b} {
		e, err := svc.Event(ctx, tr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Attendees) != 3 {
			t.Fatalf("laptop %s holds %d attendees after the exchange, want 3: %+v", name, len(e.Attendees), e.Attendees)
		}
		c := e.Counted()
		if c["council_members"].Female != 1 || c["officials"].Male != 1 || c["journalists"].Male != 1 || c["citizens"].Total() != 0 {
			t.Errorf("laptop %s counts %v: the list, not the typed 30 citizens", name, c)
		}
	}

	// a removes Асель while b corrects Бакыт's organisation.
	if _, err := a.RemoveAttendee(ctx, tr.ID, asel.ID); err != nil {
		t.Fatal(err)
	}
	bakyt.Organisation = "Кочкор FM"
	if _, _, err := b.SaveAttendee(ctx, tr.ID, *bakyt); err != nil {
		t.Fatal(err)
	}
	exchange()
	ea, _ := a.Event(ctx, tr.ID)
	eb, _ := b.Event(ctx, tr.ID)
	for _, e := range []*domain.Event{ea, eb} {
		if len(e.Attendees) != 2 {
			t.Fatalf("after the removal: %+v", e.Attendees)
		}
		if _, ok := e.Attendee(asel.ID); ok {
			t.Errorf("the removed attendee is back: %+v", e.Attendees)
		}
		if got, _ := e.Attendee(bakyt.ID); got.Organisation != "Кочкор FM" {
			t.Errorf("the edit was lost: %+v", got)
		}
	}
	hist, err := a.History(ctx, domain.KindEvent, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	removed := false
	for _, h := range hist {
		if v, ok := h.Changes["attendees/"+asel.ID]; ok && string(v.(json.RawMessage)) == "null" {
			removed = true
		}
	}
	if !removed {
		t.Errorf("the removal is not in the history: %+v", hist)
	}
}

func TestAttendanceRefusals(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	tr := newTraining(t, svc)
	var ve *domain.ValidationError
	_, _, err := svc.SaveAttendee(ctx, tr.ID, domain.Attendee{Name: "", Gender: "man", Group: "students"})
	if !errors.As(err, &ve) || len(ve.Fields) != 3 {
		t.Fatalf("a bad attendee: %v, want name, gender and group named", err)
	}
	for _, f := range ve.Fields {
		if !strings.HasPrefix(f.Field, "attendees/") {
			t.Errorf("fault on %s", f.Field)
		}
	}
	if e, _ := svc.Event(ctx, tr.ID); len(e.Attendees) != 0 {
		t.Fatalf("a refused attendee was saved: %+v", e.Attendees)
	}
	if _, _, err := svc.SaveAttendee(ctx, tr.ID, domain.Attendee{ID: domain.NewID(), Name: "Бакыт", Group: "citizens"}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("editing an attendee the list does not have: %v", err)
	}
	if _, err := svc.RemoveAttendee(ctx, tr.ID, domain.NewID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("removing an attendee the list does not have: %v", err)
	}
	hearing, err := svc.CreateEvent(ctx, domain.Event{Council: "NRN-ATB", Kind: "hearing", Title: "Угуу", Date: caldate.MustParse("2026-03-05"), Oblast: "KG-N"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SaveAttendee(ctx, hearing.ID, domain.Attendee{Name: "Бакыт", Group: "citizens"}); err == nil || !strings.Contains(err.Error(), "not a training") {
		t.Errorf("attendance of a hearing: %v", err)
	}
	if _, _, err := svc.SaveAttendee(ctx, domain.NewID(), domain.Attendee{Name: "Бакыт", Group: "citizens"}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("attendance of no event: %v", err)
	}
	// Editing the training's other fields keeps its list.
	_, added, err := svc.SaveAttendee(ctx, tr.ID, domain.Attendee{Name: "Бакыт", Group: "citizens"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := svc.EditEvent(ctx, tr.ID, []byte(`{"title":"Кайрылуулар менен иштөө (2-күн)"}`))
	if err != nil || len(e.Attendees) != 1 || e.Attendees[0].ID != added.ID {
		t.Fatalf("an edit of the title: %v %+v", err, e)
	}
}

func TestMaterialsUsed(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	tr := newTraining(t, svc)
	sum := strings.Repeat("ab", 32)
	m, err := svc.PublishMaterial(ctx, domain.Material{Title: "Кайрылуулар боюнча колдонмо", Language: "ky",
		File: domain.Attachment{ID: domain.NewID(), Name: "guide.pdf", Size: 10, SHA256: sum, Chunks: []domain.Chunk{{SHA256: sum, Size: 10}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UseMaterial(ctx, tr.ID, domain.NewID(), true); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a material this laptop does not hold: %v", err)
	}
	e, err := svc.UseMaterial(ctx, tr.ID, m.ID, true)
	if err != nil || !e.UsesMaterial(m.ID) || len(e.Materials) != 1 {
		t.Fatalf("used: %v %+v", err, e)
	}
	if e, err = svc.UseMaterial(ctx, tr.ID, m.ID, true); err != nil || len(e.Materials) != 1 {
		t.Fatalf("used twice: %v %+v", err, e)
	}
	if e, err = svc.UseMaterial(ctx, tr.ID, m.ID, false); err != nil || len(e.Materials) != 0 {
		t.Fatalf("unmarked: %v %+v", err, e)
	}
}

// The results of a training are counted from the tests linked to it
// alone; a feedback form filled at it is not a test.
func TestTrainingResults(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	tr := newTraining(t, svc)
	other := newTraining(t, svc)
	for _, name := range []string{"training_test", "event_feedback"} {
		if _, err := svc.PublishQuestionnaire(ctx, corpusForm(t, name), name+".xlsx"); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct{ event, form, answers string }{
		{tr.ID, "training_test", `{"stage": "pre", "q1": "d30", "q2": "anyone", "q3": ["request"], "confidence": 2}`},
		{tr.ID, "training_test", `{"stage": "pre", "q1": "d14", "q2": "anyone", "q3": ["fine"], "confidence": 3}`},
		{tr.ID, "training_test", `{"stage": "post", "q1": "d14", "q2": "council", "q3": ["request", "hearing"], "confidence": 5}`},
		{other.ID, "training_test", `{"stage": "post", "q1": "d60", "q2": "anyone", "q3": ["fine"]}`},
		{tr.ID, "event_feedback", `{"rating": 5, "again": "yes"}`},
	} {
		if _, err := svc.SaveResponse(ctx, domain.Response{Council: "NRN-ATB", FormID: r.form, Event: r.event, Answers: answersOf(t, r.answers)}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := svc.TrainingResults(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].FormID != "training_test" || res[0].Pre != 2 || res[0].Post != 1 {
		t.Fatalf("results: %+v", res)
	}
	// Before: 0 of 3 and 1 of 3 correct; after: 3 of 3.
	if l := res[0]; l.ScorePre.Value != 1.0/6 || l.ScorePost.Value != 1 || l.Questions[0].Name != "q1" || l.Questions[0].Pre.Value != 0.5 {
		t.Errorf("scores: %+v", l)
	}
	if res, err := svc.TrainingResults(ctx, domain.NewID()); !errors.Is(err, domain.ErrNotFound) || res != nil {
		t.Errorf("results of no event: %v", err)
	}
}
