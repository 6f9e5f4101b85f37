package ui

import (
	"context"
	"encoding/json"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
)

// Nothing typed is lost: a form's input is kept as a draft in the
// encrypted store shortly after each change (draftDelay), the next start
// offers to continue it, and closing the window with unsaved input asks.

// draftDelay is how long typing must pause before the draft is written:
// a fast typist writes a few drafts a minute, not one per letter.
const draftDelay = 700 * time.Millisecond

// drafter is a form whose input can be kept and put back.
type drafter interface {
	dirtyPage
	draft() records.Draft
	restore(inputs map[string]string)
}

// draftSoon writes the draft once input pauses. It runs on the UI
// goroutine, on every input (see touch).
func (u *UI) draftSoon() {
	if u.shell == nil || u.sess == nil {
		return
	}
	if _, ok := u.shell.top().(drafter); !ok {
		return
	}
	if u.draftTimer == nil {
		u.draftTimer = time.AfterFunc(draftDelay, func() { u.do(u.keepDraft) })
		return
	}
	u.draftTimer.Reset(draftDelay)
}

// keepDraft writes the form on top as the draft if it changed since the
// last one, or drops the draft when the form holds nothing unsaved.
func (u *UI) keepDraft() {
	// After "close without saving" a write the draft timer had already
	// queued must not bring the discarded input back at the next start.
	if u.shell == nil || u.sess == nil || u.inputDiscarded {
		return
	}
	d, ok := u.shell.top().(drafter)
	if !ok {
		return
	}
	if !d.dirty() {
		if u.draftKept != "" {
			u.dropDraft()
		}
		return
	}
	dr := d.draft()
	b, _ := json.Marshal(dr.Inputs)
	if string(b) == u.draftKept {
		return
	}
	dr.At = u.cfg.Now()
	if err := u.sess.Records().SaveDraft(context.Background(), dr); err != nil {
		u.log.Error("keeping the draft", "err", err)
		return
	}
	u.draftKept = string(b)
	if f, ok := d.(interface{ draftSaved(time.Time) }); ok {
		f.draftSaved(dr.At)
	}
}

// dropDraft forgets the draft: the form was saved or its input discarded.
func (u *UI) dropDraft() {
	if u.draftTimer != nil {
		u.draftTimer.Stop()
	}
	u.draftKept = ""
	if u.sess == nil {
		return
	}
	if err := u.sess.Records().DropDraft(context.Background()); err != nil {
		u.log.Error("dropping the draft", "err", err)
	}
}

// offerDraft asks, after an unlock, whether to continue a form that was
// not saved (the app was closed by a crash or a power cut while it was
// being filled).
func (u *UI) offerDraft() {
	dr, err := u.sess.Records().Draft(context.Background())
	if err != nil {
		u.log.Warn("reading the draft", "err", err)
		return
	}
	if dr == nil {
		return
	}
	form, sec, under, ok := u.draftForm(dr)
	if !ok {
		u.dropDraft() // its record is gone: nothing to continue
		return
	}
	msg := widget.NewLabel(u.T("draft.found_text", "form", form.title(), "time", dr.At))
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	cont := u.primary(u.T("draft.continue"), theme.DocumentCreateIcon(), func() {
		d.Hide()
		u.shell.leave(func() {
			u.shell.section = sec
			u.shell.stack = append(append([]page{u.shell.root(sec)}, under...), form)
			form.restore(dr.Inputs)
			b, _ := json.Marshal(dr.Inputs)
			u.draftKept = string(b)
			u.shell.render()
		})
	})
	discard := u.button(u.T("draft.discard"), theme.DeleteIcon(), func() {
		d.Hide()
		u.dropDraft()
	})
	d = dialog.NewCustomWithoutButtons(u.T("draft.found_title"),
		container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), discard, cont), nil, nil, msg), u.win)
	d.Resize(fyne.NewSize(min(560*theme.TextSize()/14, u.win.Canvas().Size().Width-40), d.MinSize().Height))
	d.Show()
}

