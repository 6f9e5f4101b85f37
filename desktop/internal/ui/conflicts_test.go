package ui

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
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
	if left, _ := svc.Conflicts(context.Background()); len(left) != 0 {
		t.Fatalf("%d conflicts left", len(left))
	}
	a, _ := svc.Appeal(context.Background(), list[0].Record)
	if a.Summary != merged {
		t.Fatalf("summary %q, want the merge typed %q", a.Summary, merged)
	}
}
