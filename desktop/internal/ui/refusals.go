package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// refusalsPage lists the changes of this laptop the centre refused that a
// record here still holds (records.Refusals): for each, the record, the
// fields with the value here and the centre's, why, and the two ways to
// settle it: take the centre's value, or correct the record. A settled
// refusal leaves the list (docs/refusals.md).
type refusalsPage struct {
	u    *UI
	list []records.RefusalView
	body *fyne.Container
	// take holds each card's "take the centre's value" button (tests).
	take []*widget.Button
}

func newRefusalsPage(u *UI) *refusalsPage {
	p := &refusalsPage{u: u, body: container.NewStack()}
	p.load()
	return p
}

func (p *refusalsPage) title() string             { return p.u.T("refusals.title") }
func (p *refusalsPage) view() fyne.CanvasObject   { return p.body }
func (p *refusalsPage) changed([]records.Changed) { p.load() }

func (p *refusalsPage) load() {
	var err error
	p.list, err = p.u.sess.Records().Refusals(context.Background())
	if err != nil {
		p.body.Objects = []fyne.CanvasObject{wrapped(p.u.problem(err))}
		p.body.Refresh()
		return
	}
	u := p.u
	p.take = nil
	box := container.NewVBox(wrapped(u.T("refusals.explain")))
	if len(p.list) == 0 {
		box.Add(heading(u.T("refusals.none")))
	}
	for _, v := range p.list {
		v := v
		card, take := u.refusalCard(v, true, func() { u.correctRefused(v, true) }, p.load)
		p.take = append(p.take, take)
		box.Add(card)
	}
	p.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
	p.body.Refresh()
}

// refusalRecord names the record a refusal is about as its list does:
// never its id.
func (u *UI) refusalRecord(v records.RefusalView) string {
	switch v.Kind {
	case domain.KindAppeal:
		return u.T("appeal.title") + " " + v.RegNo + " · " + short(v.Title, 60)
	case domain.KindEvent:
		return u.T("event.title") + " · " + short(v.Title, 60)
	}
	if v.Title != "" {
		return short(v.Title, 80)
	}
	return u.T("refusals.record")
}

// refusalReason says why the centre refused a field, in words: the
// server's field errors translated as a form's are, and for a change
// this laptop's role may not make, what roles may.
func (u *UI) refusalReason(v records.RefusalView, f records.RefusedField) string {
	var parts []string
	for _, fe := range f.Reasons {
		parts = append(parts, u.fieldMessage(fe))
	}
	switch v.Cause() {
	case records.CauseForbidden:
		parts = append(parts, u.T("problem.forbidden"))
	case records.CauseClock:
		parts = append(parts, u.T("problem.clock_wrong"))
	}
	if len(parts) == 0 {
		parts = append(parts, u.T("refusals.reason_other"))
	}
	return strings.Join(parts, " ")
}

// refusedValue shows a refused field's value (or the centre's) for a person.
func (u *UI) refusedValue(kind, field string, raw []byte) string {
	if len(raw) == 0 || changeset.KindOfJSON(raw) == changeset.JSONNull {
		if policy.IsItemField(kind, field) {
			return u.T("conflicts.removed")
		}
		return u.T("refusals.empty")
	}
	return u.rawValueText(field, raw)
}

// shownFields are the refused fields a card lists: each one, but for a
// creation the centre never took, whose every field is refused (the
// record is on this laptop alone, as its card says): there, the fields
// the centre named and those kept here.
func shownFields(v records.RefusalView) []records.RefusedField {
	if !v.Created {
		return v.Open
	}
	var out []records.RefusedField
	for _, f := range v.Open {
		if len(f.Reasons) > 0 || f.Kept {
			out = append(out, f)
		}
	}
	return out
}

