package ui

import (
	"context"
	"encoding/json"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// conflictsPage shows concurrent edits of one field side by side, for a
// person to keep one or merge them by hand: the value the record holds now
// (never a stale copy of it: keeping it must not overwrite a later edit)
// and the value that lost, each with who wrote it and when. Only the
// conflicts this laptop may resolve are listed (records.Conflicts).
type conflictsPage struct {
	u    *UI
	list []records.ConflictView
	body *fyne.Container
	// keep holds the "keep this" buttons per conflict: [winner, loser] (tests).
	keep [][2]*widget.Button
}

func newConflictsPage(u *UI) *conflictsPage {
	p := &conflictsPage{u: u, body: container.NewStack()}
	p.load()
	return p
}

func (p *conflictsPage) title() string             { return p.u.T("nav.conflicts") }
func (p *conflictsPage) view() fyne.CanvasObject   { return p.body }
func (p *conflictsPage) changed([]records.Changed) { p.load() }

func (p *conflictsPage) load() {
	var err error
	p.list, err = p.u.sess.Records().ConflictViews(context.Background())
	if err != nil {
		p.body.Objects = []fyne.CanvasObject{wrapped(p.u.problem(err))}
		p.body.Refresh()
		return
	}
	p.draw()
}

// recordLabel names the record a conflict is about.
func (p *conflictsPage) recordLabel(c records.ConflictView) string {
	u := p.u
	svc := u.sess.Records()
	switch c.Kind {
	case domain.KindAppeal:
		if a, err := svc.Appeal(context.Background(), c.Record); err == nil {
			return u.T("appeal.title") + " " + a.RegNo + " · " + short(a.Summary, 60)
		}
	case domain.KindEvent:
		if e, err := svc.Event(context.Background(), c.Record); err == nil {
			return u.T("event.title") + " " + u.tr.Date(e.Date) + " · " + short(e.Title, 60)
		}
	}
	return c.Kind + " " + c.Record
}

func (p *conflictsPage) draw() {
	u := p.u
	p.keep = nil
	box := container.NewVBox(wrapped(u.T("conflicts.explain")))
	if len(p.list) == 0 {
		box.Add(heading(u.T("conflicts.none")))
	}
	for _, c := range p.list {
		c := c
		item := policy.IsItemField(c.Kind, c.Field)
		side := func(titleKey string, v records.Written) (fyne.CanvasObject, *widget.Button) {
			shown := u.rawValueText(c.Field, v.Value)
			if item && changeset.KindOfJSON(v.Value) == changeset.JSONNull {
				shown = u.T("conflicts.removed") // not "—": the item was deleted there
			}
			text := widget.NewLabel(shown)
			text.Wrapping = fyne.TextWrapWord
			who := v.By
			if who == "" {
				who = u.T("conflicts.unknown_author")
			}
			by := muted(u.T("conflicts.written_by", "who", who, "time", v.At))
			btn := u.button(u.T("conflicts.keep"), theme.ConfirmIcon(), func() { p.resolve(c, v.Value) })
			return widget.NewCard("", "", container.NewBorder(container.NewVBox(bold(u.T(titleKey)), by), container.NewHBox(btn), nil, nil, text)), btn
		}
		w, wb := side("conflicts.current", c.Current)
		l, lb := side("conflicts.other", c.Other)
		p.keep = append(p.keep, [2]*widget.Button{wb, lb})
		// An item of a list (a consultation, an attendee, a file) is an
		// object a person does not write by hand as JSON: they keep one
		// version and edit the record in its form, as the card says. (A
		// merge dialog holding the item's JSON, where text was refused,
		// was seen in a real window: TestRealWindowItemConflict.)
		var after fyne.CanvasObject = wrapped(u.T("conflicts.item_explain"))
		if !item {
			after = container.NewHBox(u.button(u.T("conflicts.merge"), theme.DocumentCreateIcon(), func() { p.mergeDialog(c) }))
		}
		card := widget.NewCard("", "", container.NewVBox(
			bold(p.recordLabel(c)),
			wrapped(u.T("conflicts.field", "field", u.fieldName(c.Field))),
			container.NewGridWithColumns(2, w, l),
			after,
		))
		box.Add(card)
	}
	p.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
	p.body.Refresh()
}

func (p *conflictsPage) resolve(c records.ConflictView, value json.RawMessage) {
	if err := p.u.sess.Records().Resolve(context.Background(), c.Kind, c.Record, c.Field, value); err != nil {
		p.u.showError(err)
	}
	p.load()
	if p.u.shell != nil {
		p.u.shell.countConflicts()
	}
}

// mergeAsText says whether a conflict's merge is written as plain text:
// when its value now is text, or was removed (null) where the other is
// text. A removed item of a collection (null beside an object) is not:
// its merge must stay an item (records.Resolve refuses anything else), and
// json.Unmarshal into a string, which takes null, once offered text for it.
func mergeAsText(current, other json.RawMessage) bool {
	switch changeset.KindOfJSON(current) {
	case changeset.JSONString:
		return true
	case changeset.JSONNull:
		return changeset.KindOfJSON(other) == changeset.JSONString
	}
	return false
}

// mergeDialog lets a person write the value by hand, starting from the
// current one: plain text for text fields, JSON for anything else but
// an item of a collection (kept, not merged: see draw).
func (p *conflictsPage) mergeDialog(c records.ConflictView) {
	u := p.u
	fs := u.newFieldSet(c.Kind)
	e := u.newMultiEntry(6)
	var s string
	isText := mergeAsText(c.Current.Value, c.Other.Value)
	if isText {
		_ = json.Unmarshal(c.Current.Value, &s)
		e.SetText(s)
	} else {
		e.SetText(string(c.Current.Value))
	}
	var other string
	if isText {
		_ = json.Unmarshal(c.Other.Value, &other)
	} else {
		other = string(c.Other.Value)
	}
	ref := muted(u.T("conflicts.other") + ":\n" + other)
	box := container.NewVBox(wrapped(u.T("conflicts.merge_explain")), fs.add("value", "conflicts.merged", e).box, ref)
	u.showModal(u.T("conflicts.merge"), fs, box, u.T("action.save"), func() error {
		var value json.RawMessage
		if isText {
			value, _ = json.Marshal(e.Text)
		} else {
			if !json.Valid([]byte(e.Text)) {
				fs.localError("value", u.T("err.format.json"))
				return errSilent
			}
			value = json.RawMessage(e.Text)
		}
		err := u.sess.Records().Resolve(context.Background(), c.Kind, c.Record, c.Field, value)
		if err == nil {
			p.load()
			if u.shell != nil {
				u.shell.countConflicts()
			}
		}
		return err
	})
}
