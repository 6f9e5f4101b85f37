package records_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// concurrentEdits are two writes of field, from two devices, neither
// having seen the other (both on top of the create operation at base).
func concurrentEdits(a *domain.Appeal, base hlc.Timestamp, field string, at time.Time) []*changeset.Op {
	var out []*changeset.Op
	for i, dev := range []string{"0190a5c2-0000-7000-8000-0000000000d1", "0190a5c2-0000-7000-8000-0000000000d2"} {
		v, _ := json.Marshal(field + " from " + dev)
		out = append(out, &changeset.Op{Device: dev, Seq: uint64(10 + i), HLC: hlc.New(at.UnixMilli()+int64(i), 0), Kind: domain.KindAppeal,
			Record: a.ID, Council: a.Council, Action: changeset.ActionUpdate, Author: "laptop " + dev[len(dev)-2:],
			Fields: map[string]changeset.Change{field: {Value: v, Base: base}}})
	}
	return out
}

// appealElsewhere opens this laptop's records (at fixedNow) and makes an
// appeal on another laptop: the appeal and the operations that made it,
// not yet pulled here (the start of every conflict below).
func appealElsewhere(t *testing.T) (*records.Service, *domain.Appeal, []*changeset.Op) {
	t.Helper()
	svc, st := open(t, t.TempDir(), func() time.Time { return fixedNow })
	t.Cleanup(func() { st.Close() })
	other := otherLaptop(t)
	a, err := other.CreateAppeal(context.Background(), appeal())
	if err != nil {
		t.Fatal(err)
	}
	return svc, a, pending(t, other, 0)
}

// A central laptop is shown only the conflicts it may resolve: those on
// the review fields. A council's conflict on its own fields is the
// council's; it stays in the store (and settles when the council's
// resolution arrives) but is neither listed nor counted here.
func TestCentralSeesOnlyConflictsItMayResolve(t *testing.T) {
	ctx := context.Background()
	svc, a, page := appealElsewhere(t)
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", Role: domain.RoleCentral, Name: "Борбор"}); err != nil {
		t.Fatal(err)
	}
	page = append(page, concurrentEdits(a, page[len(page)-1].HLC, "summary", fixedNow)...)
	page = append(page, concurrentEdits(a, page[len(page)-1].HLC, "review_note", fixedNow.Add(time.Minute))...)
	res, err := svc.ApplyRemote(ctx, page, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 2 {
		t.Fatalf("the page made %d conflicts, want 2", len(res.Conflicts))
	}
	list, err := svc.Conflicts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Field != "review_note" {
		t.Fatalf("central laptop lists %+v, want only the review note's conflict", list)
	}
	views, err := svc.ConflictViews(ctx)
	if err != nil || len(views) != 1 {
		t.Fatalf("views %+v %v", views, err)
	}
	v := views[0]
	if v.Current.By != "laptop d2" || v.Other.By != "laptop d1" || !v.Current.At.Equal(fixedNow.Add(time.Minute+time.Millisecond)) {
		t.Fatalf("who wrote what, when: %+v", v)
	}
	// The council's conflict cannot be resolved here either.
	value, _ := json.Marshal("борбордун версиясы")
	if err := svc.Resolve(ctx, domain.KindAppeal, a.ID, "summary", value); !errors.Is(err, syncproto.ErrForbidden) {
		t.Fatalf("central resolving a council's field: %v", err)
	}
	if err := svc.Resolve(ctx, domain.KindAppeal, a.ID, "review_note", value); err != nil {
		t.Fatalf("central resolving a review note: %v", err)
	}
	if list, _ := svc.Conflicts(ctx); len(list) != 0 {
		t.Fatalf("after resolving: %+v", list)
	}
	// The resolution names what it settles and was written by this
	// laptop's registered name.
	mine := pending(t, svc, 0)
	last := mine[len(mine)-1]
	if last.Author != "Борбор" || len(last.Fields["review_note"].Settles) != 1 || last.Fields["review_note"].Settles[0].Device != "0190a5c2-0000-7000-8000-0000000000d1" {
		t.Fatalf("the resolution: %+v", last)
	}
}

