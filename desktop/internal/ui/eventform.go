package ui

import (
	"context"
	"encoding/json"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// eventForm records a new event or edits one.
type eventForm struct {
	formPage
	e *domain.Event // nil: new

	council, kind, language, oblast, district *controls.CodeSelect
	titleE, topic, date, start, duration      *controls.Entry
	village, venue                            *controls.Entry
	agenda, decisions, links, notes           *controls.Entry
	groups                                    []string
	counts                                    map[string][3]*controls.Entry // group -> female, male, unspecified
	speakers                                  *rowsEditor
	followups                                 *rowsEditor
}

func newEventForm(u *UI, e *domain.Event) *eventForm {
	f := &eventForm{e: e, counts: map[string][3]*controls.Entry{}}
	f.u = u
	f.formPage.kind = domain.KindEvent
	if e != nil {
		f.recordID = e.ID
	}
	f.fs = u.newFieldSet(domain.KindEvent)
	if e == nil {
		f.titleStr = u.T("event.new_title")
	} else {
		f.titleStr = u.T("event.edit_title")
	}
	svc := u.sess.Records()
	cc, cn := u.councils()
	f.council = u.newCodeSelect(cc, cn, "", nil)
	f.kind = u.termSelect(refdata.EventKinds, "", nil)
	f.language = u.newCodeSelect(l10n.Languages, []string{"Кыргызча", "Русский", "English"}, u.T("form.not_stated"), nil)
	rc, rn := u.regionChoices()
	f.district = u.newCodeSelect(nil, nil, u.T("form.not_stated"), nil)
	f.oblast = u.newCodeSelect(rc, rn, "", func(code string) {
		dc, dn := u.districtChoices(code)
		f.district.SetOptions(dc, dn, u.T("form.not_stated"))
	})
	f.titleE, f.topic, f.date, f.start, f.duration = u.newEntry(), u.newEntry(), u.newEntry(), u.newEntry(), u.newEntry()
	f.date.SetPlaceHolder(u.T("form.date_placeholder"))
	f.start.SetPlaceHolder("14:00")
	f.duration.SetPlaceHolder("120")
	f.village, f.venue = u.newEntry(), u.newEntry()
	f.agenda, f.decisions, f.links, f.notes = u.newMultiEntry(3), u.newMultiEntry(3), u.newMultiEntry(2), u.newMultiEntry(2)
	f.decisions.SetPlaceHolder(u.T("form.one_per_line"))
	f.links.SetPlaceHolder("https://…")

	partGrid := container.NewVBox(container.New(entryColumns, widget.NewLabel(""), truncatedBold(u.T("field.female")),
		truncatedBold(u.T("field.male")), truncatedBold(u.T("field.unspecified"))))
	for _, t := range u.catalog().Terms(refdata.ParticipantGroups) {
		f.groups = append(f.groups, t.Code)
		var row [3]*controls.Entry
		for i := range row {
			row[i] = u.newEntry()
			row[i].SetPlaceHolder("0")
		}
		f.counts[t.Code] = row
		partGrid.Add(container.New(entryColumns, wrapped(t.Names.In(u.Lang())), row[0], row[1], row[2]))
	}

	f.speakers = u.newRowsEditor([]string{"field.speaker_name", "field.speaker_role", "field.speaker_org"}, u.T("event.add_speaker"), nil)
	statusCodes, statusNames := []string{}, []string{}
	for _, t := range u.catalog().Terms(refdata.FollowupStatuses) {
		statusCodes = append(statusCodes, t.Code)
		statusNames = append(statusNames, t.Names.In(u.Lang()))
	}
	f.followups = u.newRowsEditor([]string{"field.followup_action", "field.followup_owner", "field.followup_due", "field.followup_status"},
		u.T("event.add_followup"), func(col int) fyne.CanvasObject {
			if col == 3 {
				s := u.newCodeSelect(statusCodes, statusNames, "", nil)
				s.SetCode("open")
				return s
			}
			e := u.newEntry()
			if col == 2 {
				e.SetPlaceHolder(u.T("form.date_placeholder"))
			}
			return e
		})

	if e == nil {
		home := svc.HomeCouncil()
		if home == "" && len(cc) == 1 {
			home = cc[0]
		}
		f.council.SetCode(home)
		f.date.SetText(u.tr.DateInput(svc.Today()))
		f.language.SetCode(u.Lang())
		for _, c := range mustCouncils(u) {
			if c.Code == home {
				f.oblast.SetCode(c.Oblast)
				f.district.SetCode(c.District)
			}
		}
	} else {
		f.council.SetCode(e.Council)
		f.council.Disable()
		f.kind.SetCode(e.Kind)
		f.titleE.SetText(e.Title)
		f.topic.SetText(e.Topic)
		f.agenda.SetText(e.Agenda)
		f.date.SetText(u.tr.DateInput(e.Date))
		f.start.SetText(e.StartTime)
		if e.DurationMinutes > 0 {
			f.duration.SetText(strconv.Itoa(e.DurationMinutes))
		}
		f.oblast.SetCode(e.Oblast)
		f.district.SetCode(e.District)
		f.village.SetText(e.Village)
		f.venue.SetText(e.Venue)
		f.language.SetCode(e.Language)
		for g, n := range e.Participants {
			if row, ok := f.counts[g]; ok {
				for i, v := range []int{n.Female, n.Male, n.Unspecified} {
					if v > 0 {
						row[i].SetText(strconv.Itoa(v))
					}
				}
			}
		}
		for _, s := range e.Speakers {
			f.speakers.addRow("", s.Name, s.Role, s.Organisation)
		}
		f.decisions.SetText(strings.Join(e.Decisions, "\n"))
		for _, x := range e.FollowUps {
			r := f.followups.addRow(x.ID, x.Action, x.Owner, u.tr.DateInput(x.Due))
			r.cells[3].(*controls.CodeSelect).SetCode(x.Status)
			r.doneOn = x.DoneOn.String()
		}
		f.links.SetText(strings.Join(e.MediaLinks, "\n"))
		f.notes.SetText(e.Notes)
	}

	fs := f.fs
	f.section("event.sec_what",
		fs.add("council", "field.council", f.council),
		fs.add("kind", "field.kind", f.kind),
		fs.add("title", "field.title", f.titleE),
		fs.add("topic", "field.topic", f.topic),
	)
	f.section("event.sec_when",
		fs.add("date", "field.date", f.date),
		fs.add("start_time", "field.start_time", f.start),
		fs.add("duration_minutes", "field.duration_minutes", f.duration),
		fs.add("language", "field.language", f.language),
		fs.add("oblast", "field.oblast", f.oblast),
		fs.add("district", "field.district", f.district),
		fs.add("village", "field.village", f.village),
		fs.add("venue", "field.venue", f.venue),
	)
	// The rest folds: open where an event has something in it.
	has := func(v bool) bool { return e != nil && v }
	f.fold("field.agenda", has(e != nil && e.Agenda != ""), fs.add("agenda", "field.agenda", f.agenda))
	f.fold("event.sec_participants", has(e != nil && len(e.Participants) > 0), fs.add("participants", "field.participants", partGrid))
	f.fold("field.speakers", has(e != nil && len(e.Speakers) > 0), fs.add("speakers", "field.speakers", f.speakers.box))
	f.fold("event.sec_outcome", has(e != nil && (len(e.Decisions) > 0 || len(e.FollowUps) > 0 || len(e.MediaLinks) > 0 || e.Notes != "")),
		fs.add("decisions", "field.decisions", f.decisions),
		fs.add("followups", "field.followups", f.followups.box),
		fs.add("media_links", "field.media_links", f.links),
		fs.add("notes", "field.notes", f.notes),
	)
	f.submitOnEnter(f.titleE, f.topic, f.date, f.start, f.duration, f.village, f.venue)
	f.moreInputs, f.restoreMore = f.rowInputs, f.restoreRows
	f.values = f.read
	f.onSave = f.store
	f.finish()
	return f
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (f *eventForm) read() (map[string]any, bool) {
	u := f.u
	ok := true
	num := func(field string, e *controls.Entry) int {
		t := strings.TrimSpace(e.Text)
		if t == "" {
			return 0
		}
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			f.fs.localError(field, u.T("err.format.number"))
			ok = false
		}
		return n
	}
	date, err := u.tr.ParseDate(f.date.Text)
	if err != nil {
		f.fs.localError("date", u.T("err.format.date"))
		ok = false
	}
	parts := map[string]domain.GenderCount{}
	for _, g := range f.groups {
		row := f.counts[g]
		c := domain.GenderCount{Female: num("participants", row[0]), Male: num("participants", row[1]), Unspecified: num("participants", row[2])}
		if c.Total() > 0 {
			parts[g] = c
		}
	}
	var speakers []domain.Speaker
	for _, r := range f.speakers.rows {
		s := domain.Speaker{Name: r.text(0), Role: r.text(1), Organisation: r.text(2)}
		if s != (domain.Speaker{}) {
			speakers = append(speakers, s)
		}
	}
	var followups []domain.FollowUp
	for _, r := range f.followups.rows {
		if r.text(0) == "" && r.text(1) == "" && r.text(2) == "" {
			continue
		}
		due, err := u.tr.ParseDate(r.text(2))
		if err != nil {
			f.fs.localError("followups", u.T("err.format.date"))
			ok = false
		}
		fu := domain.FollowUp{ID: r.id, Action: r.text(0), Owner: r.text(1), Due: due, Status: r.cells[3].(*controls.CodeSelect).Code()}
		if fu.ID == "" {
			fu.ID = r.newID()
		}
		if fu.Status == "done" {
			if r.doneOn != "" {
				fu.DoneOn, _ = u.tr.ParseDate(r.doneOn)
			} else {
				fu.DoneOn = u.sess.Records().Today()
			}
		}
		followups = append(followups, fu)
	}
	v := map[string]any{
		"kind": f.kind.Code(), "title": strings.TrimSpace(f.titleE.Text), "topic": strings.TrimSpace(f.topic.Text),
		"agenda": strings.TrimSpace(f.agenda.Text), "date": date, "start_time": strings.TrimSpace(f.start.Text),
		"duration_minutes": num("duration_minutes", f.duration), "oblast": f.oblast.Code(), "district": f.district.Code(),
		"village": strings.TrimSpace(f.village.Text), "venue": strings.TrimSpace(f.venue.Text), "language": f.language.Code(),
		"participants": parts, "speakers": speakers, "decisions": lines(f.decisions.Text), "followups": followups,
		"media_links": lines(f.links.Text), "notes": strings.TrimSpace(f.notes.Text),
	}
	if f.e == nil {
		v["council"] = f.council.Code()
	}
	return v, ok
}

func (f *eventForm) store(changed map[string]any) error {
	u := f.u
	svc := u.sess.Records()
	ctx := context.Background()
	if f.e == nil {
		v, _ := f.read()
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var e domain.Event
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		saved, err := svc.CreateEvent(ctx, e)
		if err != nil {
			return err
		}
		f.saved = true
		u.shell.replaceTop(newEventDetail(u, saved.ID))
		return nil
	}
	if len(changed) == 0 {
		f.saved = true
		u.shell.popNow()
		return nil
	}
	b, err := json.Marshal(changed)
	if err != nil {
		return err
	}
	if _, err := svc.EditEvent(ctx, f.e.ID, b); err != nil {
		return err
	}
	f.saved = true
	u.shell.popNow()
	u.shell.top().changed([]records.Changed{{Kind: domain.KindEvent, ID: f.e.ID}})
	return nil
}

// rowsEditor edits a list of small records (speakers, follow-up actions):
// one row of cells each, with add and remove.
type rowsEditor struct {
	u      *UI
	heads  []string
	cell   func(col int) fyne.CanvasObject
	rows   []*editRow
	list   *fyne.Container
	box    *fyne.Container
	addBtn *widget.Button
}

type editRow struct {
	id     string // kept for items that exist, so an edit changes them in place
	cells  []fyne.CanvasObject
	doneOn string
	box    *fyne.Container
	fresh  string // id given to a new row on first read, stable across reads
}

func (r *editRow) text(i int) string {
	if e, ok := r.cells[i].(*controls.Entry); ok {
		return strings.TrimSpace(e.Text)
	}
	return ""
}

func (r *editRow) newID() string {
	if r.fresh == "" {
		r.fresh = domain.NewID()
	}
	return r.fresh
}

func (u *UI) newRowsEditor(heads []string, addLabel string, cell func(col int) fyne.CanvasObject) *rowsEditor {
	ed := &rowsEditor{u: u, heads: heads, cell: cell}
	if ed.cell == nil {
		ed.cell = func(int) fyne.CanvasObject { return u.newEntry() }
	}
	hdr := container.NewGridWithColumns(len(heads))
	for _, h := range heads {
		hdr.Add(truncatedBold(u.T(h)))
	}
	ed.list = container.NewVBox()
	ed.addBtn = u.button(addLabel, theme.ContentAddIcon(), func() {
		r := ed.addRow("")
		if e, ok := r.cells[0].(*controls.Entry); ok {
			u.win.Canvas().Focus(e)
		}
	})
	ed.box = container.NewVBox(container.NewBorder(nil, nil, nil, widget.NewIcon(nil), hdr), ed.list, container.NewHBox(ed.addBtn))
	return ed
}

func (ed *rowsEditor) addRow(id string, texts ...string) *editRow {
	r := &editRow{id: id}
	grid := container.NewGridWithColumns(len(ed.heads))
	for i := range ed.heads {
		c := ed.cell(i)
		if e, ok := c.(*controls.Entry); ok && i < len(texts) {
			e.SetText(texts[i])
		}
		r.cells = append(r.cells, c)
		grid.Add(c)
	}
	remove := ed.u.button("", theme.DeleteIcon(), nil)
	remove.OnTapped = func() {
		ed.u.touch()
		for i, x := range ed.rows {
			if x == r {
				ed.rows = append(ed.rows[:i], ed.rows[i+1:]...)
				break
			}
		}
		ed.list.Remove(r.box)
	}
	r.box = container.NewBorder(nil, nil, nil, remove, grid)
	ed.rows = append(ed.rows, r)
	ed.list.Add(r.box)
	return r
}

// rowInputs adds the participant counts, speakers and follow-up actions
// to a draft: "participants.GROUP.N", "speakers.I.COL", "followups.I.COL"
// (with the row counts, and the ids of actions that exist).
func (f *eventForm) rowInputs(in map[string]string) {
	for g, row := range f.counts {
		for i, e := range row {
			if e.Text != "" {
				in["participants."+g+"."+strconv.Itoa(i)] = e.Text
			}
		}
	}
	for _, ed := range []struct {
		name string
		ed   *rowsEditor
	}{{"speakers", f.speakers}, {"followups", f.followups}} {
		in[ed.name+".n"] = strconv.Itoa(len(ed.ed.rows))
		for i, r := range ed.ed.rows {
			p := ed.name + "." + strconv.Itoa(i) + "."
			for c, cell := range r.cells {
				switch x := cell.(type) {
				case *controls.Entry:
					in[p+strconv.Itoa(c)] = x.Text
				case *controls.CodeSelect:
					in[p+strconv.Itoa(c)] = x.Code()
				}
			}
			if r.id != "" {
				in[p+"id"] = r.id
				in[p+"done_on"] = r.doneOn
			}
		}
	}
}

// restoreRows puts the rows of a draft back.
func (f *eventForm) restoreRows(in map[string]string) {
	for g, row := range f.counts {
		for i, e := range row {
			e.SetText(in["participants."+g+"."+strconv.Itoa(i)])
		}
	}
	for _, ed := range []struct {
		name string
		ed   *rowsEditor
	}{{"speakers", f.speakers}, {"followups", f.followups}} {
		n, err := strconv.Atoi(in[ed.name+".n"])
		if err != nil {
			continue
		}
		for _, r := range ed.ed.rows {
			ed.ed.list.Remove(r.box)
		}
		ed.ed.rows = nil
		for i := 0; i < n; i++ {
			p := ed.name + "." + strconv.Itoa(i) + "."
			r := ed.ed.addRow(in[p+"id"])
			r.doneOn = in[p+"done_on"]
			for c, cell := range r.cells {
				switch x := cell.(type) {
				case *controls.Entry:
					x.SetText(in[p+strconv.Itoa(c)])
				case *controls.CodeSelect:
					x.SetCode(in[p+strconv.Itoa(c)])
				}
			}
		}
	}
}
