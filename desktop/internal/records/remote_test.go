package records_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// otherLaptop is a second laptop, holding the council NRN-ATB, whose
// operations the first one pulls.
func otherLaptop(t *testing.T) *records.Service {
	t.Helper()
	svc, st := open(t, t.TempDir(), func() time.Time { return fixedNow })
	t.Cleanup(func() { st.Close() })
	if _, err := svc.AddCouncil(context.Background(), domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	return svc
}

func pending(t *testing.T, svc *records.Service, after uint64) []*changeset.Op {
	t.Helper()
	ops, _, err := svc.PendingOps(context.Background(), after, 1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// TestApplyRemote applies pages of another laptop's operations as a pull
// does: a record's creation and its workflow steps in one page, many
// records in one page (more than one store transaction), the same page
// again, and a concurrent edit.
func TestApplyRemote(t *testing.T) {
	ctx := context.Background()
	other := otherLaptop(t)
	first, err := other.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []domain.Step{{To: domain.StatusUnderReview}, {To: domain.StatusFactChecking}, {To: domain.StatusVerified}} {
		if _, err := other.MoveAppeal(ctx, first.ID, s); err != nil {
			t.Fatal(err)
		}
	}
	// Enough appeals, with long texts, that one page needs several
	// transactions of the laptop's store.
	long := make([]byte, 0, 4000)
	for len(long) < 3900 {
		long = append(long, "Жер үлүшү мыйзамсыз тартылып алынды, арыз ээси сотко кайрылууга даярданууда. "...)
	}
	for i := range 150 {
		a := appeal()
		a.Summary = fmt.Sprintf("Арыз %d: суу түтүгү", i)
		a.Description = string(long)
		if _, err := other.CreateAppeal(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	page := pending(t, other, 0)

	svc, _ := setup(t)
	res, err := svc.ApplyRemote(ctx, page, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// The council, which this laptop holds with the same values already,
	// changes nothing; every other operation changes its appeal.
	if res.Applied != len(page) || res.Changed != len(page)-1 || len(res.Conflicts) != 0 {
		t.Fatalf("first apply: %+v, want %d applied, %d changed, no conflicts", res, len(page), len(page)-1)
	}
	got, err := svc.Appeal(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != domain.StatusVerified || got.RegNo != first.RegNo {
		t.Fatalf("pulled appeal: status %s, reg no %s; want verified, %s", got.Status, got.RegNo, first.RegNo)
	}
	h, err := svc.History(ctx, domain.KindAppeal, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 4 {
		t.Fatalf("history of the pulled appeal has %d entries, want 4 (create and 3 steps)", len(h))
	}
	// Lists and search read the index: it holds each record once, as its
	// last operation left it.
	for _, c := range []struct {
		f    records.Filter
		want int
	}{
		{records.Filter{Kind: domain.KindAppeal}, 151},
		{records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusVerified)}, 1},
		{records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusReceived)}, 150},
		{records.Filter{Kind: domain.KindAppeal, Text: "түтүгү"}, 150},
	} {
		if n, err := svc.Count(c.f); err != nil || n != c.want {
			t.Fatalf("count %+v: %d (%v), want %d", c.f, n, err, c.want)
		}
	}
	if st, err := svc.SyncState(ctx); err != nil || st.Cursor != 1000 {
		t.Fatalf("cursor %d (%v), want 1000", st.Cursor, err)
	}

	// The same page again (a crash before the cursor moved): nothing changes.
	res, err = svc.ApplyRemote(ctx, page, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != len(page) || res.Changed != 0 {
		t.Fatalf("applied again: %+v, want nothing changed", res)
	}
	if n, _ := svc.Count(records.Filter{Kind: domain.KindAppeal}); n != 151 {
		t.Fatalf("after the page again: %d appeals", n)
	}

	// Both laptops change the summary without seeing each other's edit:
	// one value wins, the other is kept as a conflict.
	seq := other.Seq()
	if _, err := other.EditAppeal(ctx, first.ID, json.RawMessage(`{"summary":"Жер маселеси (башка ноутбук)"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditAppeal(ctx, first.ID, json.RawMessage(`{"summary":"Жер маселеси (бул ноутбук)"}`)); err != nil {
		t.Fatal(err)
	}
	res, err = svc.ApplyRemote(ctx, pending(t, other, seq), 1001)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 1 || res.Conflicts[0].Field != "summary" {
		t.Fatalf("concurrent edit: %+v, want one conflict on summary", res)
	}
	open, err := svc.Conflicts(ctx)
	if err != nil || len(open) != 1 {
		t.Fatalf("open conflicts: %d (%v), want 1", len(open), err)
	}
}

// TestApplyRemoteFieldsThatDoNotFit: an appeal pulled with a value of the
// wrong type (a laptop with a bug) and a field this version does not know
// (a newer version) is applied, listed and opened with everything else it
// holds; the store opens again; editing it here keeps the unknown field.
func TestApplyRemoteFieldsThatDoNotFit(t *testing.T) {
	ctx := context.Background()
	other := otherLaptop(t)
	a, err := other.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	page := pending(t, other, 0)
	create := page[len(page)-1]
	create.Fields["received_on"] = changeset.Change{Value: json.RawMessage(`5`)}
	create.Fields["hearing_room"] = changeset.Change{Value: json.RawMessage(`"№ 3"`)}

	dir := t.TempDir()
	svc, st := open(t, dir, func() time.Time { return fixedNow })
	if _, err := svc.ApplyRemote(ctx, page, 7); err != nil {
		t.Fatalf("a pulled page with a field of the wrong type: %v", err)
	}
	got, err := svc.Appeal(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary != a.Summary || got.RegNo != a.RegNo || !got.ReceivedOn.IsZero() {
		t.Fatalf("pulled appeal: summary %q, reg no %q, received %v", got.Summary, got.RegNo, got.ReceivedOn)
	}
	if got.Meta == nil || len(got.Meta.Unreadable) != 1 || got.Meta.Unreadable[0] != "received_on" {
		t.Fatalf("unreadable fields %+v, want [received_on]", got.Meta)
	}
	if n, _ := svc.Count(records.Filter{Kind: domain.KindAppeal, Text: "үлүшү"}); n != 1 {
		t.Fatalf("the appeal is found %d times by its summary, want 1", n)
	}

	// Saving it here validates it whole: the unreadable date must be given
	// again, which repairs it.
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"village":"Кара-Суу"}`)); err == nil {
		t.Fatal("saved without its date of receipt")
	}
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"village":"Кара-Суу","received_on":"2026-02-02"}`)); err != nil {
		t.Fatal(err)
	}
	h, err := svc.History(ctx, domain.KindAppeal, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, removed := h[len(h)-1].Changes["hearing_room"]; removed {
		t.Fatalf("editing here removed a field this version does not know: %v", h[len(h)-1].Changes)
	}

	// With stale index rows (new deadline rules, say), opening derives
	// every row from the states again: the record must not stop it.
	svc.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	_, st2 := open(t, dir, func() time.Time { return fixedNow })
	defer st2.Close()
	if err := st2.SetMeta(ctx, map[string][]byte{"index_digest": []byte("stale")}); err != nil {
		t.Fatal(err)
	}
	svc3, err := records.Open(ctx, st2, records.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatalf("opening with the index rebuilt: %v", err)
	}
	defer svc3.Close()
	if n, _ := svc3.Count(records.Filter{Kind: domain.KindAppeal}); n != 1 {
		t.Fatalf("after the index was rebuilt: %d appeals, want 1", n)
	}
}