// draftForm makes the form a draft was typed into, and says where it
// opens: its section and the pages under it (Back leads there).
func (u *UI) draftForm(dr *records.Draft) (form drafter, sec string, under []page, ok bool) {
	ctx := context.Background()
	switch dr.Kind {
	case domain.KindAppeal:
		if dr.Record == "" {
			return newAppealForm(u, nil), secAppeals, nil, true
		}
		a, err := u.sess.Records().Appeal(ctx, dr.Record)
		if err != nil || (a.Meta != nil && a.Meta.Deleted) {
			return nil, "", nil, false
		}
		return newAppealForm(u, a), secAppeals, nil, true
	case domain.KindEvent:
		if dr.Record == "" {
			return newEventForm(u, nil), secEvents, nil, true
		}
		e, err := u.sess.Records().Event(ctx, dr.Record)
		if err != nil || (e.Meta != nil && e.Meta.Deleted) {
			return nil, "", nil, false
		}
		return newEventForm(u, e), secEvents, nil, true
	case domain.KindGrant:
		if ms := dr.Inputs["report"]; ms != "" {
			// A milestone's report, on the grant's page (grantDetail),
			// by the council's laptop that may still write it.
			g, err := u.sess.Records().Grant(ctx, dr.Record)
			if err != nil || (g.Meta != nil && g.Meta.Deleted) || !u.mayReportMilestones(g.Council) {
				return nil, "", nil, false
			}
			if _, err := g.FindMilestone(ms); err != nil {
				return nil, "", nil, false
			}
			return newGrantDetail(u, g.ID), secHome, []page{newGrantsPage(u)}, true
		}
		// Grants are reached from the home screen's Grants page. A laptop
		// no longer central staff's could not save it.
		if !u.mayWriteGrants() {
			return nil, "", nil, false
		}
		under = []page{newGrantsPage(u)}
		if dr.Record == "" {
			return newGrantForm(u, nil), secHome, under, true
		}
		g, err := u.sess.Records().Grant(ctx, dr.Record)
		if err != nil || (g.Meta != nil && g.Meta.Deleted) {
			return nil, "", nil, false
		}
		return newGrantForm(u, g), secHome, append(under, newGrantDetail(u, g.ID)), true
	case domain.KindCompetition:
		// From the home screen's Competitions page, on central staff's
		// laptop only (setsUpCompetitions).
		if !u.setsUpCompetitions() {
			return nil, "", nil, false
		}
		under = []page{newCompetitionsPage(u)}
		if dr.Record == "" {
			return newCompetitionForm(u, ""), secHome, under, true
		}
		c, err := u.sess.Records().Competition(ctx, dr.Record)
		if err != nil || (c.Meta != nil && c.Meta.Deleted) {
			return nil, "", nil, false
		}
		return newCompetitionForm(u, c.ID), secHome, append(under, newCompetitionDetail(u, c.ID)), true
	}
	return nil, "", nil, false
}

// DiscardInput drops what forms hold unsaved and its draft, so that
// closing keeps nothing (the screenshot tour's made-up input).
func (u *UI) DiscardInput() {
	u.dropDraft()
	u.inputDiscarded = true
}

// RequestClose is the window's close button and the Exit menu item: with
// unsaved input it asks first (save, close without saving, cancel).
func (u *UI) RequestClose() {
	var dirty dirtyPage
	if u.shell != nil && !u.locked {
		for _, p := range u.shell.stack {
			if d, ok := p.(dirtyPage); ok && d.dirty() {
				dirty = d
			}
		}
	}
	if u.shell != nil && u.locked {
		// Locked: nobody may look at the form to decide; it is kept as a
		// draft and offered at the next start.
		u.keepDraft()
	}
	if dirty == nil {
		u.closeWindow()
		return
	}
	var d *dialog.CustomDialog
	save := u.primary(u.T("exit.save"), theme.DocumentSaveIcon(), func() {
		d.Hide()
		if sv, ok := dirty.(saver); ok && u.shell.top() == page(dirty) {
			sv.save()
		}
		if !dirty.dirty() {
			u.closeWindow()
		}
		// Otherwise the form shows what to fix, and stays.
	})
	discard := u.button(u.T("exit.discard"), theme.DeleteIcon(), func() {
		d.Hide()
		u.dropDraft()
		u.inputDiscarded = true
		u.closeWindow()
	})
	discard.Importance = widget.DangerImportance
	cancel := u.button(u.T("action.cancel"), theme.CancelIcon(), func() { d.Hide() })
	msg := widget.NewLabel(u.T("exit.text"))
	msg.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustomWithoutButtons(u.T("exit.title"),
		container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), cancel, discard, save), nil, nil, msg), u.win)
	d.Resize(fyne.NewSize(min(600*theme.TextSize()/14, u.win.Canvas().Size().Width-40), d.MinSize().Height))
	d.Show()
	u.exitDialog = d
}

func (u *UI) closeWindow() {
	if u.cfg.CloseWindow != nil {
		u.cfg.CloseWindow()
		return
	}
	u.win.Close()
}
