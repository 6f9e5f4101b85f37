package ui

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// How the interface shows events (hearings, mobile receptions, trainings):
// this file describes them.

var eventFormSpec = formSpec[domain.Event]{
	kind:     domain.KindEvent,
	newTitle: "event.new_title",
	title:    func(u *UI, _ *domain.Event) string { return u.T("event.edit_title") },
	sections: []formSection[domain.Event]{
		{title: "event.sec_what", fields: []fieldSpec[domain.Event]{
			councilField(func(e *domain.Event) *string { return &e.Council }),
			termField("kind", "field.kind", refdata.EventKinds, "", func(e *domain.Event) *string { return &e.Kind }),
			textField("title", "field.title", 0, "", func(e *domain.Event) *string { return &e.Title }),
			textField("topic", "field.topic", 0, "", func(e *domain.Event) *string { return &e.Topic }),
		}},
		{title: "event.sec_when", fields: []fieldSpec[domain.Event]{
			dateField("date", "field.date", func(e *domain.Event) *caldate.Date { return &e.Date }),
			textField("start_time", "field.start_time", 0, "14:00", func(e *domain.Event) *string { return &e.StartTime }),
			numberField("duration_minutes", "field.duration_minutes", "120", func(e *domain.Event) *int { return &e.DurationMinutes }),
			languageField(func(e *domain.Event) *string { return &e.Language }),
			regionField(func(e *domain.Event) *string { return &e.Oblast }),
			districtField(func(e *domain.Event) *string { return &e.District }),
			textField("village", "field.village", 0, "", func(e *domain.Event) *string { return &e.Village }),
			textField("venue", "field.venue", 0, "", func(e *domain.Event) *string { return &e.Venue }),
		}},
		// The rest folds: open where an event has something in it.
		{title: "field.agenda", layout: folded, open: func(e *domain.Event) bool { return e.Agenda != "" }, fields: []fieldSpec[domain.Event]{
			textField("agenda", "field.agenda", 3, "", func(e *domain.Event) *string { return &e.Agenda }),
		}},
		{title: "event.sec_participants", layout: folded, open: func(e *domain.Event) bool { return len(e.Participants) > 0 },
			fields: []fieldSpec[domain.Event]{{name: "participants", label: "field.participants", input: newParticipantsInput}}},
		{title: "field.speakers", layout: folded, open: func(e *domain.Event) bool { return len(e.Speakers) > 0 },
			fields: []fieldSpec[domain.Event]{{name: "speakers", label: "field.speakers", input: newSpeakersInput}}},
		{title: "event.sec_outcome", layout: folded, open: func(e *domain.Event) bool {
			return len(e.Decisions) > 0 || len(e.FollowUps) > 0 || len(e.MediaLinks) > 0 || e.Notes != ""
		}, fields: []fieldSpec[domain.Event]{
			linesField("decisions", "field.decisions", 3, "form.one_per_line", func(e *domain.Event) *[]string { return &e.Decisions }),
			{name: "followups", label: "field.followups", input: newFollowUpsInput},
			linesField("media_links", "field.media_links", 2, "https://…", func(e *domain.Event) *[]string { return &e.MediaLinks }),
			textField("notes", "field.notes", 2, "", func(e *domain.Event) *string { return &e.Notes }),
		}},
	},
	start: func(f *eventForm) {
		f.preset(map[string]string{"date": f.u.tr.DateInput(f.u.sess.Records().Today()), "language": f.u.Lang()})
		f.presetCouncil()
	},
	create: func(ctx context.Context, svc *records.Service, e *domain.Event) (string, error) {
		saved, err := svc.CreateEvent(ctx, *e)
		if err != nil {
			return "", err
		}
		return saved.ID, nil
	},
	change: func(ctx context.Context, svc *records.Service, id string, shown, edited *domain.Event, fields []string) error {
		_, err := svc.ChangeEvent(ctx, id, shown, edited, fields)
		return err
	},
	id: func(e *domain.Event) string { return e.ID },
}

// participantsInput counts the participants of each group by gender.
type participantsInput struct {
	groups []string
	counts map[string][3]*controls.Entry // group -> female, male, unspecified
	grid   *fyne.Container
}