// refusalCard shows one refusal: with withRecord, the record it is
// about (the list; a record's own page says it already). correct opens
// the record's form (nil: not offered); done runs after the centre's
// value was taken. It returns the card and its take button (nil for a
// refused creation: the centre holds nothing to go back to, but for the
// fields this laptop may not write, kept here: none, here only). A
// field kept here says so: it never reaches the centre, and correcting
// the record does not change that (records.RefusedField.Kept).
func (u *UI) refusalCard(v records.RefusalView, withRecord bool, correct func(), done func()) (fyne.CanvasObject, *widget.Button) {
	box := container.NewVBox()
	if withRecord {
		// The record's page opens from its name: its refused fields are
		// marked there, among the others.
		switch v.Kind {
		case domain.KindAppeal:
			box.Add(u.newLink(u.refusalRecord(v), func() { u.shell.push(newAppealDetail(u, v.Record)) }))
		case domain.KindEvent:
			box.Add(u.newLink(u.refusalRecord(v), func() { u.shell.push(newEventDetail(u, v.Record)) }))
		default:
			box.Add(bold(u.refusalRecord(v)))
		}
	}
	box.Add(muted(u.T("refusals.when", "time", v.At)))
	// A creation the centre never took is to be corrected, unless all it
	// still holds refused is what this laptop may not write (kept here).
	keptOnly := v.KeptOnly()
	if v.Created && !keptOnly {
		box.Add(wrapped(u.T("refusals.created")))
	}
	shown := shownFields(v)
	if len(shown) == 0 { // a creation refused for no field: why, once
		why := wrapped(u.T("refusals.why", "reason", u.refusalReason(v, records.RefusedField{})))
		why.Importance = widget.DangerImportance
		box.Add(why)
	}
	for _, f := range shown {
		box.Add(wrapped(u.T("conflicts.field", "field", u.fieldName(f.Field))))
		side := func(titleKey, text string) fyne.CanvasObject {
			return widget.NewCard("", "", container.NewVBox(bold(u.T(titleKey)), wrapped(text)))
		}
		here := side("refusals.here", u.refusedValue(v.Kind, f.Field, f.Value))
		if v.Created {
			box.Add(here)
		} else {
			box.Add(container.NewGridWithColumns(2, here, side("refusals.centre", u.refusedValue(v.Kind, f.Field, f.Centre))))
		}
		why := wrapped(u.T("refusals.why", "reason", u.refusalReason(v, f)))
		why.Importance = widget.DangerImportance
		box.Add(why)
		if f.Kept {
			box.Add(wrapped(u.T("refusals.kept")))
		}
	}
	actions := container.NewHBox()
	var take *widget.Button
	if !v.Created || keptOnly {
		take = u.button(u.T("refusals.take_centre"), theme.ContentUndoIcon(), func() {
			u.confirm(u.T("refusals.take_title"), u.T("refusals.take_text"), u.T("refusals.take_yes"), func() {
				if err := u.sess.Records().TakeCentre(context.Background(), v.Seq); err != nil {
					u.showError(err)
				}
				if u.shell != nil {
					u.shell.status.refusedKey = [3]uint64{} // a state alone moves no counter
					u.shell.status.refreshPending()
				}
				done()
			})
		})
		actions.Add(take)
	}
	// An item of a list (a consultation, an attendee) is not in the
	// record's form: it is corrected on the record's page, which the
	// record's name opens (or which shows this card).
	items := true
	for _, f := range v.Open {
		items = items && policy.IsItemField(v.Kind, f.Field)
	}
	if correct != nil && !items && !keptOnly && (v.Kind == domain.KindAppeal || v.Kind == domain.KindEvent) {
		actions.Add(u.button(u.T("refusals.correct"), theme.DocumentCreateIcon(), correct))
	}
	box.Add(actions)
	return widget.NewCard("", "", box), take
}

// correctRefused opens the refused record's form; from the list (withPage)
// its page first, so that Back after the save lands on the record.
func (u *UI) correctRefused(v records.RefusalView, withPage bool) {
	ctx := context.Background()
	svc := u.sess.Records()
	switch v.Kind {
	case domain.KindAppeal:
		a, err := svc.Appeal(ctx, v.Record)
		if err != nil {
			u.showError(err)
			return
		}
		if withPage {
			u.shell.push(newAppealDetail(u, v.Record))
		}
		u.shell.push(newAppealForm(u, a))
	case domain.KindEvent:
		e, err := svc.Event(ctx, v.Record)
		if err != nil {
			u.showError(err)
			return
		}
		if withPage {
			u.shell.push(newEventDetail(u, v.Record))
		}
		u.shell.push(newEventForm(u, e))
	}
}

// refusalBanner is what a record's page shows of its refused changes: a
// warning and a card for each, and the fields refused (the page marks
// their lines). nil and none when the record holds no refused value.
func (u *UI) refusalBanner(kind, id string, correct func(), done func()) (fyne.CanvasObject, map[string]bool) {
	if u.sess == nil {
		return nil, nil
	}
	list, err := u.sess.Records().RefusalsOf(context.Background(), kind, id)
	if err != nil || len(list) == 0 {
		return nil, nil
	}
	fields := map[string]bool{}
	warn := bold(u.T("refusals.banner"))
	warn.Importance = widget.DangerImportance
	box := container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, warn))
	for _, v := range list {
		card, _ := u.refusalCard(v, false, correct, done)
		box.Add(card)
		for _, f := range v.Open {
			fields[f.Field] = true
		}
	}
	return box, fields
}
