package ui

import (
	"context"
	"encoding/json"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// eventDetail shows one event with participants, follow-up actions and history.
type eventDetail struct {
	u    *UI
	id   string
	e    *domain.Event
	err  error
	body *fyne.Container
}

func newEventDetail(u *UI, id string) *eventDetail {
	p := &eventDetail{u: u, id: id, body: container.NewStack()}
	p.load()
	return p
}

func (p *eventDetail) title() string           { return p.u.T("event.title") }
func (p *eventDetail) view() fyne.CanvasObject { return p.body }

func (p *eventDetail) changed(c []records.Changed) {
	for _, x := range c {
		if x == records.Overflow || (x.Kind == domain.KindEvent && x.ID == p.id) {
			p.load()
			return
		}
	}
}

func (p *eventDetail) load() {
	p.e, p.err = p.u.sess.Records().Event(context.Background(), p.id)
	p.draw()
}

func (p *eventDetail) draw() {
	u := p.u
	if p.err != nil {
		p.body.Objects = []fyne.CanvasObject{wrapped(u.problem(p.err))}
		p.body.Refresh()
		return
	}
	e := p.e
	deleted := e.Meta != nil && e.Meta.Deleted
	head := container.NewVBox(bold(u.tr.LongDate(e.Date)+" · "+u.termName(refdata.EventKinds, e.Kind)), heading(e.Title))
	if deleted {
		w := bold(u.T("record.deleted"))
		w.Importance = widget.DangerImportance
		head.Add(w)
	}
	if e.Meta != nil && len(e.Meta.Unreadable) > 0 {
		head.Add(u.unreadableBanner(e.Meta.Unreadable))
	}
	actions := container.NewHBox()
	if !u.records {
		// Central staff read events; councils record them.
	} else if !deleted {
		actions.Add(u.button(u.T("action.edit"), theme.DocumentCreateIcon(), func() { u.shell.push(newEventForm(u, e)) }))
		actions.Add(u.button(u.T("action.new_appeal_from_event"), theme.ContentAddIcon(), func() {
			f := newAppealForm(u, nil)
			f.channel.SetCode("at_event")
			f.eventID = e.ID
			f.council.SetCode(e.Council)
			f.oblast.SetCode(e.Oblast)
			f.district.SetCode(e.District)
			f.village.SetText(e.Village)
			f.initial = f.snapshot()
			u.shell.push(f)
		}))
		del := u.button(u.T("action.delete"), theme.DeleteIcon(), func() {
			u.confirm(u.T("record.delete_title"), u.T("record.delete_text"), u.T("action.delete"), func() {
				if err := u.sess.Records().Delete(context.Background(), domain.KindEvent, e.ID); err != nil {
					u.showError(err)
				}
				p.load()
			})
		})
		del.Importance = widget.DangerImportance
		actions.Add(del)
	} else {
		actions.Add(u.button(u.T("action.restore"), theme.ContentUndoIcon(), func() {
			if err := u.sess.Records().Restore(context.Background(), domain.KindEvent, e.ID); err != nil {
				u.showError(err)
			}
			p.load()
		}))
	}

	grid := container.New(controls.Pairs{})
	kv(grid, u.T("field.council"), u.councilName(e.Council))
	kv(grid, u.T("field.topic"), e.Topic)
	when := u.tr.LongDate(e.Date)
	if e.StartTime != "" {
		when += ", " + e.StartTime
	}
	kv(grid, u.T("field.date"), when)
	if e.DurationMinutes > 0 {
		kv(grid, u.T("field.duration_minutes"), u.tr.Int(e.DurationMinutes))
	}
	place := u.regionName(e.Oblast)
	for _, s := range []string{u.districtName(e.District), e.Village, e.Venue} {
		if s != "" {
			place += ", " + s
		}
	}
	kv(grid, u.T("field.place"), place)
	kv(grid, u.T("field.agenda"), e.Agenda)
	if e.Language != "" {
		kv(grid, u.T("field.language"), languageNames[e.Language])
	}
	kv(grid, u.T("field.notes"), e.Notes)

	parts := container.NewVBox(container.New(countColumns, truncatedBold(u.T("field.participants")), truncatedBold(u.T("field.female")),
		truncatedBold(u.T("field.male")), truncatedBold(u.T("field.unspecified")), truncatedBold(u.T("field.total"))))
	for _, t := range u.catalog().Terms(refdata.ParticipantGroups) {
		n, ok := e.Participants[t.Code]
		if !ok {
			continue
		}
		row := []fyne.CanvasObject{wrapped(t.Names.In(u.Lang()))}
		for _, v := range []int{n.Female, n.Male, n.Unspecified, n.Total()} {
			row = append(row, widget.NewLabel(u.tr.Int(v)))
		}
		parts.Add(container.New(countColumns, row...))
	}
	tot := e.ParticipantTotal()
	row := []fyne.CanvasObject{strong(u.T("field.total"))}
	for _, v := range []int{tot.Female, tot.Male, tot.Unspecified, tot.Total()} {
		row = append(row, strong(u.tr.Int(v)))
	}
	parts.Add(container.New(countColumns, row...))

	more := container.NewVBox()
	if len(e.Speakers) > 0 {
		more.Add(bold(u.T("field.speakers")))
		for _, s := range e.Speakers {
			more.Add(wrapped(strings.Join(nonEmpty(s.Name, s.Role, s.Organisation), " · ")))
		}
	}
	if len(e.Decisions) > 0 {
		more.Add(bold(u.T("field.decisions")))
		for i, d := range e.Decisions {
			more.Add(wrapped(itoa(i+1) + ". " + d))
		}
	}
	more.Add(bold(u.T("field.followups")))
	if len(e.FollowUps) == 0 {
		more.Add(muted(u.T("event.no_followups")))
	}
	today := u.sess.Records().Today()
	for _, f := range e.FollowUps {
		f := f
		text := f.Action + " — " + f.Owner + " · " + u.T("event.due", "date", f.Due) + " · " + u.termName(refdata.FollowupStatuses, f.Status)
		l := wrapped(text)
		if f.Open() && f.Due.Before(today) {
			l.Importance = widget.DangerImportance
		}
		if f.Open() && !deleted {
			done := u.button(u.T("event.mark_done"), theme.ConfirmIcon(), func() { p.markDone(f.ID) })
			more.Add(container.NewBorder(nil, nil, nil, done, l))
		} else {
			more.Add(l)
		}
	}
	if len(e.MediaLinks) > 0 {
		more.Add(bold(u.T("field.media_links")))
		for _, l := range e.MediaLinks {
			if lu, err := url.Parse(l); err == nil {
				more.Add(widget.NewHyperlink(short(l, 80), lu))
			}
		}
	}

	left := container.NewVBox(head, widget.NewCard("", "", grid), widget.NewCard("", "", parts), widget.NewCard("", "", more))
	right := container.NewVBox(bold(u.T("history.title")), u.historyView(domain.KindEvent, e.ID))
	split := container.NewHSplit(container.NewVScroll(left), container.NewVScroll(right))
	split.Offset = 0.62
	p.body.Objects = []fyne.CanvasObject{container.NewBorder(container.NewVBox(container.NewHScroll(actions), widget.NewSeparator()), nil, nil, nil, split)}
	p.body.Refresh()
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// markDone closes one follow-up action; only that item changes, so a
// colleague's edit of another action on another laptop is kept.
func (p *eventDetail) markDone(id string) {
	u := p.u
	items := make([]domain.FollowUp, len(p.e.FollowUps))
	copy(items, p.e.FollowUps)
	for i := range items {
		if items[i].ID == id {
			items[i].Status = "done"
			items[i].DoneOn = u.sess.Records().Today()
		}
	}
	patch, _ := json.Marshal(map[string]any{"followups": items})
	if _, err := u.sess.Records().EditEvent(context.Background(), p.id, patch); err != nil {
		u.showError(err)
	}
	p.load()
}
