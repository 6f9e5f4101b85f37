package records_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// A store where an older version merged another laptop's edit stamped
// 9999-12-31: the field is frozen (every later edit, a person's resolution
// too, loses to it). HoldBackFuture takes that edit out, holds it back,
// and merges the record again: the field is the honest one, and the next
// edit, or a resolution, wins.
func TestHoldBackFutureUnfreezesOldData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, st := open(t, dir, func() time.Time { return fixedNow })
	if _, err := svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	a, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	// What an older version did with a pulled edit from 9999: merged it.
	cur, err := st.State(ctx, domain.KindAppeal, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	frozen := &changeset.Op{Device: "0190a5c2-0000-7000-8000-0000000000f9", Seq: 1, HLC: hlc.New(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMilli(), 0),
		Kind: domain.KindAppeal, Record: a.ID, Council: a.Council, Action: changeset.ActionUpdate, Author: "broken clock",
		Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`"түбөлүк"`), Base: cur.Fields["summary"].HLC}}}
	if _, _, err := cur.Apply(frozen); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, []store.Write{{Op: frozen, State: cur}}, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	svc, st = open(t, dir, func() time.Time { return fixedNow })
	defer st.Close()
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"summary":"чын маани"}`)); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Appeal(ctx, a.ID); got.Summary != "түбөлүк" {
		t.Fatalf("the old data should freeze the field before the fix: %q", got.Summary)
	}

	n, err := svc.HoldBackFuture(ctx)
	if err != nil || n != 1 {
		t.Fatalf("HoldBackFuture: %d records, %v", n, err)
	}
	got, _ := svc.Appeal(ctx, a.ID)
	if got.Summary != "чын маани" {
		t.Fatalf("after holding back the edit from 9999: %q, want the later honest edit", got.Summary)
	}
	held, _ := svc.HeldOps(ctx)
	if len(held) != 1 {
		t.Fatalf("held back: %+v", held)
	}
	hist, _ := svc.History(ctx, domain.KindAppeal, a.ID)
	for _, e := range hist {
		if e.At.Year() == 9999 {
			t.Fatal("the edit from 9999 is still in the record's history")
		}
	}
	if c, _ := svc.Conflicts(ctx); len(c) != 0 {
		t.Fatalf("conflicts with the held edit remain: %+v", c)
	}
	// A later edit wins as a person expects; and it runs once only.
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"summary":"дагы оңдолду"}`)); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Appeal(ctx, a.ID); got.Summary != "дагы оңдолду" {
		t.Fatalf("a later edit: %q", got.Summary)
	}
	if n, err := svc.HoldBackFuture(ctx); n != 0 || err != nil {
		t.Fatalf("second run: %d, %v", n, err)
	}
}

