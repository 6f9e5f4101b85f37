package ui

import (
	"context"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// visibleText is every text the window shows, its dialogs included: labels,
// buttons, what is typed in entries (a password too: the test wants to know
// it is not there), and the probe's items.
func (h *harness) visibleText() string {
	var b strings.Builder
	for _, o := range h.objects() {
		if !o.Visible() {
			continue
		}
		switch x := o.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *widget.Button:
			b.WriteString(x.Text + "\n")
		case *controls.Entry:
			b.WriteString(x.Text + "\n")
		case *widget.Entry:
			b.WriteString(x.Text + "\n")
		}
	}
	for _, it := range h.u.Probe().Items {
		b.WriteString(it.Text + "\n")
	}
	return b.String()
}

// TestLockHidesDialogs: the lock hides the dialogs open over the window (a
// person's data found by the personal data request, a workflow step with
// its note typed), keeps what they hold, and gives them back at the unlock;
// a dialog a background task opens while locked waits for the unlock, and
// Enter on the lock screen does not confirm a hidden dialog.
func TestLockHidesDialogs(t *testing.T) {
	h := unlocked(t, "ru", 3, 1, 0)
	c := h.firstCouncil()
	ctx := context.Background()
	a, err := h.u.sess.Records().CreateAppeal(ctx, domain.Appeal{Council: c.Code, Channel: "phone", Language: "ru",
		Oblast: c.Oblast, District: c.District, Appellant: &domain.Appellant{Name: "Асанова Гүлнара", Phone: "+996 555 12 34 56"},
		Gender: "female", Category: "police_justice", Summary: "Милиция арызды каттоодон баш тартты",
		ReceivedOn: caldate.MustParse("2026-11-20"), RegisteredOn: caldate.MustParse("2026-11-20")})
	if err != nil {
		t.Fatal(err)
	}

	// The personal data request, with what it found.
	h.u.shell.navigate(secSettings)
	h.drain()
	p := h.u.showPersonDialog()
	test.Type(p.query, "Асанова")
	test.Tap(p.search)
	h.waitFor("the search", func() bool { return p.result != nil })
	if !strings.Contains(h.visibleText(), "Асанова Гүлнара") {
		t.Fatal("the dialog does not show what it found")
	}
	h.u.win.Canvas().Focus(p.query)

	h.u.lock()
	h.drain()
	if n := len(h.win.Canvas().Overlays().List()); n != 0 {
		t.Fatalf("%d dialogs over the lock screen", n)
	}
	if d := h.u.Probe(); d.Dialogs != 0 || !d.Locked {
		t.Fatalf("the probe sees %d dialogs, locked %v", d.Dialogs, d.Locked)
	}
	for _, secret := range []string{"Асанова", "+996", h.T("person.title")} {
		if strings.Contains(h.visibleText(), secret) {
			t.Fatalf("the locked window shows %q: %s", secret, h.visibleText())
		}
	}
	h.mustShow(h.T("lock.title"))

	h.unlockLocked()
	if n := len(h.win.Canvas().Overlays().List()); n != 1 {
		t.Fatalf("%d dialogs after the unlock, want the request", n)
	}
	if p.query.Text != "Асанова" || !strings.Contains(h.visibleText(), "Асанова Гүлнара") {
		t.Fatalf("the dialog came back without what it held: query %q", p.query.Text)
	}
	if h.win.Canvas().Focused() != fyne.Focusable(p.query) {
		t.Fatalf("the focus came back to %T, not to the search field", h.win.Canvas().Focused())
	}

	// A dialog a background task opens while locked waits for the unlock,
	// and comes on top.
	h.u.lock()
	h.u.do(func() {
		h.u.showMessage(h.T("dialog.error"), "Асанованын кайрылуусу сакталды")
	})
	h.drain()
	if strings.Contains(h.visibleText(), "Асанова") || len(h.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("a dialog opened over the lock screen")
	}
	h.unlockLocked()
	overlays := h.win.Canvas().Overlays().List()
	if len(overlays) != 2 || !strings.Contains(h.visibleText(), "Асанованын") {
		t.Fatalf("%d dialogs after the unlock, want the request and the message on it", len(overlays))
	}
	h.win.Canvas().Overlays().Remove(overlays[0])

	// A workflow step with its note typed: Enter on the lock screen (with
	// nothing focused) must not apply it.
	d := newAppealDetail(h.u, a.ID)
	h.u.shell.push(d)
	h.tap(h.T("workflow.to.under_review"))
	note, ok := h.win.Canvas().Focused().(*controls.Entry)
	if !ok {
		t.Fatal("the step dialog has no focused note")
	}
	test.Type(note, "Катчы карайт")
	h.u.lock()
	h.drain()
	if strings.Contains(h.visibleText(), "Катчы карайт") || len(h.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("the step dialog shows over the lock screen")
	}
	h.win.Canvas().Unfocus()
	h.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.drain()
	if got, _ := h.u.sess.Records().Appeal(ctx, a.ID); got.Status != domain.StatusReceived {
		t.Fatalf("Enter on the lock screen applied the hidden step: %s", got.Status)
	}
	h.unlockLocked()
	if note.Text != "Катчы карайт" || h.u.lastModal == nil {
		t.Fatalf("the step dialog came back with %q", note.Text)
	}
	note.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.drain()
	if got, _ := h.u.sess.Records().Appeal(ctx, a.ID); got.Status != domain.StatusUnderReview || got.StatusNote != "Катчы карайт" {
		t.Fatalf("after the unlock, Enter gave %s %q", got.Status, got.StatusNote)
	}
}

// unlockLocked types the passphrase on the lock screen and waits.
func (h *harness) unlockLocked() {
	h.t.Helper()
	var pass *controls.Entry
	for _, o := range test.LaidOutObjects(h.win.Content()) {
		if e, ok := o.(*controls.Entry); ok && e.Password && e.Visible() {
			pass = e
		}
	}
	if pass == nil {
		h.t.Fatal("no passphrase field on the lock screen")
	}
	test.Type(pass, testPass)
	h.tap(h.T("unlock.action"))
	h.waitFor("the unlock", func() bool { return !h.u.locked })
}
