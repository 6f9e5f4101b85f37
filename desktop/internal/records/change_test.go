package records_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"

	"github.com/kenesh/kenesh/shared/domain"
)

// TestChangeAppeal: a form's save writes only the fields the person changed
// against what the form showed, keeps another laptop's change of another
// field, clears an emptied one, refuses a field the kind does not have,
// and writes nothing when nothing changed.
func TestChangeAppeal(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	a, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	shown := *a // what the form showed
	// Meanwhile another edit changes the village.
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"village":"Кара-Суу"}`)); err != nil {
		t.Fatal(err)
	}
	fields := []string{"summary", "village", "district", "appellant"}
	edited := shown
	edited.Summary = "Жер үлүшү кайра берилсин"
	edited.District = ""
	seq := svc.Seq()
	got, err := svc.ChangeAppeal(ctx, a.ID, &shown, &edited, fields)
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary != "Жер үлүшү кайра берилсин" || got.Village != "Кара-Суу" || got.District != "" || got.Appellant.Name != "Асанова Гүлнара" {
		t.Fatalf("after the change: summary %q village %q district %q", got.Summary, got.Village, got.District)
	}
	if svc.Seq() != seq+1 {
		t.Fatalf("%d operations written, want 1", svc.Seq()-seq)
	}
	// Nothing changed: nothing written.
	same := *got
	if _, err := svc.ChangeAppeal(ctx, a.ID, got, &same, fields); err != nil || svc.Seq() != seq+1 {
		t.Fatalf("an unchanged form wrote %d operations (%v)", svc.Seq()-seq-1, err)
	}
	// A field the form does not name is not saved, even if it differs.
	other := *got
	other.Description = "not on this form"
	if x, err := svc.ChangeAppeal(ctx, a.ID, got, &other, fields); err != nil || x.Description != "" {
		t.Fatalf("a field not named was saved: %q %v", x.Description, err)
	}
	if _, err := svc.ChangeAppeal(ctx, a.ID, got, &other, []string{"descripton"}); err == nil || !strings.Contains(err.Error(), "descripton") {
		t.Fatalf("a misspelt field: %v", err)
	}
	// The core still validates: a field a workflow step sets is refused.
	moved := *got
	moved.Status = domain.StatusClosed
	if _, err := svc.ChangeAppeal(ctx, a.ID, got, &moved, []string{"status"}); err == nil {
		t.Fatal("a form changed the status")
	}
}

// TestChangeEvent: marking one follow-up action done changes that item
// only, and another laptop's new action, added meanwhile, is kept.
func TestChangeEvent(t *testing.T) {
	ctx := context.Background()
	svc, _ := setup(t)
	e, err := svc.CreateEvent(ctx, domain.Event{Council: "NRN-ATB", Kind: "hearing", Title: "Коомдук угуу", Date: caldate.MustParse("2026-03-01"),
		Oblast: "KG-N", FollowUps: []domain.FollowUp{{Action: "Акимчиликке кат", Owner: "Катчы", Due: caldate.MustParse("2026-03-20"), Status: "open"}}})
	if err != nil {
		t.Fatal(err)
	}
	shown := *e
	shown.FollowUps = slices.Clone(e.FollowUps)
	more := append(slices.Clone(e.FollowUps), domain.FollowUp{Action: "Суу түтүгүн текшерүү", Owner: "Төрага", Due: caldate.MustParse("2026-03-25"), Status: "open"})
	b, _ := json.Marshal(map[string]any{"followups": more})
	if _, err := svc.EditEvent(ctx, e.ID, b); err != nil {
		t.Fatal(err)
	}
	edited := shown
	edited.FollowUps = slices.Clone(shown.FollowUps)
	edited.FollowUps[0].Status, edited.FollowUps[0].DoneOn = "done", caldate.MustParse("2026-03-09")
	got, err := svc.ChangeEvent(ctx, e.ID, &shown, &edited, []string{"followups", "title"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.FollowUps) != 2 {
		t.Fatalf("follow-ups after the change: %+v", got.FollowUps)
	}
	for _, f := range got.FollowUps {
		if f.Action == "Акимчиликке кат" && f.Status != "done" || f.Action != "Акимчиликке кат" && f.Status != "open" {
			t.Fatalf("follow-ups after the change: %+v", got.FollowUps)
		}
	}
	// Removing an item removes that one only.
	shown2 := *got
	var keep []domain.FollowUp
	for _, f := range got.FollowUps {
		if f.Status == "open" {
			keep = append(keep, f)
		}
	}
	edited2 := shown2
	edited2.FollowUps = keep
	got, err = svc.ChangeEvent(ctx, e.ID, &shown2, &edited2, []string{"followups"})
	if err != nil || len(got.FollowUps) != 1 || got.FollowUps[0].Action != "Суу түтүгүн текшерүү" {
		t.Fatalf("after removing the done action: %+v %v", got.FollowUps, err)
	}
}
