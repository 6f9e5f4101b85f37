package records_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

const centreSummary = "Жер үлүшү тартылып алынды"

// refusedLaptop is a laptop whose appeal reached the centre (all its
// operations acknowledged): what each case starts from.
func refusedLaptop(t *testing.T) (*records.Service, *domain.Appeal) {
	t.Helper()
	ctx := context.Background()
	svc, _ := setup(t)
	a, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetAcked(ctx, svc.Seq(), nil); err != nil {
		t.Fatal(err)
	}
	return svc, a
}

// editRefused saves a patch of the appeal and has the server refuse it.
func editRefused(t *testing.T, svc *records.Service, id, patch string, fields ...domain.FieldError) uint64 {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.EditAppeal(ctx, id, json.RawMessage(patch)); err != nil {
		t.Fatal(err)
	}
	seq := svc.Seq()
	if err := svc.SetAcked(ctx, seq, []records.Refusal{{Seq: seq, Code: "invalid", Message: "refused", Fields: fields}}); err != nil {
		t.Fatal(err)
	}
	return seq
}

func summaryOf(t *testing.T, svc *records.Service, id string) string {
	t.Helper()
	a, err := svc.Appeal(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Summary
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	bad := domain.FieldError{Field: "summary", Code: domain.CodeForbidden, Message: "not yours"}
	cases := []struct {
		name string
		run  func(t *testing.T, svc *records.Service, a *domain.Appeal)
	}{
		{"a refusal names its record, field, values and reason", func(t *testing.T, svc *records.Service, a *domain.Appeal) {
			seq := editRefused(t, svc, a.ID, `{"summary":"Жаңы ң ө ү","village":"Кара-Суу"}`, bad)
			list, err := svc.Refusals(ctx)
			if err != nil || len(list) != 1 {
				t.Fatalf("refusals %+v, %v: want one", list, err)
			}
			v := list[0]
			if v.Seq != seq || v.Kind != domain.KindAppeal || v.Record != a.ID || v.RegNo != a.RegNo || v.Title != "Жаңы ң ө ү" || v.Created {
				t.Fatalf("refusal %+v", v)
			}
			if len(v.Open) != 2 || v.Open[0].Field != "summary" || v.Open[1].Field != "village" {
				t.Fatalf("open fields %+v, want summary and village", v.Open)
			}
			var held, centre string
			_ = json.Unmarshal(v.Open[0].Value, &held)
			_ = json.Unmarshal(v.Open[0].Centre, &centre)
			if held != "Жаңы ң ө ү" || centre != centreSummary || len(v.Open[0].Reasons) != 1 || len(v.Open[1].Reasons) != 0 {
				t.Fatalf("summary: held %q, centre %q, reasons %+v", held, centre, v.Open[0].Reasons)
			}
			if mine, _ := svc.RefusalsOf(ctx, domain.KindAppeal, a.ID); len(mine) != 1 {
				t.Fatalf("the appeal's refusals: %+v", mine)
			}
			if other, _ := svc.RefusalsOf(ctx, domain.KindEvent, a.ID); len(other) != 0 {
				t.Fatalf("another record's refusals: %+v", other)
			}
		}},
		{"taking the centre's value settles it with a new operation", func(t *testing.T, svc *records.Service, a *domain.Appeal) {
			seq := editRefused(t, svc, a.ID, `{"summary":"Жаңы"}`, bad)
			if err := svc.TakeCentre(ctx, seq); err != nil {
				t.Fatal(err)
			}
			if got := summaryOf(t, svc, a.ID); got != centreSummary {
				t.Fatalf("summary %q after taking the centre's", got)
			}
			if svc.Seq() != seq+1 {
				t.Fatalf("seq %d: want a new operation after %d", svc.Seq(), seq)
			}
			if list, _ := svc.Refusals(ctx); len(list) != 0 {
				t.Fatalf("still refused: %+v", list)
			}
			if err := svc.TakeCentre(ctx, seq); !errors.Is(err, records.ErrNoRefusal) {
				t.Fatalf("taking it twice: %v", err)
			}
			st, _ := svc.SyncState(ctx)
			if len(st.Refused) != 1 { // kept for the record (keneshctl sync status)
				t.Fatalf("refusals kept: %+v", st.Refused)
			}
			// The refused value stays in the history, marked.
			hist, _ := svc.History(ctx, domain.KindAppeal, a.ID)
			marked := 0
			for _, e := range hist {
				if e.Refused {
					marked++
					if v, _ := e.Changes["summary"].(json.RawMessage); e.Seq != seq || string(v) != `"Жаңы"` {
						t.Fatalf("marked refused: %+v", e)
					}
				}
			}
			if marked != 1 {
				t.Fatalf("%d history entries marked refused, want 1", marked)
			}
		}},
		{"a new edit of the field settles it", func(t *testing.T, svc *records.Service, a *domain.Appeal) {
			editRefused(t, svc, a.ID, `{"summary":"Жаңы","village":"Кара-Суу"}`)
			if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"summary":"Оңдолду"}`)); err != nil {
				t.Fatal(err)
			}
			list, _ := svc.Refusals(ctx)
			if len(list) != 1 || len(list[0].Open) != 1 || list[0].Open[0].Field != "village" {
				t.Fatalf("refusals %+v: want the village alone open", list)
			}
			if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"village":"Ак-Муз"}`)); err != nil {
				t.Fatal(err)
			}
			if list, _ := svc.Refusals(ctx); len(list) != 0 {
				t.Fatalf("refusals %+v after correcting both", list)
			}
		}},
		{"several refusals of one field: the newest, and the centre's value before both", func(t *testing.T, svc *records.Service, a *domain.Appeal) {
			first := editRefused(t, svc, a.ID, `{"summary":"Биринчи"}`, bad)
			second := editRefused(t, svc, a.ID, `{"summary":"Экинчи"}`, bad)
			list, _ := svc.Refusals(ctx)
			if len(list) != 1 || list[0].Seq != second {
				t.Fatalf("refusals %+v: want the second alone", list)
			}
			var centre string
			_ = json.Unmarshal(list[0].Open[0].Centre, &centre)
			if centre != centreSummary {
				t.Fatalf("centre's value %q: want the one before both refusals", centre)
			}
			if err := svc.TakeCentre(ctx, first); !errors.Is(err, records.ErrNoRefusal) {
				t.Fatalf("taking the first, settled by the second: %v", err)
			}
			if err := svc.TakeCentre(ctx, second); err != nil {
				t.Fatal(err)
			}
			if got := summaryOf(t, svc, a.ID); got != centreSummary {
				t.Fatalf("summary %q", got)
			}
		}},
		{"a pending change is not the centre's value", func(t *testing.T, svc *records.Service, a *domain.Appeal) {
			if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"summary":"Жөнөтүлө элек"}`)); err != nil {
				t.Fatal(err)
			}
			seq := editRefused(t, svc, a.ID, `{"summary":"Жаңы"}`)
			// Acknowledged up to the refusal, yet the one before is
			// acknowledged too: set the acknowledgement below it.
			if err := svc.SetAcked(ctx, seq-2, nil); err != nil {
				t.Fatal(err)
			}
			list, _ := svc.Refusals(ctx)
			var centre string
			_ = json.Unmarshal(list[0].Open[0].Centre, &centre)
			if centre != centreSummary {
				t.Fatalf("centre's value %q", centre)
			}
		}},
		{"refusals of changes and records no longer here are left out", func(t *testing.T, svc *records.Service, a *domain.Appeal) {
			if err := svc.SetAcked(ctx, svc.Seq(), []records.Refusal{{Seq: 9999, Code: "invalid", Message: "gone"}}); err != nil {
				t.Fatal(err)
			}
			if list, err := svc.Refusals(ctx); err != nil || len(list) != 0 {
				t.Fatalf("refusals %+v, %v", list, err)
			}
			if err := svc.TakeCentre(ctx, 9999); !errors.Is(err, records.ErrNoRefusal) {
				t.Fatalf("taking a gone one: %v", err)
			}
		}},
		{"a refused creation is shown and cannot go back", func(t *testing.T, svc *records.Service, a *domain.Appeal) {
			b, err := svc.CreateAppeal(ctx, appeal())
			if err != nil {
				t.Fatal(err)
			}
			seq := svc.Seq()
			if err := svc.SetAcked(ctx, seq, []records.Refusal{{Seq: seq, Code: "forbidden", Message: "no"}}); err != nil {
				t.Fatal(err)
			}
			list, _ := svc.Refusals(ctx)
			if len(list) != 1 || !list[0].Created || list[0].Record != b.ID {
				t.Fatalf("refusals %+v", list)
			}
			if err := svc.TakeCentre(ctx, seq); !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("taking the centre's value of a refused creation: %v", err)
			}
		}},
		{"a refused value the centre holds all the same is not open", func(t *testing.T, svc *records.Service, a *domain.Appeal) {
			// Two edits the centre took, then the refused one: between
			// them, another laptop wrote the same summary, which the
			// centre holds (the refused edit, later, still wins here).
			for _, v := range []string{"Кара-Суу", "Ак-Муз"} {
				if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"village":"`+v+`"}`)); err != nil {
					t.Fatal(err)
				}
			}
			_ = svc.SetAcked(ctx, svc.Seq(), nil)
			editRefused(t, svc, a.ID, `{"summary":"Жаңы"}`)
			hist, _ := svc.History(ctx, domain.KindAppeal, a.ID)
			between := hist[len(hist)-1].HLC - 1
			st, _ := svc.SyncState(ctx)
			op := &changeset.Op{Device: domain.NewID(), Seq: 1, HLC: between, Kind: domain.KindAppeal,
				Record: a.ID, Council: a.Council, Action: changeset.ActionUpdate, Author: "Борбор",
				Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`"Жаңы"`)}}}
			if _, err := svc.ApplyRemote(ctx, []*changeset.Op{op}, st.Cursor); err != nil {
				t.Fatal(err)
			}
			if list, _ := svc.Refusals(ctx); len(list) != 0 {
				t.Fatalf("refusals %+v: the centre holds the value", list)
			}
		}},
		{"a field this laptop may not write goes back here only", func(t *testing.T, svc *records.Service, a *domain.Appeal) {
			seq := editRefused(t, svc, a.ID, `{"review_note":"enrolled later"}`,
				domain.FieldError{Field: "review_note", Code: domain.CodeForbidden, Message: "central staff only"})
			if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", Role: domain.RoleSecretary, Council: "NRN-ATB"}); err != nil {
				t.Fatal(err)
			}
			if err := svc.SetAcked(ctx, seq, nil); err != nil {
				t.Fatal(err)
			}
			if err := svc.TakeCentre(ctx, seq); err != nil {
				t.Fatal(err)
			}
			if svc.Seq() != seq {
				t.Fatalf("seq %d: want no operation (the server would refuse it)", svc.Seq())
			}
			got, _ := svc.Appeal(ctx, a.ID)
			if got.ReviewNote != "" {
				t.Fatalf("review note %q", got.ReviewNote)
			}
			if list, _ := svc.Refusals(ctx); len(list) != 0 {
				t.Fatalf("still refused: %+v", list)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, a := refusedLaptop(t)
			c.run(t, svc, a)
		})
	}
}