func newParticipantsInput(f *eventForm) input[domain.Event] {
	u := f.u
	x := &participantsInput{counts: map[string][3]*controls.Entry{}}
	x.grid = container.NewVBox(container.New(entryColumns, widget.NewLabel(""), truncatedBold(u.T("field.female")),
		truncatedBold(u.T("field.male")), truncatedBold(u.T("field.unspecified"))))
	for _, t := range u.catalog().Terms(refdata.ParticipantGroups) {
		x.groups = append(x.groups, t.Code)
		var row [3]*controls.Entry
		for i, g := range []string{"female", "male", "unspecified"} {
			row[i] = u.newEntry()
			row[i].SetPlaceHolder("0")
			u.name(row[i], "event.participants."+t.Code+"."+g)
		}
		x.counts[t.Code] = row
		x.grid.Add(container.New(entryColumns, wrapped(t.Names.In(u.Lang())), row[0], row[1], row[2]))
	}
	return x
}

func (x *participantsInput) object() fyne.CanvasObject { return x.grid }

func (x *participantsInput) load(e *domain.Event) {
	for g, n := range e.Participants {
		if row, ok := x.counts[g]; ok {
			for i, v := range []int{n.Female, n.Male, n.Unspecified} {
				if v > 0 {
					row[i].SetText(strconv.Itoa(v))
				}
			}
		}
	}
}

func (x *participantsInput) read(e *domain.Event, fail func(string, string)) bool {
	ok := true
	num := func(en *controls.Entry) int {
		n, good := wholeNumber(en.Text)
		if !good {
			fail("participants", "err.format.number")
			ok = false
		}
		return n
	}
	parts := map[string]domain.GenderCount{}
	for _, g := range x.groups {
		row := x.counts[g]
		c := domain.GenderCount{Female: num(row[0]), Male: num(row[1]), Unspecified: num(row[2])}
		if c.Total() > 0 {
			parts[g] = c
		}
	}
	e.Participants = parts
	return ok
}

// The draft keeps each count as "participants.GROUP.N".
func (x *participantsInput) keep(d map[string]string) {
	for g, row := range x.counts {
		for i, e := range row {
			if e.Text != "" {
				d["participants."+g+"."+strconv.Itoa(i)] = e.Text
			}
		}
	}
}

func (x *participantsInput) restore(d map[string]string) {
	for g, row := range x.counts {
		for i, e := range row {
			e.SetText(d["participants."+g+"."+strconv.Itoa(i)])
		}
	}
}

// itemsInput edits a list of small items, a row of cells each: the draft
// keeps "NAME.n" rows and "NAME.I.COL" cells (with the ids of items that
// exist, and what they keep).
type itemsInput struct {
	name string
	rows *controls.Rows
}

func (u *UI) newItems(name string, headings []string, addLabel string, cell func(col int) fyne.CanvasObject) itemsInput {
	heads := make([]string, len(headings))
	for i, h := range headings {
		heads[i] = u.T(h)
	}
	// Each cell named for the probe by its column ("followups.followup_status").
	named := func(col int) fyne.CanvasObject {
		var o fyne.CanvasObject
		if cell != nil {
			o = cell(col)
		}
		if o == nil {
			o = u.newEntry()
		}
		u.name(o, name+"."+strings.TrimPrefix(headings[col], "field."))
		return o
	}
	return itemsInput{name: name, rows: controls.NewRows(heads, u.T(addLabel), named, u.touch, func(o fyne.Focusable) { u.win.Canvas().Focus(o) })}
}

func (x itemsInput) object() fyne.CanvasObject { return x.rows.Box }

func (x itemsInput) keep(d map[string]string) {
	d[x.name+".n"] = strconv.Itoa(len(x.rows.Rows))
	for i, r := range x.rows.Rows {
		p := x.name + "." + strconv.Itoa(i) + "."
		for c, cell := range r.Cells {
			switch v := cell.(type) {
			case *controls.Entry:
				d[p+strconv.Itoa(c)] = v.Text
			case *controls.CodeSelect:
				d[p+strconv.Itoa(c)] = v.Code()
			}
		}
		if r.ID != "" {
			d[p+"id"] = r.ID
			for k, v := range r.Keep {
				d[p+k] = v
			}
		}
	}
}

