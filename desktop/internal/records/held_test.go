package records_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// An operation stamped further ahead than MaxAhead is held back, kept, and
// merged once this laptop's clock has come within MaxAhead of it: holding
// back decides when an operation is merged, never how, so every replica
// ends with the same record.
func TestHeldBackForItsClockIsMergedLater(t *testing.T) {
	ctx := context.Background()
	var now atomic.Int64
	now.Store(fixedNow.UnixMilli())
	clock := func() time.Time { return time.UnixMilli(now.Load()) }
	svc, st := open(t, t.TempDir(), clock)
	t.Cleanup(func() { st.Close() })
	other := otherLaptop(t)
	a, err := other.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	page := pending(t, other, 0)
	if _, err := svc.ApplyRemote(ctx, page, 10); err != nil {
		t.Fatal(err)
	}
	ahead := fixedNow.Add(records.MaxAhead + 6*time.Hour)
	edit := &changeset.Op{Device: other.Device().ID, Seq: 100, HLC: hlc.New(ahead.UnixMilli(), 0), Kind: domain.KindAppeal,
		Record: a.ID, Council: a.Council, Action: changeset.ActionUpdate, Author: "other",
		Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`"келечектен"`)}}}
	res, err := svc.ApplyRemote(ctx, []*changeset.Op{edit}, 11)
	if err != nil {
		t.Fatal(err)
	}
	if res.Held != 1 || res.Applied != 0 {
		t.Fatalf("apply of an operation 30 hours ahead: %+v, want it held back", res)
	}
	if got, _ := svc.Appeal(ctx, a.ID); got.Summary != a.Summary {
		t.Fatalf("the held operation changed the appeal: %q", got.Summary)
	}
	if s, _ := svc.SyncState(ctx); s.Cursor != 11 || s.Held != 1 {
		t.Fatalf("sync state %+v: the cursor moves past what is held", s)
	}
	// Not yet: 5 hours later it is still 25 hours ahead.
	now.Add((5 * time.Hour).Milliseconds())
	if res, err := svc.ReleaseHeld(ctx); err != nil || res.Applied != 0 {
		t.Fatalf("release 25 hours ahead: %+v %v", res, err)
	}
	// Now it is within the bound: merged, and no longer held.
	now.Add((2 * time.Hour).Milliseconds())
	res, err = svc.ReleaseHeld(ctx)
	if err != nil || res.Applied != 1 {
		t.Fatalf("release 23 hours ahead: %+v %v", res, err)
	}
	if got, _ := svc.Appeal(ctx, a.ID); got.Summary != "келечектен" {
		t.Fatalf("after release: %q", got.Summary)
	}
	if held, _ := svc.HeldOps(ctx); len(held) != 0 {
		t.Fatalf("still held: %+v", held)
	}
	// Merged like any other: the next edit here orders after it.
	patch, _ := json.Marshal(map[string]string{"summary": "оңдолду"})
	if _, err := svc.EditAppeal(ctx, a.ID, patch); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Appeal(ctx, a.ID); got.Summary != "оңдолду" {
		t.Fatalf("a later edit lost to the released one: %q", got.Summary)
	}
}