// A refusal's cause, from the protocol's codes, for a person's words.
func TestRefusalCause(t *testing.T) {
	for code, want := range map[string]string{"forbidden": records.CauseForbidden, "wrong_council": records.CauseForbidden,
		"clock": records.CauseClock, "invalid": records.CauseValue, "not_found": records.CauseValue, "": records.CauseValue} {
		if got := (records.Refusal{Code: code}).Cause(); got != want {
			t.Errorf("%q: %q, want %q", code, got, want)
		}
	}
}

// BenchmarkRefusals lists the open refusals of a laptop that keeps the
// most it keeps (1000), all open or all settled (settled ones are read
// up to their record's state, and left out): what the status bar, the
// home and each record list ask when the refusals or the changes moved.
// Enrolled, each open field is asked of policy.CheckWrite (Kept).
func BenchmarkRefusals(b *testing.B) {
	for _, c := range []struct {
		name              string
		settled, enrolled bool
	}{{"open", false, false}, {"settled", true, false}, {"open-enrolled", false, true}} {
		settled := c.settled
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			st, err := store.Open(ctx, b.TempDir(), testKey, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			if _, err := records.Init(ctx, st, "bench laptop"); err != nil {
				b.Fatal(err)
			}
			svc, err := records.Open(ctx, st, records.Options{Now: func() time.Time { return fixedNow }})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
				b.Fatal(err)
			}
			if c.enrolled { // each open field asked whether this laptop may write it (Kept)
				if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", Role: domain.RoleSecretary, Council: "NRN-ATB"}); err != nil {
					b.Fatal(err)
				}
			}
			const n = 1000
			ids := make([]string, n)
			var refused []records.Refusal
			for i := range ids {
				a, err := svc.CreateAppeal(ctx, appeal())
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = a.ID
			}
			_ = svc.SetAcked(ctx, svc.Seq(), nil)
			for _, id := range ids {
				if _, err := svc.EditAppeal(ctx, id, json.RawMessage(`{"village":"Кара-Суу"}`)); err != nil {
					b.Fatal(err)
				}
				refused = append(refused, records.Refusal{Seq: svc.Seq(), Code: "invalid", Message: "no"})
			}
			if err := svc.SetAcked(ctx, svc.Seq(), refused); err != nil {
				b.Fatal(err)
			}
			if settled {
				for _, id := range ids {
					if _, err := svc.EditAppeal(ctx, id, json.RawMessage(`{"village":"Ак-Муз"}`)); err != nil {
						b.Fatal(err)
					}
				}
			}
			want := n
			if settled {
				want = 0
			}
			for b.Loop() {
				list, err := svc.Refusals(ctx)
				if err != nil || len(list) != want {
					b.Fatalf("%d refusals, %v; want %d", len(list), err, want)
				}
			}
		})
	}
}