// A person's resolution wins even against a value stamped as far ahead as
// a laptop merges (20 hours here): the laptop's clock has observed that
// value, so the resolution orders after it, on every replica, in every
// order of arrival.
func TestResolutionWinsAgainstAValueFromAhead(t *testing.T) {
	ctx := context.Background()
	svc, a, page := appealElsewhere(t)
	if _, err := svc.ApplyRemote(ctx, page, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"summary":"бул жерде"}`)); err != nil {
		t.Fatal(err)
	}
	ahead := concurrentEdits(a, page[len(page)-1].HLC, "summary", fixedNow.Add(20*time.Hour))[:1]
	if res, err := svc.ApplyRemote(ctx, ahead, 2); err != nil || len(res.Conflicts) != 1 {
		t.Fatalf("the edit from 20 hours ahead: %+v %v", res, err)
	}
	value, _ := json.Marshal("бул жерде")
	if err := svc.Resolve(ctx, domain.KindAppeal, a.ID, "summary", value); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Appeal(ctx, a.ID); got.Summary != "бул жерде" {
		t.Fatalf("the resolution lost: %q", got.Summary)
	}
	// Another replica, given every operation in either order, agrees.
	mine := pending(t, svc, 0)
	all := append(append(append([]*changeset.Op{}, page...), ahead...), mine...)
	for _, order := range [][]*changeset.Op{all, {mine[len(mine)-1], ahead[0], mine[0], page[0], page[1]}} {
		var s changeset.State
		for _, op := range order {
			if op.Kind != domain.KindAppeal {
				continue
			}
			if _, _, err := s.Apply(op); err != nil {
				t.Fatal(err)
			}
		}
		if string(s.Fields["summary"].Value) != string(value) {
			t.Fatalf("another replica holds %s", s.Fields["summary"].Value)
		}
	}
}

// A conflict between an item removed on one laptop (null) and changed on
// another is resolved with null or an item with that id, never with text:
// a merge written as text for it (as one for a text field is) was saved
// and refused by the server as not fitting a response, and kept in an
// event's or an appeal's collection, where no replica could read the
// item (the convergence test's refused answers/confidence, seed 20261125).
func TestResolvingARemovedItemTakesAnItem(t *testing.T) {
	ctx := context.Background()
	svc, a, page := appealElsewhere(t)
	const id = "0190a5c2-0000-7000-8000-00000000c001"
	field := "consultations" + changeset.ItemSep + id
	item := json.RawMessage(`{"id":"` + id + `","on":"2026-11-20","consultant":"Асанов Б.","summary":"кеңешүү"}`)
	changed := json.RawMessage(`{"id":"` + id + `","on":"2026-11-20","consultant":"Асанов Б.","summary":"башка"}`)
	// The item, added on one laptop, then changed on it and removed on
	// another, neither having seen the other.
	added := &changeset.Op{Device: "0190a5c2-0000-7000-8000-0000000000d1", Seq: 9, HLC: hlc.New(fixedNow.Add(-time.Minute).UnixMilli(), 0), Kind: domain.KindAppeal,
		Record: a.ID, Council: a.Council, Action: changeset.ActionUpdate, Author: "laptop d1", Fields: map[string]changeset.Change{field: {Value: item}}}
	page = append(page, added)
	edits := concurrentEdits(a, added.HLC, field, fixedNow)
	edits[0].Fields[field] = changeset.Change{Value: changed, Base: edits[0].Fields[field].Base}
	edits[1].Fields[field] = changeset.Change{Value: json.RawMessage("null"), Base: edits[1].Fields[field].Base}
	if _, err := svc.ApplyRemote(ctx, append(page, edits...), 3); err != nil {
		t.Fatal(err)
	}
	views, err := svc.ConflictViews(ctx)
	if err != nil || len(views) != 1 || string(views[0].Current.Value) != "null" {
		t.Fatalf("views %+v %v, want one conflict whose value now is null", views, err)
	}
	text, _ := json.Marshal("бириктирилди")
	for _, bad := range []json.RawMessage{text, json.RawMessage(`3`), json.RawMessage(`[]`), json.RawMessage(`{"note":"x"}`), json.RawMessage(`{"id":"another"}`)} {
		if err := svc.Resolve(ctx, domain.KindAppeal, a.ID, field, bad); !errors.Is(err, domain.ErrInvalid) {
			t.Fatalf("resolving %s with %s: %v, want it refused as invalid", field, bad, err)
		}
	}
	if list, _ := svc.Conflicts(ctx); len(list) != 1 {
		t.Fatalf("the conflict after refused resolutions: %+v", list)
	}
	if err := svc.Resolve(ctx, domain.KindAppeal, a.ID, field, changed); err != nil {
		t.Fatalf("resolving with the changed item: %v", err)
	}
	got, err := svc.Appeal(ctx, a.ID)
	if err != nil || len(got.Meta.Unreadable) != 0 {
		t.Fatalf("the appeal after the resolution: %+v %v", got, err)
	}
	if len(got.Consultations) != 1 || got.Consultations[0].ID != id {
		t.Fatalf("the consultation kept reads back as %+v", got.Consultations)
	}
}

// A conflict whose value now is an item no laptop writes (text, kept in an
// appeal by a server of before policy.CheckItem, from a laptop of before
// Resolve's check) is still shown to the council's laptop, which may write
// that item, and settled with an item: who may resolve it is not judged
// on the value it holds.
func TestAConflictOnAnItemThatIsNotIsShown(t *testing.T) {
	ctx := context.Background()
	svc, a, page := appealElsewhere(t)
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", Role: domain.RoleSecretary, Council: a.Council}); err != nil {
		t.Fatal(err)
	}
	const id = "0190a5c2-0000-7000-8000-00000000c001"
	field := "consultations" + changeset.ItemSep + id
	text, _ := json.Marshal("бириктирилди")
	item := json.RawMessage(`{"id":"` + id + `","on":"2026-11-20","consultant":"Асанов Б.","summary":"кеңешүү"}`)
	// The item, added on one laptop, then changed on it and on another
	// (to text), neither having seen the other.
	added := &changeset.Op{Device: "0190a5c2-0000-7000-8000-0000000000d1", Seq: 9, HLC: hlc.New(fixedNow.Add(-time.Minute).UnixMilli(), 0), Kind: domain.KindAppeal,
		Record: a.ID, Council: a.Council, Action: changeset.ActionUpdate, Author: "laptop d1", Fields: map[string]changeset.Change{field: {Value: item}}}
	edits := concurrentEdits(a, added.HLC, field, fixedNow)
	changed := json.RawMessage(`{"id":"` + id + `","on":"2026-11-20","consultant":"Асанов Б.","summary":"башка"}`)
	edits[0].Fields[field] = changeset.Change{Value: changed, Base: added.HLC}
	edits[1].Fields[field] = changeset.Change{Value: text, Base: added.HLC} // the later: it wins
	res, err := svc.ApplyRemote(ctx, append(append(page, added), edits...), 3)
	if err != nil || len(res.Conflicts) != 1 {
		t.Fatalf("the page: %+v %v, want one conflict", res, err)
	}
	list, err := svc.Conflicts(ctx)
	if err != nil || len(list) != 1 || string(list[0].Winner.Value) != string(text) {
		t.Fatalf("conflicts %+v %v, want the one whose value now is text", list, err)
	}
	if err := svc.Resolve(ctx, domain.KindAppeal, a.ID, field, text); !errors.Is(err, domain.ErrInvalid) || !errors.Is(err, syncproto.ErrInvalid) {
		t.Fatalf("keeping the text: %v, want it refused as invalid", err)
	}
	wrongMember := json.RawMessage(`{"id":"` + id + `","summary":"башка","on":5}`)
	if err := svc.Resolve(ctx, domain.KindAppeal, a.ID, field, wrongMember); !errors.Is(err, domain.ErrInvalid) || !errors.Is(err, syncproto.ErrInvalid) {
		t.Fatalf("an item whose date is a number: %v, want it refused as invalid", err)
	}
	if err := svc.Resolve(ctx, domain.KindAppeal, a.ID, field, changed); err != nil {
		t.Fatalf("resolving with the item: %v", err)
	}
	if got, err := svc.Appeal(ctx, a.ID); err != nil || len(got.Meta.Unreadable) != 0 || len(got.Consultations) != 1 || got.Consultations[0].Summary != "башка" {
		t.Fatalf("the appeal after the resolution: %+v %v", got, err)
	}
}
