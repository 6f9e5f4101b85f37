package ui

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
)

// Central staff's laptop reviews: no recording, no workflow, only the
// review dialog, which publishes an appeal the council marked ready.
func TestCentralStaffReview(t *testing.T) {
	h := unlocked(t, "en", 0, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	c := h.firstCouncil()
	mk := func(ready bool) string {
		a, err := svc.CreateAppeal(ctx, domain.Appeal{Council: c.Code, Channel: "phone", Oblast: c.Oblast, Category: "health",
			Appellant: &domain.Appellant{Name: "Сыдыкова Айгүл", Phone: "+996 555 000 111"}, Summary: "ФАПта дары жок"})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []domain.Status{domain.StatusUnderReview, domain.StatusFactChecking, domain.StatusVerified} {
			if _, err := svc.MoveAppeal(ctx, a.ID, domain.Step{To: s}); err != nil {
				t.Fatal(err)
			}
		}
		if ready {
			patch, _ := json.Marshal(map[string]any{"public_summary": "Айылдык ФАПта дары жок", "ready_for_publication": true})
			if _, err := svc.EditAppeal(ctx, a.ID, patch); err != nil {
				t.Fatal(err)
			}
		}
		return a.ID
	}
	ready, notReady := mk(true), mk(false)
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", ServerID: "test", Token: "t",
		Role: domain.RoleCentral, Name: "Central office", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	if !h.u.shell.central || h.shows(h.T("home.record_appeal")) {
		t.Fatal("a central laptop offers to record appeals")
	}
	h.mustShow(h.T("home.role", "role", h.T("role.central")))
	h.mustShow(h.T("home.review", "n", 1+1)) // both verified appeals wait for review
	h.mustShow(h.T("home.activity"))
	h.u.shell.navigate(secAppeals)
	if h.shows(h.T("action.new_appeal")) {
		t.Fatal("a central laptop offers a new appeal on the appeals page")
	}
	h.u.shell.navigate(secHome)

	d := newAppealDetail(h.u, notReady)
	h.u.shell.push(d)
	if len(d.steps) != 0 || h.shows(h.T("action.edit")) {
		t.Fatalf("central staff are offered workflow steps %v or editing", d.steps)
	}
	h.tap(h.T("review.action"))
	h.mustShow(h.T("review.not_ready"))
	if !findCheck(h, h.T("field.published")).Disabled() {
		t.Fatal("an appeal not ready can be published")
	}
	h.u.hideModal()

	d = newAppealDetail(h.u, ready)
	h.u.shell.push(d)
	h.tap(h.T("review.action"))
	findCheck(h, h.T("field.published")).SetChecked(true)
	h.tap(h.T("action.save"))
	if !d.rec.Published || d.rec.PublishedOn.IsZero() {
		t.Fatalf("not published: %+v", d.rec)
	}
	// The core refuses what a central laptop may not write; the person
	// reads why in their language, and which field.
	_, err := svc.EditAppeal(ctx, ready, json.RawMessage(`{"summary":"changed by the centre"}`))
	if err == nil || h.u.problem(err) != h.T("problem.forbidden")+"\n"+h.u.fieldName("summary")+": "+h.T("err.not_allowed") {
		t.Fatalf("central edit of a council's text: %v → %q", err, h.u.problem(err))
	}
}

// A trainer's laptop holds no appeals or events: no lists of them, nothing
// to record; its home shows the councils it serves.
func TestTrainerSeesWhatItHolds(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	if err := h.u.sess.Records().Enroll(context.Background(), records.Enrollment{Server: "https://kenesh.example.kg", ServerID: "test",
		Token: "t", Role: domain.RoleTrainer, Name: "Тренер", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	for _, key := range []string{"nav.appeals", "nav.events", "action.new_appeal", "action.new_event", "home.record_appeal"} {
		if h.shows(h.T(key)) {
			t.Errorf("a trainer's laptop shows %q", h.T(key))
		}
	}
	cs, _ := h.u.sess.Records().Councils(context.Background())
	h.mustShow(h.T("home.held", "n", len(cs)))
	h.mustShow(h.T("home.role_other", "role", h.T("role.trainer")))
	h.u.shell.newAppeal() // Ctrl+N: refused with a word, no form
	if _, ok := h.u.shell.top().(*appealForm); ok {
		t.Fatal("Ctrl+N opened an appeal form on a trainer's laptop")
	}
}

// The titles of central staff's table of the councils' activity are seen
// whole in every language: each count's column is as wide as the longest
// word of its title (they were cut to "Кайры…", "Обращ…").
func TestCentralActivityTitlesWhole(t *testing.T) {
	for _, lang := range []string{"ky", "ru", "en"} {
		h := unlocked(t, lang, 20, 5, 0)
		if err := h.u.sess.Records().Enroll(context.Background(), records.Enrollment{Server: "https://kenesh.example.kg", ServerID: "test",
			Token: "t", Role: domain.RoleCentral, Name: "Central office", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
		h.u.shell.rebuild()
		h.u.shell.show()
		h.drain()
		for _, key := range activityHeads {
			title := h.T(key)
			it, ok := probeFind(h, "label", title)
			if !ok {
				t.Fatalf("%s: no column %q", lang, title)
			}
			if it.Cut || it.W+0.5 < fyne.MeasureText(longestWord(title), theme.TextSize(), fyne.TextStyle{Bold: true}).Width {
				t.Errorf("%s: the column %q is cut (%.0f wide)", lang, title, it.W)
			}
		}
	}
}

func longestWord(s string) string {
	long := ""
	for _, w := range strings.Fields(s) {
		if len([]rune(w)) > len([]rune(long)) {
			long = w
		}
	}
	return long
}