func (x itemsInput) restore(d map[string]string) {
	n, err := strconv.Atoi(d[x.name+".n"])
	if err != nil {
		return
	}
	x.rows.Clear()
	for i := range n {
		p := x.name + "." + strconv.Itoa(i) + "."
		r := x.rows.AddRow(d[p+"id"])
		if v, ok := d[p+"done_on"]; ok {
			r.Keep["done_on"] = v
		}
		for c, cell := range r.Cells {
			switch v := cell.(type) {
			case *controls.Entry:
				v.SetText(d[p+strconv.Itoa(c)])
			case *controls.CodeSelect:
				v.SetCode(d[p+strconv.Itoa(c)])
			}
		}
	}
}

// text is what cell i of r holds, without spaces around it.
func text(r *controls.Row, i int) string { return strings.TrimSpace(r.Text(i)) }

// speakersInput: who spoke, in what role, for which organisation.
type speakersInput struct{ itemsInput }

func newSpeakersInput(f *eventForm) input[domain.Event] {
	return speakersInput{f.u.newItems("speakers", []string{"field.speaker_name", "field.speaker_role", "field.speaker_org"}, "event.add_speaker", nil)}
}

func (x speakersInput) load(e *domain.Event) {
	for _, s := range e.Speakers {
		x.rows.AddRow("", s.Name, s.Role, s.Organisation)
	}
}

func (x speakersInput) read(e *domain.Event, _ func(string, string)) bool {
	e.Speakers = nil
	for _, r := range x.rows.Rows {
		s := domain.Speaker{Name: text(r, 0), Role: text(r, 1), Organisation: text(r, 2)}
		if s != (domain.Speaker{}) {
			e.Speakers = append(e.Speakers, s)
		}
	}
	return true
}

// followUpsInput: the actions agreed, who does them by when, and how far
// they are. An action keeps its id (an edit changes it in place) and the
// day it was done.
type followUpsInput struct {
	itemsInput
	u *UI
}

func newFollowUpsInput(f *eventForm) input[domain.Event] {
	u := f.u
	var codes, names []string
	for _, t := range u.catalog().Terms(refdata.FollowupStatuses) {
		codes = append(codes, t.Code)
		names = append(names, t.Names.In(u.Lang()))
	}
	items := u.newItems("followups", []string{"field.followup_action", "field.followup_owner", "field.followup_due", "field.followup_status"},
		"event.add_followup", func(col int) fyne.CanvasObject {
			if col == 3 {
				s := u.newCodeSelect(codes, names, "", nil)
				s.SetCode("open")
				return s
			}
			e := u.newEntry()
			if col == 2 {
				e.SetPlaceHolder(u.T("form.date_placeholder"))
			}
			return e
		})
	return followUpsInput{itemsInput: items, u: u}
}

func (x followUpsInput) load(e *domain.Event) {
	for _, f := range e.FollowUps {
		r := x.rows.AddRow(f.ID, f.Action, f.Owner, x.u.tr.DateInput(f.Due))
		r.Cells[3].(*controls.CodeSelect).SetCode(f.Status)
		r.Keep["done_on"] = f.DoneOn.String()
	}
}

func (x followUpsInput) read(e *domain.Event, fail func(string, string)) bool {
	ok := true
	e.FollowUps = nil
	for _, r := range x.rows.Rows {
		if text(r, 0) == "" && text(r, 1) == "" && text(r, 2) == "" {
			continue
		}
		due, err := x.u.tr.ParseDate(text(r, 2))
		if err != nil {
			fail("followups", "err.format.date")
			ok = false
		}
		if r.ID == "" {
			// A new action's id is made once, the first time it is read,
			// so that every read gives the same action.
			if r.Keep["new_id"] == "" {
				r.Keep["new_id"] = domain.NewID()
			}
		}
		f := domain.FollowUp{ID: cmp(r.ID, r.Keep["new_id"]), Action: text(r, 0), Owner: text(r, 1), Due: due,
			Status: r.Cells[3].(*controls.CodeSelect).Code()}
		if f.Status == "done" {
			if d, err := caldate.Parse(r.Keep["done_on"]); err == nil && !d.IsZero() {
				f.DoneOn = d
			} else {
				f.DoneOn = x.u.sess.Records().Today()
			}
		}
		e.FollowUps = append(e.FollowUps, f)
	}
	return ok
}

