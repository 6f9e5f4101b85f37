package ui

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// The conflict card says who wrote each value (the writing laptop's
// registered name) and when, in the interface's language and local time.
func TestConflictCardSaysWhoAndWhen(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := unlocked(t, lang, 5, 0, 1)
			views, err := h.u.sess.Records().ConflictViews(context.Background())
			if err != nil || len(views) != 1 {
				t.Fatalf("%d conflicts (%v)", len(views), err)
			}
			h.u.shell.navigate(secConflicts)
			for _, w := range []struct {
				who string
				at  any
			}{{views[0].Current.By, views[0].Current.At}, {views[0].Other.By, views[0].Other.At}} {
				if w.who == "" {
					t.Fatalf("a value without its author: %+v", views[0])
				}
				h.mustShow(h.T("conflicts.written_by", "who", w.who, "time", w.at))
			}
		})
	}
}

// A merge is written as plain text only for a text value, or a removed
// one beside text: a removed item of a collection (null beside an object)
// is merged as JSON, an item, since records.Resolve refuses text for it.
func TestMergeAsText(t *testing.T) {
	for _, c := range []struct {
		current, other string
		want           bool
	}{
		{`"Жарык оңдолду"`, `"Жарык оңдолгон жок"`, true},
		{`"text"`, `null`, true},
		{`null`, `"text"`, true},
		{` "spaced" `, `1`, true},
		{`null`, `{"id":"c1","note":"кеңешүү"}`, false}, // a removed item
		{`{"id":"c1","note":"кеңешүү"}`, `null`, false},
		{`null`, `null`, false},
		{`3`, `4`, false},
		{`["a"]`, `"a"`, false},
		{`true`, `"a"`, false},
	} {
		if got := mergeAsText(json.RawMessage(c.current), json.RawMessage(c.other)); got != c.want {
			t.Errorf("%s beside %s: as text %v, want %v", c.current, c.other, got, c.want)
		}
	}
}

// A person merges a text conflict by hand: the dialog starts from the
// value now, as plain text, and what they type is saved as the text.
func TestConflictMergedByHand(t *testing.T) {
	h := unlocked(t, "en", 5, 0, 1)
	svc := h.u.sess.Records()
	list, _ := svc.Conflicts(context.Background())
	if len(list) != 1 {
		t.Fatalf("%d conflicts", len(list))
	}
	h.u.shell.navigate(secConflicts)
	h.tap(h.T("conflicts.merge"))
	var e *controls.Entry
	for _, o := range h.objects() {
		if w, ok := o.(*controls.Entry); ok && w.MultiLine {
			e = w
		}
	}
	if e == nil {
		t.Fatalf("no entry in the merge dialog; screen shows: %v", h.texts())
	}
	if strings.HasPrefix(e.Text, `"`) || e.Text == "" {
		t.Fatalf("the dialog starts from %q: not the value now as plain text", e.Text)
	}
	const merged = "Жарык оңдолду, бирок түнкүсүн гана"
	e.SetText(merged)
	h.runModal()
	summarySettled(t, svc, list[0].Record, merged)
}

// A conflict on an item of a collection (a consultation removed on
// another laptop, the removal winning) is settled by keeping one side,
// not by a merge by hand: its card says the item was removed, explains
// that a person keeps one version and then edits the record, offers no
// merge (a JSON editor, where text was refused: seen in a real window),
// and keeping the item brings it back.
func TestItemConflictKeptNotMerged(t *testing.T) {
	h := unlocked(t, "en", 1, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	list, _ := svc.List(records.Filter{Kind: domain.KindAppeal})
	if len(list) == 0 {
		t.Fatal("no appeal")
	}
	a, err := svc.AddConsultation(ctx, list[0].ID, domain.Consultation{On: caldate.Today(records.Bishkek), Consultant: "Асанов Б.", Summary: "Жолдомо берилди"})
	if err != nil || len(a.Consultations) == 0 {
		t.Fatalf("the consultation: %+v %v", a, err)
	}
	c := a.Consultations[len(a.Consultations)-1]
	field := "consultations" + changeset.ItemSep + c.ID
	// Another laptop, not having seen it, removes the item (later: its
	// removal wins, the item is the other value).
	st, _ := svc.SyncState(ctx)
	op := &changeset.Op{Device: domain.NewID(), Seq: 1, HLC: hlc.New(time.Now().Add(time.Second).UnixMilli(), 0), Kind: domain.KindAppeal,
		Record: a.ID, Council: a.Council, Action: changeset.ActionUpdate, Author: "Борбордук кеңсе",
		Fields: map[string]changeset.Change{field: {Value: json.RawMessage("null"), Base: 1}}}
	if res, err := svc.ApplyRemote(ctx, []*changeset.Op{op}, st.Cursor); err != nil || len(res.Conflicts) != 1 {
		t.Fatalf("the removal: %+v %v", res, err)
	}
	h.u.shell.navigate(secConflicts)
	p := h.u.shell.root(secConflicts).(*conflictsPage)
	h.mustShow(h.T("conflicts.removed"))
	h.mustShow(h.T("conflicts.item_explain"))
	if h.shows(h.T("conflicts.merge")) {
		t.Fatalf("a merge by hand offered for an item; screen shows: %v", h.texts())
	}
	if len(p.keep) != 1 {
		t.Fatalf("%d cards", len(p.keep))
	}
	test.Tap(p.keep[0][1]) // the item, as this laptop has it
	h.drain()
	if left, _ := svc.Conflicts(ctx); len(left) != 0 {
		t.Fatalf("%d conflicts after the item was kept", len(left))
	}
	got, _ := svc.Appeal(ctx, a.ID)
	if len(got.Consultations) != len(a.Consultations) || len(got.Meta.Unreadable) != 0 || got.Consultations[len(got.Consultations)-1].ID != c.ID {
		t.Fatalf("the appeal after the item was kept: %+v", got)
	}
}

// A dialog grows with the errors a failed OK shows: kept at its first
// size, its last lines were drawn over the new messages (the merge
// dialog of a conflict, seen in a real window at 1366x768).
func TestModalGrowsWithItsErrors(t *testing.T) {
	h := unlocked(t, "ky", 5, 0, 0)
	u := h.u
	fs := u.newFieldSet(domain.KindAppeal)
	e := u.newMultiEntry(3)
	box := container.NewVBox(wrapped(u.T("conflicts.merge_explain")), fs.add("value", "conflicts.merged", e).box, muted("ң ө ү"))
	var fields []domain.FieldError
	for _, f := range []string{"summary", "channel", "category", "gender", "authority", "district"} {
		fields = append(fields, domain.FieldError{Field: f, Code: domain.CodeRequired, Message: "required"})
	}
	m := u.showModal(u.T("conflicts.merge"), fs, box, u.T("action.save"), func() error {
		return &domain.ValidationError{Kind: domain.KindAppeal, Fields: fields}
	})
	first := m.size
	h.runModal()
	if want := m.d.MinSize(); m.size.Height < want.Height || m.size.Height <= first.Height {
		t.Fatalf("the dialog is %v after the errors (%v before), its content needs %v", m.size, first, want)
	}
	if m.size.Height > m.canvas.Height-40 {
		t.Fatalf("the dialog grew past the window: %v in %v", m.size, m.canvas)
	}
}
