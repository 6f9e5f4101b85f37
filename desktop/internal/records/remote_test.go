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

// otherLaptop is a second laptop whose operations the first one pulls.
func otherLaptop(t *testing.T) *records.Service {
	t.Helper()
	svc, st := open(t, t.TempDir(), func() time.Time { return fixedNow })
	t.Cleanup(func() { st.Close() })
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
	if _, err := other.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
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