// cmp is a if it is not empty, else b.
func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var eventListSpec = listSpec{
	kind: domain.KindEvent, title: "nav.events", searchHint: "list.search_event",
	category: refdata.EventKinds, anyCategory: "list.any_kind",
	flag:    func(u *UI) string { return u.T("list.due_only", "n", homeDueDays) },
	flagged: func(f *records.Filter) { f.DueSoon = homeDueDays },
	count:   "list.count_events",
	// The date and every event kind fit their columns in the language in
	// force (measured); the title takes what is left.
	columns: []listColumn{
		{title: "field.date", width: func(u *UI) float32 { return textWidthOf(u.tr.Date(sampleDate)) },
			cell: func(u *UI, s records.Summary) (string, widget.Importance) { return plain(u.tr.Date(s.Date)) }},
		{title: "field.kind", width: func(u *UI) float32 {
			var kinds []string
			for _, t := range u.catalog().Terms(refdata.EventKinds) {
				kinds = append(kinds, t.Names.In(u.Lang()))
			}
			return min(textWidthOf(kinds...), 230)
		}, cell: func(u *UI, s records.Summary) (string, widget.Importance) {
			return plain(u.termName(refdata.EventKinds, s.Category))
		}},
		{title: "field.council", width: func(*UI) float32 { return 230 },
			cell: func(u *UI, s records.Summary) (string, widget.Importance) { return plain(u.councilName(s.Council)) }},
		{title: "field.title", cell: func(u *UI, s records.Summary) (string, widget.Importance) { return plain(s.Title) }},
		{title: "field.followup_due", width: func(u *UI) float32 { return textWidthOf(u.tr.Date(sampleDate)) },
			cell: func(u *UI, s records.Summary) (string, widget.Importance) {
				switch {
				case s.DueNext == nil:
					return plain("")
				case s.DueNext.Before(u.sess.Records().Today()):
					return u.tr.Date(*s.DueNext), widget.DangerImportance
				}
				return plain(u.tr.Date(*s.DueNext))
			}},
	},
	newLabel: "action.new_event",
}

var eventDetailSpec = detailSpec[domain.Event]{
	kind: domain.KindEvent,
	load: func(ctx context.Context, svc *records.Service, id string) (*domain.Event, error) {
		return svc.Event(ctx, id)
	},
	meta:  func(e *domain.Event) *domain.Meta { return e.Meta },
	title: func(u *UI, _ *domain.Event) string { return u.T("event.title") },
	head: func(d *eventDetail, e *domain.Event) []fyne.CanvasObject {
		u := d.u
		return []fyne.CanvasObject{bold(u.tr.LongDate(e.Date) + " · " + u.termName(refdata.EventKinds, e.Kind)), heading(e.Title)}
	},
	act: func(d *eventDetail, e *domain.Event) []fyne.CanvasObject {
		u := d.u
		return []fyne.CanvasObject{u.button(u.T("action.new_appeal_from_event"), theme.ContentAddIcon(), func() {
			// An appeal received at the event: where and how, from the event.
			f := newAppealForm(u, nil)
			f.preset(map[string]string{"channel": "at_event", "council": e.Council, "oblast": e.Oblast, "district": e.District, "village": e.Village})
			f.extra["event_id"] = e.ID
			f.settle()
			u.shell.push(f)
		})}
	},
	facts: []fact[domain.Event]{
		{"field.council", func(u *UI, e *domain.Event) string { return u.councilName(e.Council) }},
		{"field.topic", func(_ *UI, e *domain.Event) string { return e.Topic }},
		{"field.date", func(u *UI, e *domain.Event) string {
			when := u.tr.LongDate(e.Date)
			if e.StartTime != "" {
				when += ", " + e.StartTime
			}
			return when
		}},
		{"field.duration_minutes", func(u *UI, e *domain.Event) string {
			if e.DurationMinutes > 0 {
				return u.tr.Int(e.DurationMinutes)
			}
			return ""
		}},
		{"field.place", func(u *UI, e *domain.Event) string {
			place := u.regionName(e.Oblast)
			for _, s := range []string{u.districtName(e.District), e.Village, e.Venue} {
				if s != "" {
					place += ", " + s
				}
			}
			return place
		}},
		{"field.agenda", func(_ *UI, e *domain.Event) string { return e.Agenda }},
		{"field.language", func(_ *UI, e *domain.Event) string { return languageNames[e.Language] }},
		{"field.notes", func(_ *UI, e *domain.Event) string { return e.Notes }},
	},
	panels: func(d *eventDetail, e *domain.Event) []fyne.CanvasObject {
		editable := d.u.records && (e.Meta == nil || !e.Meta.Deleted)
		out := []fyne.CanvasObject{participantsTable(d.u, e)}
		out = append(out, trainingPanels(d, e)...)
		return append(out, eventOutcome(d, e), d.u.attachmentsPanel(domain.KindEvent, e.ID, e.Attachments, editable))
	},
}

