package records_test

import (
	"context"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
)

// TestDraftSurvivesReopen: a draft is kept across closing and reopening
// the store, replaced by the next, and gone once dropped.
func TestDraftSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, st := open(t, dir, nil)
	if d, err := svc.Draft(ctx); err != nil || d != nil {
		t.Fatalf("a new store has a draft: %+v %v", d, err)
	}
	at := time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)
	want := records.Draft{Kind: "appeal", Inputs: map[string]string{"summary": "Милиция ң ө ү", "gender": "male"}, At: at}
	if err := svc.SaveDraft(ctx, records.Draft{Kind: "event", Inputs: map[string]string{"title": "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SaveDraft(ctx, want); err != nil {
		t.Fatal(err)
	}
	svc.Close()
	st.Close()

	svc, st = open(t, dir, nil)
	got, err := svc.Draft(ctx)
	if err != nil || got == nil || got.Kind != "appeal" || got.Inputs["summary"] != want.Inputs["summary"] ||
		got.Inputs["gender"] != "male" || !got.At.Equal(at) || len(got.Inputs) != 2 {
		t.Fatalf("draft after reopening: %+v %v", got, err)
	}
	if err := svc.DropDraft(ctx); err != nil {
		t.Fatal(err)
	}
	if d, err := svc.Draft(ctx); err != nil || d != nil {
		t.Fatalf("a dropped draft is back: %+v %v", d, err)
	}
	svc.Close()
	st.Close()
}
