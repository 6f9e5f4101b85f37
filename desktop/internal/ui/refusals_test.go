package ui

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/domain"
)

// A change the centre refused is seen where a secretary looks: the
// status bar and the home say how many, the list names the record as
// its list does (no id, no code), with the value here, the centre's and
// why in words; the record's page says it too; taking the centre's value
// gives the record back its value and the refusal leaves every place.
func TestRefusalSeenAndCentreTaken(t *testing.T) {
	h := unlocked(t, "ky", 2, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	list, _ := svc.List(records.Filter{Kind: domain.KindAppeal})
	if len(list) == 0 {
		t.Fatal("no appeal")
	}
	a, err := svc.Appeal(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetAcked(ctx, svc.Seq(), nil); err != nil {
		t.Fatal(err)
	}
	const refused = "Борбор кабыл албаган текст ң ө ү"
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"summary":"`+refused+`"}`)); err != nil {
		t.Fatal(err)
	}
	seq := svc.Seq()
	if err := svc.SetAcked(ctx, seq, []records.Refusal{{Seq: seq, Code: "forbidden", Message: "summary: not allowed", At: time.Now(),
		Fields: []domain.FieldError{{Field: "summary", Code: domain.CodeForbidden, Message: "not allowed"}}}}); err != nil {
		t.Fatal(err)
	}
	// A sync's answer changes no record: the status bar, refreshed at
	// its report, tells the pages that count refusals.
	h.u.shell.navigate(secHome)
	h.u.shell.status.refreshPending()
	h.drain()
	h.mustShow(h.T("home.refused", "n", 1))
	if h.shows(h.T("home.unsynced", "n", 0)) { // everything sent: the card is titled by the refusal
		t.Error("the home's card is titled 'not yet sent: 0' while its news is a refusal")
	}
	h.tap(h.T("sync.refused", "n", 1))

	p, ok := h.u.shell.top().(*refusalsPage)
	if !ok {
		t.Fatalf("the status bar's button opened %T", h.u.shell.top())
	}
	named := false // the record's name, a link to its page
	for _, o := range h.objects() {
		if l, ok := o.(*controls.Link); ok && strings.Contains(l.Text, a.RegNo) {
			named = true
		}
	}
	if !named {
		t.Fatalf("no link names the appeal %s", a.RegNo)
	}
	h.mustShow(refused)
	h.mustShow(a.Summary)
	h.mustShow(h.T("refusals.here"))
	h.mustShow(h.T("refusals.centre"))
	h.mustShow(h.T("err.not_allowed"))
	h.mustShow(h.T("refusals.correct")) // the summary is in the appeal's form
	for _, s := range h.texts() {
		if strings.Contains(s, a.ID) || strings.Contains(s, "not_allowed") || strings.Contains(s, "forbidden") {
			t.Fatalf("an id or a code on screen: %q", s)
		}
	}
	if len(p.take) != 1 || p.take[0] == nil {
		t.Fatalf("take buttons: %v", p.take)
	}

	// The appeals' list marks its row.
	h.u.shell.navigate(secAppeals)
	if l, ok := h.u.shell.root(secAppeals).(*recordList); !ok || !l.refused[a.ID] || len(l.refused) != 1 {
		t.Fatalf("the appeals' list does not mark the refused appeal alone")
	}
	h.u.shell.navigate(secHome)
	h.tap(h.T("home.refused_show"))

	// The record's page says it too, with its field marked.
	h.u.shell.push(newAppealDetail(h.u, a.ID))
	h.drain()
	h.mustShow(h.T("refusals.banner"))
	h.u.shell.pop()
	h.drain()

	h.tap(h.T("refusals.take_centre"))
	h.tap(h.T("refusals.take_yes"))
	got, _ := svc.Appeal(ctx, a.ID)
	if got.Summary != a.Summary {
		t.Fatalf("summary %q after taking the centre's %q", got.Summary, a.Summary)
	}
	h.mustShow(h.T("refusals.none"))
	if h.shows(h.T("sync.refused", "n", 1)) {
		t.Fatal("the status bar still counts the refusal")
	}
	if open, _ := svc.Refusals(ctx); len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
}
