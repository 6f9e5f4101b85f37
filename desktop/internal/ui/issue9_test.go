package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/kenesh/kenesh/desktop/internal/records"
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
	focused, ok := h.win.Canvas().Focused().(*textEntry)
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
