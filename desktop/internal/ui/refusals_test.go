package ui

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/caldate"
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

// A refused creation corrected holds, of what the centre refused, only a
// field this laptop's role may not write (a review note written before
// enrollment), left out of the creation sent again: its card says the
// value stays on this laptop only, offers no correction (none would
// reach the centre) and takes the centre's value (none), here only.
func TestRefusalKeptHereOnly(t *testing.T) {
	h := unlocked(t, "ky", 1, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	list, _ := svc.List(records.Filter{Kind: domain.KindAppeal})
	if len(list) == 0 {
		t.Fatal("no appeal")
	}
	b, err := svc.Appeal(ctx, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetAcked(ctx, svc.Seq(), nil); err != nil { // the demo's records reached the centre
		t.Fatal(err)
	}
	const note = "Каралды ң ө ү"
	today := caldate.Today(records.Bishkek)
	a, err := svc.CreateAppeal(ctx, domain.Appeal{Council: b.Council, Channel: "in_person", Oblast: b.Oblast, District: b.District,
		Village: "Ак-Муз", Appellant: &domain.Appellant{Name: "Асанова Гүлнара"}, Gender: "female", Category: "land_property",
		Summary: "Жер үлүшү тартылып алынды", ReceivedOn: today, RegisteredOn: today, ReviewNote: note})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", ServerID: "test", Token: "t",
		Role: domain.RoleSecretary, Council: a.Council, Name: "Катчы", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	seq := svc.Seq()
	if err := svc.SetAcked(ctx, seq, []records.Refusal{{Seq: seq, Code: "forbidden", Message: "review_note: not allowed", At: time.Now(),
		Fields: []domain.FieldError{{Field: "review_note", Code: domain.CodeForbidden, Message: "not allowed"}}}}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	h.u.shell.push(newRefusalsPage(h.u))
	h.drain()
	h.mustShow(h.T("refusals.created"))
	h.mustShow(h.T("refusals.kept"))
	h.mustShow(h.T("refusals.correct"))
	h.mustShow(note)
	// The record is here alone: its card names the field the centre
	// refused, not each of its fields, and no code.
	for _, s := range h.texts() {
		for _, bad := range []string{a.ID, a.Council, a.Category, a.Oblast, "forbidden", "not_allowed"} {
			if strings.Contains(s, bad) {
				t.Fatalf("an id or a code on screen: %q", s)
			}
		}
	}
	if h.shows(h.u.fieldName("summary")) {
		t.Fatal("the card of a refused creation lists a field the centre did not name")
	}

	// Corrected (saved again as it is), the creation goes again without the note.
	if _, err := svc.ChangeAppeal(ctx, a.ID, a, a, []string{"summary"}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.pop()
	h.u.shell.push(newRefusalsPage(h.u))
	h.drain()
	p := h.u.shell.top().(*refusalsPage)
	h.mustShow(h.T("refusals.kept"))
	if h.shows(h.T("refusals.created")) || h.shows(h.T("refusals.correct")) {
		t.Fatal("a refusal of what this laptop may not write asks for a correction")
	}
	if len(p.take) != 1 || p.take[0] == nil {
		t.Fatalf("take buttons: %v", p.take)
	}
	if got, _ := svc.Appeal(ctx, a.ID); got.ReviewNote != note {
		t.Fatalf("review note %q before taking the centre's", got.ReviewNote)
	}
	h.tap(h.T("refusals.take_centre"))
	h.tap(h.T("refusals.take_yes"))
	if got, _ := svc.Appeal(ctx, a.ID); got.ReviewNote != "" {
		t.Fatalf("review note %q after taking the centre's", got.ReviewNote)
	}
	h.mustShow(h.T("refusals.none"))
}

// A refused value that is a code (a category) or a date reads in words,
// here and at the centre, as the record's page shows it: never the code.
func TestRefusedCodeInWords(t *testing.T) {
	h := unlocked(t, "ky", 1, 0, 0)
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
	to := "health"
	if a.Category == to {
		to = "education"
	}
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"category":"`+to+`"}`)); err != nil {
		t.Fatal(err)
	}
	seq := svc.Seq()
	if err := svc.SetAcked(ctx, seq, []records.Refusal{{Seq: seq, Code: "invalid", Message: "category: no", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.push(newRefusalsPage(h.u))
	h.drain()
	h.mustShow(h.u.valueText("category", to))
	h.mustShow(h.u.valueText("category", a.Category))
	for _, s := range h.texts() {
		if s == to || s == a.Category {
			t.Fatalf("a code on screen: %q", s)
		}
	}
}