// participantsTable counts an event's participants by group and gender.
func participantsTable(u *UI, e *domain.Event) fyne.CanvasObject {
	parts := container.NewVBox(container.New(countColumns, truncatedBold(u.T("field.participants")), truncatedBold(u.T("field.female")),
		truncatedBold(u.T("field.male")), truncatedBold(u.T("field.unspecified")), truncatedBold(u.T("field.total"))))
	// A training with an attendance list counts its participants from it.
	counted := e.Counted()
	for _, t := range u.catalog().Terms(refdata.ParticipantGroups) {
		n, ok := counted[t.Code]
		if !ok {
			continue
		}
		row := []fyne.CanvasObject{wrapped(t.Names.In(u.Lang()))}
		for _, v := range []int{n.Female, n.Male, n.Unspecified, n.Total()} {
			row = append(row, widget.NewLabel(u.tr.Int(v)))
		}
		parts.Add(container.New(countColumns, row...))
	}
	tot := e.CountedTotal()
	row := []fyne.CanvasObject{strong(u.T("field.total"))}
	for _, v := range []int{tot.Female, tot.Male, tot.Unspecified, tot.Total()} {
		row = append(row, strong(u.tr.Int(v)))
	}
	parts.Add(container.New(countColumns, row...))
	return parts
}

// eventOutcome shows who spoke, what was decided, the follow-up actions
// (an open one can be marked done) and the links to media.
func eventOutcome(d *eventDetail, e *domain.Event) fyne.CanvasObject {
	u := d.u
	deleted := e.Meta != nil && e.Meta.Deleted
	more := container.NewVBox()
	if len(e.Speakers) > 0 {
		more.Add(bold(u.T("field.speakers")))
		for _, s := range e.Speakers {
			more.Add(wrapped(strings.Join(nonEmpty(s.Name, s.Role, s.Organisation), " · ")))
		}
	}
	if len(e.Decisions) > 0 {
		more.Add(bold(u.T("field.decisions")))
		for i, dec := range e.Decisions {
			more.Add(wrapped(itoa(i+1) + ". " + dec))
		}
	}
	more.Add(bold(u.T("field.followups")))
	if len(e.FollowUps) == 0 {
		more.Add(muted(u.T("event.no_followups")))
	}
	today := u.sess.Records().Today()
	for _, f := range e.FollowUps {
		l := wrapped(f.Action + " — " + f.Owner + " · " + u.T("event.due", "date", f.Due) + " · " + u.termName(refdata.FollowupStatuses, f.Status))
		if f.Open() && f.Due.Before(today) {
			l.Importance = widget.DangerImportance
		}
		if f.Open() && !deleted {
			done := u.button(u.T("event.mark_done"), theme.ConfirmIcon(), func() { markDone(d, f.ID) })
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
	return more
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
func markDone(d *eventDetail, id string) {
	u := d.u
	shown := *d.rec
	edited := shown
	edited.FollowUps = slices.Clone(shown.FollowUps)
	for i := range edited.FollowUps {
		if edited.FollowUps[i].ID == id {
			edited.FollowUps[i].Status = "done"
			edited.FollowUps[i].DoneOn = u.sess.Records().Today()
		}
	}
	if _, err := u.sess.Records().ChangeEvent(context.Background(), d.id, &shown, &edited, []string{"followups"}); err != nil {
		u.showError(err)
	}
	d.load()
}