// A store filled by a bulk load (a new laptop's first pull) was merged by
// this version alone: it is marked checked with its first window, and
// HoldBackFuture does not read every state after the pull. Pages applied
// one by one leave the check to HoldBackFuture.
func TestBulkLoadNeedsNoFutureCheck(t *testing.T) {
	ctx := context.Background()
	other := otherLaptop(t)
	for range 3 {
		if _, err := other.CreateAppeal(ctx, appeal()); err != nil {
			t.Fatal(err)
		}
	}
	page := pending(t, other, 0)

	bulk, bst := open(t, t.TempDir(), func() time.Time { return fixedNow })
	defer bst.Close()
	if _, err := bulk.ApplyBulk(ctx, page, nil, 1, false); err != nil {
		t.Fatal(err)
	}
	if _, err := bst.Meta(ctx, "future_checked"); err != nil {
		t.Fatalf("after a bulk window: the future check's mark: %v, want it set", err)
	}

	one, ost := open(t, t.TempDir(), func() time.Time { return fixedNow })
	defer ost.Close()
	if _, err := one.ApplyRemote(ctx, page, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := ost.Meta(ctx, "future_checked"); err == nil {
		t.Fatal("pages applied one by one: the future check is marked done without HoldBackFuture")
	}
}

// A bulk load on a store that held no records does not look for the
// states of records it has not written, but finds every state there is:
// a record whose operations span two windows, and one whose state was
// written beside the bulk load (a page applied one by one between its
// windows, a save on this laptop) before the next window brings more of
// it.
func TestBulkLoadFindsStatesWrittenBeside(t *testing.T) {
	ctx := context.Background()
	other := otherLaptop(t)
	a, err := other.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	first := pending(t, other, 0)
	c, err := other.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	beside := pending(t, other, first[len(first)-1].Seq)
	for _, id := range []string{a.ID, c.ID} {
		if _, err := other.EditAppeal(ctx, id, json.RawMessage(`{"summary":"оңдолду"}`)); err != nil {
			t.Fatal(err)
		}
	}

	bulk, bst := open(t, t.TempDir(), func() time.Time { return fixedNow })
	defer bst.Close()
	if err := bulk.BeginBulkLoad(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bulk.ApplyBulk(ctx, first, nil, 1, false); err != nil {
		t.Fatal(err)
	}
	if _, err := bulk.ApplyRemote(ctx, beside, 2); err != nil {
		t.Fatal(err)
	}
	// An appeal saved on this laptop during its bulk load, edited on the
	// other one.
	l, err := bulk.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.ApplyRemote(ctx, pending(t, bulk, 0), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := other.EditAppeal(ctx, l.ID, json.RawMessage(`{"summary":"оңдолду"}`)); err != nil {
		t.Fatal(err)
	}
	second := pending(t, other, beside[len(beside)-1].Seq)
	if _, err := bulk.ApplyBulk(ctx, second, nil, 3, true); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a.ID, c.ID, l.ID} {
		want, err := other.Appeal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := bulk.Appeal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Errorf("appeal %s after the bulk load:\n%s\nwant\n%s", id, gb, wb)
		}
	}
}

// A bulk load's window puts its rows in the index after it returns, beside
// the next window's merge: a save made after it, the load's last window
// and whatever changes the index later find every row of the windows
// before them there, each record's newest.
func TestBulkWindowRowsInTheIndex(t *testing.T) {
	ctx := context.Background()
	other := otherLaptop(t)
	var ids []string
	for range 150 {
		a, err := other.CreateAppeal(ctx, appeal())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	first := pending(t, other, 0)
	for _, id := range ids[:50] {
		if _, err := other.EditAppeal(ctx, id, json.RawMessage(`{"summary":"оңдолду"}`)); err != nil {
			t.Fatal(err)
		}
	}
	second := pending(t, other, first[len(first)-1].Seq)

	bulk, bst := open(t, t.TempDir(), func() time.Time { return fixedNow })
	defer bst.Close()
	if err := bulk.BeginBulkLoad(ctx); err != nil {
		t.Fatal(err)
	}
	count := func(text string) int {
		t.Helper()
		n, err := bulk.Count(records.Filter{Kind: domain.KindAppeal, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := bulk.ApplyBulk(ctx, first, nil, 1, false); err != nil {
		t.Fatal(err)
	}
	if _, err := bulk.CreateAppeal(ctx, appeal()); err != nil {
		t.Fatal(err)
	}
	if n := count(""); n != 151 {
		t.Fatalf("after the first window and a save: %d appeals in the index, want 151", n)
	}
	if _, err := bulk.ApplyBulk(ctx, second, nil, 2, false); err != nil {
		t.Fatal(err)
	}
	if _, err := bulk.ApplyBulk(ctx, nil, nil, 2, true); err != nil {
		t.Fatal(err)
	}
	if n, edited := count(""), count("оңдолду"); n != 151 || edited != 50 {
		t.Fatalf("after the last window: %d appeals in the index, %d edited; want 151, 50", n, edited)
	}
}

// Close waits for a bulk load's window still going into the index: after
// it, the window's rows are in the index and its subscribers have been
// told, and nothing touches the service (or the store its owner closes
// next) any more.
func TestCloseWaitsForBulkIndexing(t *testing.T) {
	ctx := context.Background()
	other := otherLaptop(t)
	for range 300 {
		if _, err := other.CreateAppeal(ctx, appeal()); err != nil {
			t.Fatal(err)
		}
	}
	window := pending(t, other, 0)

	bulk, bst := open(t, t.TempDir(), func() time.Time { return fixedNow })
	defer bst.Close()
	changes, unsubscribe := bulk.Subscribe()
	defer unsubscribe()
	if err := bulk.BeginBulkLoad(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bulk.ApplyBulk(ctx, window, nil, 1, false); err != nil {
		t.Fatal(err)
	}
	bulk.Close()
	select {
	case batch := <-changes:
		if !records.Touches(batch, domain.KindAppeal) {
			t.Errorf("after Close: told of %v, want the window's appeals", batch)
		}
	default:
		t.Fatal("Close returned before the bulk window's rows were in the index (no notification yet)")
	}
	if n, err := bulk.Count(records.Filter{Kind: domain.KindAppeal}); err != nil || n != 300 {
		t.Fatalf("after Close: %d appeals in the index (%v), want 300", n, err)
	}
}
