package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

// enrollAs enrolls l with a registered name of its own (not its device
// name): what people see as the author of what it writes.
func (l *laptop) enrollAs(t *testing.T, srv server, council, oblast, role, registered string) {
	t.Helper()
	code := srv.enrollCode(council, role, registered)
	if _, _, err := l.sync.Enroll(context.Background(), srv.baseURL(), code); err != nil {
		t.Fatalf("%s: enroll: %v", l.name, err)
	}
	l.council, l.oblast, l.role = council, oblast, role
}

func (l *laptop) syncOK(t *testing.T) *Summary {
	t.Helper()
	sum, err := l.sync.SyncOnce(context.Background())
	if err != nil {
		t.Fatalf("%s: sync: %v", l.name, err)
	}
	return sum
}

func (l *laptop) summary(t *testing.T, id string) string {
	t.Helper()
	a, err := l.svc.Appeal(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Summary
}

// TestConflictsSettle: two council laptops edit one field concurrently and
// both hold the conflict. One resolves it: the resolution travels, settles
// the conflict on the other laptop and on the central one, and the second
// laptop, which still showed the stale card, cannot overwrite the merge.
// The card says who wrote each value (the registered names), and the
// central laptop never shows a council's conflict it may not resolve.
func TestConflictsSettle(t *testing.T) {
	ctx := context.Background()
	srv := startFake(t, synctest.Options{})
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	a := newLaptop(t, "laptop-a")
	a.enrollAs(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, "Ат-Башы катчысы Айгүл")
	b := newLaptop(t, "laptop-b")
	b.enrollAs(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, "Ат-Башы катчысы Бакыт")
	central := newLaptop(t, "central")
	central.enrollAs(t, srv, "", "", domain.RoleCentral, "Борбор: Нурлан")

	ap := a.saveAppeal(t, "Суу жок")
	a.syncOK(t)
	b.syncOK(t)
	edit := func(l *laptop, summary string) {
		t.Helper()
		patch, _ := json.Marshal(map[string]string{"summary": summary})
		if _, err := l.svc.EditAppeal(ctx, ap.ID, patch); err != nil {
			t.Fatal(err)
		}
	}
	// Both edit the summary before either syncs: a conflict.
	edit(a, "Суу жок: А-нын нускасы")
	edit(b, "Суу жок: Б-нын нускасы")
	a.syncOK(t)
	b.syncOK(t)
	a.syncOK(t)
	central.syncOK(t)
	views := map[string][]records.ConflictView{}
	for _, l := range []*laptop{a, b} {
		v, err := l.svc.ConflictViews(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != 1 || v[0].Field != "summary" {
			t.Fatalf("%s: conflicts %+v, want one on summary", l.name, v)
		}
		views[l.name] = v
	}
	if a.summary(t, ap.ID) != b.summary(t, ap.ID) {
		t.Fatal("the two laptops disagree on the winner")
	}
	// Who wrote each value: the laptops' registered names, and when.
	v := views["laptop-a"][0]
	got := []string{v.Current.By, v.Other.By}
	if !(got[0] == "Ат-Башы катчысы Айгүл" && got[1] == "Ат-Башы катчысы Бакыт" || got[0] == "Ат-Башы катчысы Бакыт" && got[1] == "Ат-Башы катчысы Айгүл") {
		t.Fatalf("authors of the two values: %q", got)
	}
	if v.Current.At.IsZero() || v.Other.At.IsZero() {
		t.Fatalf("when each value was written: %+v", v)
	}
	// The central laptop holds the council's conflict but may not resolve
	// a council's field: it does not show it.
	if c, err := central.svc.Conflicts(ctx); err != nil || len(c) != 0 {
		t.Fatalf("central laptop shows %d conflicts (%v), want none of the council's", len(c), err)
	}

	// A resolves by hand; B still shows its stale card.
	merged := "Суу жок: бириктирилди"
	value, _ := json.Marshal(merged)
	if err := a.svc.Resolve(ctx, domain.KindAppeal, ap.ID, "summary", value); err != nil {
		t.Fatal(err)
	}
	if c, _ := a.svc.Conflicts(ctx); len(c) != 0 {
		t.Fatalf("a: still %d conflicts after resolving", len(c))
	}
	a.syncOK(t)
	b.syncOK(t)
	if c, _ := b.svc.Conflicts(ctx); len(c) != 0 {
		t.Fatalf("b: the resolution made on a did not settle b's conflict: %+v", c)
	}
	if got := b.summary(t, ap.ID); got != merged {
		t.Fatalf("b holds %q, want the merge %q", got, merged)
	}
	// B's person clicks "keep" on the card it still had on screen: the
	// conflict is gone, and the merge stands.
	stale, _ := json.Marshal(views["laptop-b"][0].Current.Value)
	err := b.svc.Resolve(ctx, domain.KindAppeal, ap.ID, "summary", stale)
	if !errors.Is(err, domain.ErrNotFound) || !strings.Contains(err.Error(), "no open conflict") {
		t.Fatalf("resolving a settled conflict: %v, want not found", err)
	}
	b.syncOK(t)
	a.syncOK(t)
	central.syncOK(t)
	for _, l := range []*laptop{a, b, central} {
		if got := l.summary(t, ap.ID); got != merged {
			t.Fatalf("%s holds %q, want the merge %q", l.name, got, merged)
		}
		if c, _ := l.svc.Conflicts(ctx); len(c) != 0 {
			t.Fatalf("%s: %d conflicts left", l.name, len(c))
		}
	}
	// The central laptop's store no longer holds the council's conflict
	// either (it was settled there by the resolution).
	held := 0
	central.st.Conflicts(ctx, func(changeset.Conflict) error { held++; return nil })
	if held != 0 {
		t.Fatalf("the central laptop's store still holds %d conflicts", held)
	}
}