// A record whose creation the centre refused is on this laptop alone: its
// correction is sent as its creation again, every field it holds with the
// correction (an update of the corrected field alone would reach the
// centre as a record of that field alone), and settles the refusal whole.
// Once the centre took the record, an edit is an update again.
func TestRefusedCreationCorrectedIsSentWhole(t *testing.T) {
	ctx := context.Background()
	svc, a := refusedLaptop(t) // another record, which the centre holds
	b, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	created := svc.Seq()
	if err := svc.SetAcked(ctx, created, []records.Refusal{{Seq: created, Code: "invalid", Message: "refused"}}); err != nil {
		t.Fatal(err)
	}
	last := func(id string) records.Entry {
		t.Helper()
		hist, err := svc.History(ctx, domain.KindAppeal, id)
		if err != nil {
			t.Fatal(err)
		}
		return hist[len(hist)-1]
	}
	first := last(b.ID)

	// The centre's record is edited as ever, though a refusal is kept.
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"village":"Кара-Суу"}`)); err != nil {
		t.Fatal(err)
	}
	if e := last(a.ID); e.Action != changeset.ActionUpdate || len(e.Changes) != 1 {
		t.Fatalf("an edit of the centre's record: %s of %d fields, want an update of 1", e.Action, len(e.Changes))
	}

	const fixed = "Түзөтүлдү: ң ө ү"
	if _, err := svc.EditAppeal(ctx, b.ID, json.RawMessage(`{"summary":"`+fixed+`"}`)); err != nil {
		t.Fatal(err)
	}
	again := last(b.ID)
	if again.Action != changeset.ActionCreate || again.Seq == first.Seq {
		t.Fatalf("the correction is a %s (seq %d), want the creation again", again.Action, again.Seq)
	}
	for f := range first.Changes {
		if _, ok := again.Changes[f]; !ok {
			t.Errorf("the creation sent again lacks %s", f)
		}
	}
	if got, _ := json.Marshal(again.Changes["summary"]); string(got) != `"`+fixed+`"` {
		t.Errorf("the creation sent again has summary %s, want the correction", got)
	}
	if list, err := svc.RefusalsOf(ctx, domain.KindAppeal, b.ID); err != nil || len(list) != 0 {
		t.Fatalf("after the correction: refusals %+v (%v), want none open", list, err)
	}
	if summaryOf(t, svc, b.ID) != fixed {
		t.Fatalf("summary %q", summaryOf(t, svc, b.ID))
	}

	// The centre took it: the next edit is an update of what changed.
	if err := svc.SetAcked(ctx, svc.Seq(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EditAppeal(ctx, b.ID, json.RawMessage(`{"village":"Жаңы-Жол"}`)); err != nil {
		t.Fatal(err)
	}
	if e := last(b.ID); e.Action != changeset.ActionUpdate || len(e.Changes) != 1 {
		t.Fatalf("an edit after the centre took it: %s of %d fields, want an update of 1", e.Action, len(e.Changes))
	}
}

// A refused creation sent again holds only what this laptop may write
// (policy.CheckWrite, the server's rule): a field its role may not write
// (a review note written before the laptop was enrolled) is left out,
// and kept here, shown as kept on this laptop only, until the centre's
// value (none) is taken back. Without it, the creation sent again was
// refused here for that field, and the secretary, who cannot write it,
// could not correct the record at all.
func TestRefusedCreationSentAgainLeavesOutWhatThisLaptopMayNotWrite(t *testing.T) {
	ctx := context.Background()
	const note = "Каралды: ң ө ү"
	const fixed = "Оңдолду: ң ө ү"
	// refusedNote is an appeal whose creation, with a review note written
	// before enrollment, the centre refused for the note.
	refusedNote := func(t *testing.T) (*records.Service, string, uint64) {
		t.Helper()
		svc, _ := setup(t)
		in := appeal()
		in.ReviewNote = note
		b, err := svc.CreateAppeal(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", Role: domain.RoleSecretary, Council: "NRN-ATB"}); err != nil {
			t.Fatal(err)
		}
		seq := svc.Seq()
		if err := svc.SetAcked(ctx, seq, []records.Refusal{{Seq: seq, Code: "forbidden", Message: "central staff only",
			Fields: []domain.FieldError{{Field: "review_note", Code: domain.CodeForbidden, Message: "central staff only"}}}}); err != nil {
			t.Fatal(err)
		}
		return svc, b.ID, seq
	}
	last := func(t *testing.T, svc *records.Service, id string) records.Entry {
		t.Helper()
		hist, err := svc.History(ctx, domain.KindAppeal, id)
		if err != nil {
			t.Fatal(err)
		}
		return hist[len(hist)-1]
	}
	// sentAgain checks that the last operation is the creation again,
	// without the note, and that the note is kept here, open and Kept.
	sentAgain := func(t *testing.T, svc *records.Service, id string, seq uint64) {
		t.Helper()
		e := last(t, svc, id)
		if e.Action != changeset.ActionCreate || e.Seq == seq {
			t.Fatalf("the correction is a %s (seq %d), want the creation again", e.Action, e.Seq)
		}
		if _, ok := e.Changes["review_note"]; ok {
			t.Fatalf("the creation sent again holds the review note, which this laptop may not write")
		}
		for _, f := range []string{"summary", "reg_no", "council", "appellant"} {
			if _, ok := e.Changes[f]; !ok {
				t.Errorf("the creation sent again lacks %s", f)
			}
		}
		if a, _ := svc.Appeal(ctx, id); a.ReviewNote != note {
			t.Fatalf("review note %q: what was left out must stay here", a.ReviewNote)
		}
		list, err := svc.RefusalsOf(ctx, domain.KindAppeal, id)
		if err != nil || len(list) != 1 || list[0].Seq != seq || len(list[0].Open) != 1 ||
			list[0].Open[0].Field != "review_note" || !list[0].Open[0].Kept || !list[0].KeptOnly() {
			t.Fatalf("refusals %+v (%v): want the note alone open, kept here", list, err)
		}
	}
	cases := []struct {
		name string
		run  func(t *testing.T, svc *records.Service, id string, seq uint64)
	}{
		{"the correction is sent without the field and keeps it here", func(t *testing.T, svc *records.Service, id string, seq uint64) {
			if list, _ := svc.RefusalsOf(ctx, domain.KindAppeal, id); len(list) != 1 || !list[0].Created || list[0].KeptOnly() {
				t.Fatalf("before the correction: %+v, want a refused creation to correct", list)
			}
			if _, err := svc.EditAppeal(ctx, id, json.RawMessage(`{"summary":"`+fixed+`"}`)); err != nil {
				t.Fatalf("the correction: %v", err)
			}
			sentAgain(t, svc, id, seq)
			if summaryOf(t, svc, id) != fixed {
				t.Fatalf("summary %q", summaryOf(t, svc, id))
			}
		}},
		{"its form saved again unchanged, it is sent again", func(t *testing.T, svc *records.Service, id string, seq uint64) {
			// Nothing in the form to correct: the refusal was for the note.
			saveForm := func() error {
				a, err := svc.Appeal(ctx, id)
				if err != nil {
					return err
				}
				_, err = svc.ChangeAppeal(ctx, id, a, a, []string{"summary", "village"})
				return err
			}
			if err := saveForm(); err != nil {
				t.Fatalf("saving it again: %v", err)
			}
			sentAgain(t, svc, id, seq)
			// Saved again once more before the sync: nothing changed,
			// and the creation is on its way: no operation.
			n := svc.Seq()
			if err := saveForm(); err != nil || svc.Seq() != n {
				t.Fatalf("saving it a third time: %v, seq %d, want %d", err, svc.Seq(), n)
			}
		}},
		{"a second correction before the sync is an update", func(t *testing.T, svc *records.Service, id string, seq uint64) {
			if _, err := svc.EditAppeal(ctx, id, json.RawMessage(`{"summary":"`+fixed+`"}`)); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.EditAppeal(ctx, id, json.RawMessage(`{"village":"Кара-Суу"}`)); err != nil {
				t.Fatal(err)
			}
			// A second creation would be refused: the centre holds the
			// record by then, from the first.
			if e := last(t, svc, id); e.Action != changeset.ActionUpdate || len(e.Changes) != 1 {
				t.Fatalf("the second correction: %s of %d fields, want an update of 1", e.Action, len(e.Changes))
			}
		}},
		{"the secretary's own write of the field is refused, not left out", func(t *testing.T, svc *records.Service, id string, seq uint64) {
			n := svc.Seq()
			if _, err := svc.EditAppeal(ctx, id, json.RawMessage(`{"review_note":"Башка"}`)); err == nil || svc.Seq() != n {
				t.Fatalf("writing the note: %v, seq %d: want it refused, nothing saved", err, svc.Seq())
			}
		}},
		{"taken by the centre, the field kept here goes back to none, here only", func(t *testing.T, svc *records.Service, id string, seq uint64) {
			if _, err := svc.EditAppeal(ctx, id, json.RawMessage(`{"summary":"`+fixed+`"}`)); err != nil {
				t.Fatal(err)
			}
			// Taking it back before the sync, as after it: no operation.
			for _, synced := range []bool{false, true} {
				if synced {
					if err := svc.SetAcked(ctx, svc.Seq(), nil); err != nil {
						t.Fatal(err)
					}
				}
				list, _ := svc.RefusalsOf(ctx, domain.KindAppeal, id)
				if len(list) != 1 || list[0].Created == synced || !list[0].KeptOnly() {
					t.Fatalf("synced %v: refusals %+v", synced, list)
				}
			}
			n := svc.Seq()
			if err := svc.TakeCentre(ctx, seq); err != nil {
				t.Fatal(err)
			}
			if svc.Seq() != n {
				t.Fatalf("seq %d: want no operation (the server would refuse it)", svc.Seq())
			}
			if a, _ := svc.Appeal(ctx, id); a.ReviewNote != "" || a.Summary != fixed {
				t.Fatalf("review note %q, summary %q", a.ReviewNote, a.Summary)
			}
			if list, _ := svc.Refusals(ctx); len(list) != 0 {
				t.Fatalf("still refused: %+v", list)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, id, seq := refusedNote(t)
			c.run(t, svc, id, seq)
		})
	}
}

// A refused creation whose record holds a value no replica could read
// (text an old version wrote where a consultation belongs, refused by
// the server too) is sent again without it: checked here as the server
// checks (policy.CheckFields), it had the correction refused on this
// laptop. The text stays here, its refusal open, to be taken back.
func TestRefusedCreationSentAgainLeavesOutWhatNoReplicaReads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, st := open(t, dir, func() time.Time { return fixedNow })
	if _, err := svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	b, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	created := svc.Seq()
	// What an old version saved: text for a consultation.
	cur, err := st.State(ctx, domain.KindAppeal, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	field := "consultations" + changeset.ItemSep + domain.NewID()
	old := &changeset.Op{Device: svc.Device().ID, Seq: created + 1, HLC: cur.Updated + 1, Kind: domain.KindAppeal, Record: b.ID,
		Council: cur.Council, Action: changeset.ActionUpdate, Author: "old", Fields: map[string]changeset.Change{field: {Value: json.RawMessage(`"кеңеш берилди"`)}}}
	if _, _, err := cur.Apply(old); err != nil {
		t.Fatal(err)
	}
	n := func(v uint64) []byte { return []byte(strconv.FormatUint(v, 10)) }
	if err := st.Commit(ctx, []store.Write{{Op: old, State: cur}}, map[string][]byte{"seq": n(old.Seq), "clock": n(uint64(old.HLC))}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	svc, st = open(t, dir, func() time.Time { return fixedNow })
	t.Cleanup(func() { st.Close() })
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", Role: domain.RoleSecretary, Council: "NRN-ATB"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetAcked(ctx, old.Seq, []records.Refusal{{Seq: created, Code: "invalid", Message: "refused"},
		{Seq: old.Seq, Code: "invalid", Message: "not an item", Fields: []domain.FieldError{{Field: field, Code: domain.CodeFormat, Message: "not an item"}}}}); err != nil {
		t.Fatal(err)
	}

	const fixed = "Оңдолду: ң ө ү"
	if _, err := svc.EditAppeal(ctx, b.ID, json.RawMessage(`{"summary":"`+fixed+`"}`)); err != nil {
		t.Fatalf("the correction: %v", err)
	}
	hist, _ := svc.History(ctx, domain.KindAppeal, b.ID)
	e := hist[len(hist)-1]
	if e.Action != changeset.ActionCreate || e.Seq != old.Seq+1 {
		t.Fatalf("the correction is a %s (seq %d), want the creation again", e.Action, e.Seq)
	}
	if _, ok := e.Changes[field]; ok {
		t.Fatal("the creation sent again holds the text where a consultation belongs")
	}
	if _, ok := e.Changes["summary"]; !ok {
		t.Fatal("the creation sent again lacks the summary")
	}
	now, err := st.State(ctx, domain.KindAppeal, b.ID)
	if err != nil || string(now.Fields[field].Value) != `"кеңеш берилди"` {
		t.Fatalf("the text left out is not kept here: %v", err)
	}
	list, err := svc.RefusalsOf(ctx, domain.KindAppeal, b.ID)
	if err != nil || len(list) != 1 || list[0].Seq != old.Seq || len(list[0].Open) != 1 || list[0].Open[0].Field != field || list[0].Open[0].Kept {
		t.Fatalf("refusals %+v (%v): want the text's alone open", list, err)
	}
	// Taken by the centre, the text goes (an operation: removing it passes).
	if err := svc.SetAcked(ctx, svc.Seq(), nil); err != nil {
		t.Fatal(err)
	}
	if err := svc.TakeCentre(ctx, old.Seq); err != nil {
		t.Fatal(err)
	}
	if list, _ := svc.Refusals(ctx); len(list) != 0 {
		t.Fatalf("still refused: %+v", list)
	}
}
