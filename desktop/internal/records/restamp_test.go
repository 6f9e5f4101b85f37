package records_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// A laptop whose clock said 2099 saved and edited records; the server
// refused them for their clock. Its clock is set right: Restamp gives the
// unsent operations new readings after everything they follow, in sequence
// order, and the records, their history and conflicts read as before, so
// the work can be sent and nothing is lost.
func TestRestampAfterTheClockIsSetRight(t *testing.T) {
	ctx := context.Background()
	wrong := time.Date(2099, 5, 1, 9, 0, 0, 0, time.UTC)
	var now atomic.Int64
	now.Store(fixedNow.UnixMilli())
	svc, st := open(t, t.TempDir(), func() time.Time { return time.UnixMilli(now.Load()) })
	t.Cleanup(func() { st.Close() })
	if _, err := svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	sent := svc.Seq() // what the server took while the clock was right

	// Another laptop's appeal arrives; this laptop edits it while its
	// clock is wrong, and records one of its own.
	other := otherLaptop(t)
	theirs, err := other.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApplyRemote(ctx, pending(t, other, 0), 3); err != nil {
		t.Fatal(err)
	}
	now.Store(wrong.UnixMilli())
	mine, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{`{"summary":"Жер үлүшү кайтарылды"}`, `{"village":"Кара-Суу"}`} {
		if _, err := svc.EditAppeal(ctx, mine.ID, json.RawMessage(p)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.EditAppeal(ctx, theirs.ID, json.RawMessage(`{"summary":"Катчы толуктады"}`)); err != nil {
		t.Fatal(err)
	}
	// A concurrent edit of the same field from the other laptop, made in
	// real time: it loses to the 2099 edit here, a conflict.
	patch := json.RawMessage(`{"summary":"Башка ноутбук оңдоду"}`)
	if _, err := other.EditAppeal(ctx, theirs.ID, patch); err != nil {
		t.Fatal(err)
	}
	ops := pending(t, other, 0)
	if _, err := svc.ApplyRemote(ctx, ops[len(ops)-1:], 4); err != nil {
		t.Fatal(err)
	}
	if c, _ := svc.Conflicts(ctx); len(c) != 1 || c[0].Winner.HLC.Time().Year() != 2099 {
		t.Fatalf("before: conflicts %+v", c)
	}
	before, _ := svc.Appeal(ctx, mine.ID)

	// The clock is set right (a day after fixedNow).
	now.Store(fixedNow.Add(24 * time.Hour).UnixMilli())
	n, err := svc.Restamp(ctx, sent+1)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("restamped %d operations, want the 4 made with the wrong clock", n)
	}
	unsent := pending(t, svc, sent)
	prev := hlc.Timestamp(0)
	for _, op := range unsent {
		if op.HLC.Time().Year() != fixedNow.Year() || op.HLC <= prev {
			t.Fatalf("operation %s stamped %s after %s", op.ID(), op.HLC.Time(), prev.Time())
		}
		prev = op.HLC
	}
	// The appeal reads as before, its creation the restamped create.
	after, err := svc.Appeal(ctx, mine.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Summary != before.Summary || after.Village != "Кара-Суу" || after.Meta.CreatedAt.Year() != fixedNow.Year() {
		t.Fatalf("after restamping: %+v", after)
	}
	hist, err := svc.History(ctx, domain.KindAppeal, mine.ID)
	if err != nil || len(hist) != 3 {
		t.Fatalf("history %d entries, %v", len(hist), err)
	}
	for _, e := range hist {
		if e.At.Year() == 2099 {
			t.Fatalf("history still dated 2099: %+v", e)
		}
	}
	// Their appeal: the restamped edit is stamped after everything this
	// laptop had merged, so it still wins, and the conflict stays, now
	// between real-time stamps (as every other replica will see it).
	got, _ := svc.Appeal(ctx, theirs.ID)
	c, _ := svc.Conflicts(ctx)
	if got.Summary != "Катчы толуктады" || len(c) != 1 || c[0].Winner.HLC.Time().Year() == 2099 || c[0].Loser.Device != other.Device().ID {
		t.Fatalf("their appeal %q, conflicts %+v", got.Summary, c)
	}
	// New saves go on from the new clock.
	if _, err := svc.EditAppeal(ctx, mine.ID, json.RawMessage(`{"village":"Ак-Муз"}`)); err != nil {
		t.Fatal(err)
	}
	last := pending(t, svc, svc.Seq()-1)[0]
	if last.HLC <= prev || last.HLC.Time().Year() != fixedNow.Year() {
		t.Fatalf("the next save is stamped %s", last.HLC.Time())
	}
}
