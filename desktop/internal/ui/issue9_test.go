package ui

import (
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/domain"
)

// TestEnterConfirmsWorkflowStep: the step's dialog opens with the cursor
// in its note, and Enter applies the step.
func TestEnterConfirmsWorkflowStep(t *testing.T) {
	h := unlocked(t, "ky", 30, 2, 0)
	id := h.u.summaries(records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusReceived)})[0].ID
	d := newAppealDetail(h.u, id)
	h.u.shell.push(d)
	h.tap(h.T("workflow.to.under_review"))
	focused, ok := h.win.Canvas().Focused().(*controls.Entry)
	if !ok {
		t.Fatalf("the step dialog opened with %T focused, not its note", h.win.Canvas().Focused())
	}
	test.Type(focused, "Катчы карайт")
	focused.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.drain()
	a, err := h.u.sess.Records().Appeal(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != domain.StatusUnderReview || a.StatusNote != "Катчы карайт" {
		t.Fatalf("after Enter: status %s, note %q", a.Status, a.StatusNote)
	}
	if h.u.lastModal != nil {
		t.Fatal("the dialog stayed open")
	}
}

// TestDraftKeptAndOfferedAtNextStart: what is typed into a new appeal is
// kept in the store as it is typed; the next unlock offers it, and
// continuing puts it back into the form.
func TestDraftKeptAndOfferedAtNextStart(t *testing.T) {
	h := unlocked(t, "ky", 5, 2, 0)
	h.u.shell.newAppeal()
	f := h.u.shell.top().(*appealForm)
	test.Type(f.entry("summary"), "Жер тилкеси мыйзамсыз тартылып алынды")
	f.choice("gender").SetCode("male")
	f.ticks("vulnerable_groups").SetSelected([]string{f.ticks("vulnerable_groups").Codes[1]})
	h.waitFor("the draft", func() bool {
		d, err := h.u.sess.Records().Draft(t.Context())
		return err == nil && d != nil && d.Inputs["summary"] == "Жер тилкеси мыйзамсыз тартылып алынды" && d.Inputs["gender"] == "male"
	})
	h.mustShow(h.T("draft.saved", "time", h.u.cfg.Now()))
	// Seen whole beside the Save button, not shortened to "…".
	note, ok := probeFind(h, "label", h.T("draft.saved", "time", h.u.cfg.Now()))
	if !ok || note.Cut {
		t.Fatalf("the note that the draft is kept is cut off: %+v", note)
	}
	dir := h.dir
	h.u.Close()

	h2 := newHarness(t, dir, "ky", false)
	h2.u.UnlockWith(testPass)
	h2.waitFor("the offer", func() bool { return h2.shows(h2.T("draft.found_title")) })
	h2.tap(h2.T("draft.continue"))
	f2, ok := h2.u.shell.top().(*appealForm)
	if !ok {
		t.Fatalf("continuing opened %T", h2.u.shell.top())
	}
	if f2.entry("summary").Text != "Жер тилкеси мыйзамсыз тартылып алынды" || f2.choice("gender").Code() != "male" ||
		len(f2.ticks("vulnerable_groups").Selected()) != 1 || !f2.dirty() {
		t.Fatalf("the form after continuing: %q %q %v dirty=%v", f2.entry("summary").Text, f2.choice("gender").Code(), f2.ticks("vulnerable_groups").Selected(), f2.dirty())
	}
}

// TestCloseAsksWithUnsavedInput: the close button (and Exit) ask first;
// Cancel keeps the window, "close without saving" drops the draft.
func TestCloseAsksWithUnsavedInput(t *testing.T) {
	h := unlocked(t, "ru", 5, 2, 0)
	closed := false
	h.u.cfg.CloseWindow = func() { closed = true }
	h.u.RequestClose() // nothing typed: closes at once
	if !closed {
		t.Fatal("a window without unsaved input did not close")
	}
	closed = false
	h.u.shell.newEvent()
	f := h.u.shell.top().(*eventForm)
	test.Type(f.entry("title"), "Коомдук угуу")
	h.u.keepDraft()
	h.u.RequestClose()
	h.mustShow(h.T("exit.text"))
	h.tap(h.T("action.cancel"))
	if closed {
		t.Fatal("Cancel closed the window")
	}
	// Save with a field at fault: the form stays, with its message.
	h.u.RequestClose()
	h.tap(h.T("exit.save"))
	if closed {
		t.Fatal("an event that could not be saved closed the window")
	}
	h.mustShow(h.T("form.fix", "n", 1))
	h.u.RequestClose()
	h.tap(h.T("exit.discard"))
	if !closed {
		t.Fatal("closing without saving did not close")
	}
	// The draft timer fires after the discard, as it can when typing
	// paused just before the click: the discarded input stays discarded.
	h.u.keepDraft()
	if d, err := h.u.sess.Records().Draft(t.Context()); err != nil || d != nil {
		t.Fatalf("the discarded draft is kept: %+v %v", d, err)
	}
}

// TestStatusTellsTheTruth: a laptop never enrolled does not claim its
// records reached the centre; an enrolled one is never "up to date" while
// changes wait to be sent.
func TestStatusTellsTheTruth(t *testing.T) {
	h := unlocked(t, "en", 5, 2, 0)
	h.mustShow(h.T("sync.state.not_enrolled"))
	ss, _ := h.u.sess.Records().SyncState(t.Context())
	h.mustShow(h.T("home.not_enrolled_text", "n", int(ss.Pending)))
	if h.shows(h.T("home.synced_all")) {
		t.Fatal("a laptop never enrolled says its records reached the centre")
	}
	if err := h.u.sess.Records().Enroll(t.Context(), records.Enrollment{Server: "https://kenesh.example.kg", ServerID: "test",
		Token: "t", Role: "secretary", Council: h.firstCouncil().Code, Name: "Laptop", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.status.update(syncer.Status{}) // enrolled, no report from the loop yet
	h.drain()
	h.mustShow(h.T("sync.state.starting"))
	h.u.shell.status.update(syncer.Status{State: syncer.StateIdle})
	h.drain()
	if h.shows(h.T("sync.state.idle")) || !h.shows(h.T("sync.state.idle_pending", "n", int(ss.Pending))) {
		t.Fatalf("with %d changes not sent the status bar says: %v", ss.Pending, h.texts())
	}
}

// TestOverdueListMostLateFirst: with "overdue only", the appeals list is in
// order of lateness, the most overdue first, as on the home screen.
func TestOverdueListMostLateFirst(t *testing.T) {
	h := unlocked(t, "ky", 200, 5, 0)
	h.u.shell.navigate(secAppeals)
	p := h.u.shell.root(secAppeals).(*recordList)
	p.showFlagged()
	if p.pg.total < 3 {
		t.Fatalf("only %d overdue appeals in the demo data", p.pg.total)
	}
	for i := 1; i < p.pg.total; i++ {
		a, _ := p.pg.at(i - 1)
		b, _ := p.pg.at(i)
		if b.AnswerBy.Before(*a.AnswerBy) {
			t.Fatalf("line %d (%s, due %s) is more overdue than line %d (%s, due %s)", i+1, b.RegNo, b.AnswerBy, i, a.RegNo, a.AnswerBy)
		}
	}
}

// TestFileDialogPlacesTranslated: the places Fyne's file dialog names in
// English whatever the language ("Home") are in the interface language.
func TestFileDialogPlacesTranslated(t *testing.T) {
	h := unlocked(t, "ky", 3, 1, 0)
	h.u.shell.navigate(secSettings)
	h.tap(h.T("action.browse"))
	found := false
	for _, o := range h.screenObjects() {
		if l, ok := o.(*widget.Label); ok {
			if l.Text == "Home" {
				t.Fatal("the file dialog says Home in Kyrgyz")
			}
			found = found || l.Text == h.T("Home")
		}
	}
	if !found {
		t.Fatal("the file dialog shows no home folder")
	}
}

// TestSidebarKeepsItsWidth: a count appearing in the navigation ("Conflicts
// (2)") does not widen the sidebar and shift the page.
func TestSidebarKeepsItsWidth(t *testing.T) {
	h := unlocked(t, "ky", 5, 2, 0)
	before := h.u.shell.frame.(*fyne.Container).Objects
	width := func() float32 {
		for _, o := range h.u.shell.frame.(*fyne.Container).Objects {
			if o.Position().X == 0 && o.Position().Y == 0 && o.Size().Height > 300 {
				return o.MinSize().Width
			}
		}
		return -1
	}
	w0 := width()
	h.u.shell.conflicts = 12
	h.u.shell.navButtons[secConflicts].SetText(h.u.shell.navLabel(secConflicts))
	if w1 := width(); w1 != w0 || w0 <= 0 {
		t.Fatalf("the sidebar was %.0f wide, %.0f with a count (%d objects)", w0, w1, len(before))
	}
}
