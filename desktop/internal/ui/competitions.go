package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
)

// The Competitions page: the programme's competitions for journalists and
// councils. Central staff set one up here or with keneshctl (competition
// add, entry add; see competitionsetup.go) and publish its winners; a juror scores each entry on their
// own laptop, offline, from the competition's page (the scoring form:
// one choice of points per criterion, with the mouse). A juror related to
// an entry is not offered to score it. The ranking is the domain's
// (domain.Competition.Ranking): per category, or who is still missing.
// The page opens from the home screen's Competitions panel, shown on a
// laptop that holds a competition (the navigation has no room for another
// section at large text sizes).

type competitionsPage struct {
	u    *UI
	body *fyne.Container
	// links are the competitions' lines by id, for tests.
	links map[string]*widget.Button
	add   *widget.Button // New competition, for central staff
}

func newCompetitionsPage(u *UI) *competitionsPage {
	p := &competitionsPage{u: u, body: container.NewStack()}
	p.load()
	return p
}

func (p *competitionsPage) title() string           { return p.u.T("competitions.title") }
func (p *competitionsPage) view() fyne.CanvasObject { return p.body }

func (p *competitionsPage) changed(c []records.Changed) {
	if records.Touches(c, domain.KindCompetition) {
		p.load()
	}
}

func (p *competitionsPage) load() {
	u := p.u
	svc := u.sess.Records()
	list, err := svc.Competitions(context.Background())
	if err != nil {
		p.body.Objects = []fyne.CanvasObject{wrapped(u.problem(err))}
		p.body.Refresh()
		return
	}
	p.links = map[string]*widget.Button{}
	box := container.NewVBox()
	setsUp := u.setsUpCompetitions()
	if setsUp {
		p.add = u.primary(u.T("competition.new"), theme.ContentAddIcon(), func() { u.shell.push(newCompetitionForm(u, "")) })
		box.Add(container.NewHBox(p.add))
	}
	switch {
	case len(list) == 0 && setsUp:
		box.Add(wrapped(u.T("competitions.none_yet")))
	case len(list) == 0:
		box.Add(wrapped(u.T("competitions.none")))
	}
	for i := range list {
		c := &list[i]
		id := c.ID
		open := u.button(c.Title, theme.NavigateNextIcon(), func() { u.shell.push(newCompetitionDetail(u, id)) })
		open.Alignment = widget.ButtonAlignLeading
		open.Importance = widget.LowImportance
		p.links[id] = open
		row := container.NewVBox(open, muted(u.T("competitions.line", "audience", u.T("competition.audience_"+c.Audience),
			"deadline", c.Deadline, "entries", len(c.Entries), "jurors", len(c.Jurors))))
		if j, ok := c.JurorOf(svc.Device().ID); ok {
			if n := toScore(c, j.ID); n > 0 {
				l := bold(u.T("competitions.to_score", "n", n))
				l.Importance = widget.WarningImportance
				row.Add(l)
			}
		}
		if !c.PublishedOn.IsZero() {
			row.Add(muted(u.T("competition.published_on", "date", c.PublishedOn)))
		}
		box.Add(row)
		box.Add(widget.NewSeparator())
	}
	p.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
	p.body.Refresh()
}

// toScore counts the entries juror may score and has not (completely).
func toScore(c *domain.Competition, juror string) int {
	n := 0
	for _, r := range c.Ranking() {
		for _, m := range r.Missing {
			if m.Juror.ID == juror {
				n += len(m.Entries)
			}
		}
	}
	return n
}

// competitionDetail is one competition: its terms, the entries (with this
// laptop's juror's score of each and a Score button), and the ranking.
type competitionDetail struct {
	u    *UI
	id   string
	body *fyne.Container
	c    *domain.Competition
	// scoreButtons are the Score buttons by entry id, for tests.
	scoreButtons map[string]*widget.Button
	// Central staff's: the actions by name ("edit", "add_entry",
	// "publish", "withdraw", "conflict.ENTRY"), the publication's fault
	// in place, and the dialogs' fields, for tests.
	actions        map[string]*widget.Button
	fileButtons    map[string]*widget.Button // Open or Download of an entry's file
	publishMsg     *widget.Label
	publishErr     string
	entryForm      *entryForm
	conflictChecks map[string]*widget.Check
}

func newCompetitionDetail(u *UI, id string) *competitionDetail {
	d := &competitionDetail{u: u, id: id, body: container.NewStack()}
	d.load()
	return d
}

func (d *competitionDetail) title() string           { return d.u.T("competition.title") }
func (d *competitionDetail) view() fyne.CanvasObject { return d.body }

func (d *competitionDetail) changed(c []records.Changed) {
	if records.TouchesRecord(c, domain.KindCompetition, d.id) {
		d.load()
	}
}

func (d *competitionDetail) load() {
	u := d.u
	c, err := u.sess.Records().Competition(context.Background(), d.id)
	if err != nil {
		d.body.Objects = []fyne.CanvasObject{wrapped(u.problem(err))}
		d.body.Refresh()
		return
	}
	d.c = c
	d.scoreButtons = map[string]*widget.Button{}
	d.actions = map[string]*widget.Button{}
	d.fileButtons = map[string]*widget.Button{}
	juror, isJuror := c.JurorOf(u.sess.Records().Device().ID)
	setsUp := u.setsUpCompetitions() && (c.Meta == nil || !c.Meta.Deleted)
	box := container.NewVBox()
	if c.Meta != nil && len(c.Meta.Unreadable) > 0 {
		box.Add(u.unreadableBanner(c.Meta.Unreadable))
	}
	if setsUp {
		d.actions["edit"] = u.button(u.T("competition.edit"), theme.DocumentCreateIcon(), func() { u.shell.push(newCompetitionForm(u, d.id)) })
		d.actions["add_entry"] = u.button(u.T("competition.add_entry"), theme.ContentAddIcon(), func() { entryDialog(d) })
		row := container.NewHBox(d.actions["edit"], d.actions["add_entry"])
		if c.PublishedOn.IsZero() {
			d.actions["publish"] = u.primary(u.T("competition.publish"), theme.UploadIcon(), func() { d.publish(true) })
			row.Add(d.actions["publish"])
		} else {
			d.actions["withdraw"] = u.button(u.T("competition.withdraw"), theme.CancelIcon(), func() { d.publish(false) })
			row.Add(d.actions["withdraw"])
		}
		d.publishMsg = errorText()
		// A refusal stays through a redraw (a sync's change) until the
		// ranking it is about is complete.
		if complete(c) {
			d.publishErr = ""
		}
		setError(d.publishMsg, d.publishErr)
		box.Add(container.NewHScroll(row))
		box.Add(d.publishMsg)
	}
	box.Add(heading(c.Title))
	box.Add(wrapped(u.T("competition.terms", "audience", u.T("competition.audience_"+c.Audience), "deadline", c.Deadline, "places", c.PlacesAwarded())))
	if c.Rules != "" {
		box.Add(wrapped(c.Rules))
	}
	var crit []string
	for _, cr := range c.Criteria {
		crit = append(crit, u.T("competition.criterion", "name", cr.Name, "max", cr.Max))
	}
	box.Add(wrapped(u.T("competition.criteria", "list", strings.Join(crit, "; "))))
	var names []string
	for _, j := range c.Jurors {
		names = append(names, j.Name)
	}
	box.Add(wrapped(u.T("competition.jury", "names", strings.Join(names, ", "))))
	if isJuror {
		box.Add(bold(u.T("competition.you_are", "name", juror.Name)))
	}
	if !c.PublishedOn.IsZero() {
		box.Add(muted(u.T("competition.published_on", "date", c.PublishedOn)))
	}

	box.Add(widget.NewSeparator())
	box.Add(bold(u.T("competition.entries")))
	if len(c.Entries) == 0 {
		box.Add(muted(u.T("competition.entries_none")))
	}
	for i, e := range c.Entries {
		e := e
		line := wrapped(u.T("competition.entry_line", "n", i+1, "title", e.Title, "author", e.Author))
		row := container.NewVBox(line)
		if cat := c.CategoryByRef(e.Category); cat.Name != "" {
			row.Add(muted(cat.Name))
		}
		if e.Link != "" {
			row.Add(muted(e.Link))
		}
		if e.File != nil {
			line, b := u.entryFileLine(c.ID, e.File)
			d.fileButtons[e.ID] = b
			row.Add(line)
		}
		side := container.NewVBox()
		if setsUp {
			var related []string
			for _, j := range c.Jurors {
				if e.RelatedTo(j.ID) {
					related = append(related, j.Name)
				}
			}
			if len(related) > 0 {
				row.Add(muted(u.T("competition.related_list", "names", strings.Join(related, ", "))))
			}
			b := u.button(u.T("competition.conflict"), theme.WarningIcon(), func() { conflictDialog(d, e) })
			d.actions["conflict."+e.ID] = b
			side.Add(b)
		}
		if isJuror {
			var b *widget.Button
			switch s, scored := c.Score(juror.ID, e.ID); {
			case e.RelatedTo(juror.ID):
				l := muted(u.T("competition.related"))
				row.Add(l)
			case scored:
				row.Add(wrapped(u.T("competition.your_score", "points", sumPoints(c, s), "max", maxPoints(c))))
				b = u.button(u.T("competition.rescore"), theme.DocumentCreateIcon(), func() { u.shell.push(newScoreForm(u, d.id, e.ID)) })
			default:
				l := bold(u.T("competition.not_scored"))
				l.Importance = widget.WarningImportance
				row.Add(l)
				b = u.primary(u.T("competition.score"), theme.DocumentCreateIcon(), func() { u.shell.push(newScoreForm(u, d.id, e.ID)) })
			}
			if b != nil && (c.Meta == nil || !c.Meta.Deleted) {
				d.scoreButtons[e.ID] = b
				side.Objects = append([]fyne.CanvasObject{b}, side.Objects...)
			}
		}
		if len(side.Objects) > 0 {
			box.Add(container.NewBorder(nil, nil, nil, side, row))
			continue
		}
		box.Add(row)
	}

	box.Add(widget.NewSeparator())
	box.Add(bold(u.T("competition.ranking")))
	for _, r := range c.Ranking() {
		if r.Category.Name != "" {
			box.Add(strong(r.Category.Name))
		}
		for _, m := range r.Missing {
			box.Add(wrapped(u.T("competition.missing", "name", m.Juror.Name, "n", len(m.Entries))))
		}
		for _, e := range r.Unjudged {
			l := wrapped(u.T("competition.unjudged", "title", e.Title))
			l.Importance = widget.DangerImportance
			box.Add(l)
		}
		if !r.Complete() {
			continue
		}
		if len(r.Standings) == 0 {
			box.Add(muted(u.T("competition.entries_none")))
		}
		for _, s := range r.Standings {
			text := u.T("competition.standing", "place", s.PlaceText(), "title", s.Entry.Title, "author", s.Entry.Author,
				"mean", fmt.Sprintf("%.2f", s.Mean()), "jurors", s.Jurors)
			if s.Place <= c.PlacesAwarded() {
				box.Add(bold(text))
			} else {
				box.Add(wrapped(text))
			}
		}
	}
	d.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
	d.body.Refresh()
}

func sumPoints(c *domain.Competition, s domain.Score) int {
	n := 0
	for _, cr := range c.Criteria {
		n += s.Points[cr.ID]
	}
	return n
}

func maxPoints(c *domain.Competition) int {
	n := 0
	for _, cr := range c.Criteria {
		n += cr.Max
	}
	return n
}

// selectMax: a criterion out of at most this many points is scored by
// choosing from a list (the mouse alone); more is typed.
const selectMax = 30

// scoreForm is this laptop's juror's score of one entry: a choice of
// points per criterion, a note, Save.
type scoreForm struct {
	u     *UI
	id    string
	entry string
	body  *fyne.Container
	c     *domain.Competition
	// choices and typed are the points of each criterion by its id, for
	// tests: a list for small maxima, a typed number otherwise.
	choices map[string]*widget.Select
	typed   map[string]*widget.Entry
	note    *widget.Entry
	msg     *widget.Label
	save    *widget.Button
	changes bool
}

func newScoreForm(u *UI, id, entry string) *scoreForm {
	f := &scoreForm{u: u, id: id, entry: entry, body: container.NewStack(), msg: errorText()}
	f.load()
	return f
}

func (f *scoreForm) title() string           { return f.u.T("score.title") }
func (f *scoreForm) view() fyne.CanvasObject { return f.body }
func (f *scoreForm) dirty() bool             { return f.changes }

// changed redraws the form when the competition changed (a sync brought
// a new criterion), unless the juror has started scoring: what they chose
// is never thrown away; Save then judges it against the new competition.
func (f *scoreForm) changed(c []records.Changed) {
	if records.TouchesRecord(c, domain.KindCompetition, f.id) && !f.changes {
		f.load()
	}
}

func (f *scoreForm) load() {
	u := f.u
	c, err := u.sess.Records().Competition(context.Background(), f.id)
	if err == nil {
		var e domain.Entry
		if e, err = c.FindEntry(f.entry); err == nil {
			f.draw(c, e)
			return
		}
	}
	f.body.Objects = []fyne.CanvasObject{wrapped(u.problem(err))}
	f.body.Refresh()
}

func (f *scoreForm) draw(c *domain.Competition, e domain.Entry) {
	u := f.u
	f.c = c
	f.choices, f.typed = map[string]*widget.Select{}, map[string]*widget.Entry{}
	box := container.NewVBox(heading(e.Title), wrapped(u.T("competition.entry_by", "author", e.Author)))
	if e.Link != "" {
		box.Add(muted(e.Link))
	}
	if e.File != nil {
		line, _ := u.entryFileLine(c.ID, e.File)
		box.Add(line)
	}
	j, err := u.sess.Records().Juror(c)
	if err != nil {
		box.Add(wrapped(u.problem(err)))
		f.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
		f.body.Refresh()
		return
	}
	if err := c.MayScore(j.ID, e.ID); err != nil {
		box.Add(wrapped(u.T("score.related", "name", j.Name)))
		f.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
		f.body.Refresh()
		return
	}
	old, _ := c.Score(j.ID, e.ID)
	box.Add(bold(u.T("score.as", "name", j.Name)))
	form := container.New(layout.NewFormLayout())
	for i, cr := range c.Criteria {
		label := strong(u.T("competition.criterion", "name", cr.Name, "max", cr.Max))
		if cr.Max <= selectMax {
			opts := make([]string, cr.Max+1)
			for i := range opts {
				opts[i] = strconv.Itoa(i)
			}
			s := widget.NewSelect(opts, func(string) { f.changes = true; u.touch(); setError(f.msg, "") })
			s.PlaceHolder = u.T("score.choose")
			if p, ok := old.Points[cr.ID]; ok {
				s.SetSelected(strconv.Itoa(p))
			}
			f.choices[cr.ID] = s
			u.name(s, "score."+strconv.Itoa(i+1)) // the probe's name: by the criterion's number
			form.Add(label)
			form.Add(s)
			continue
		}
		en := u.newEntry()
		if p, ok := old.Points[cr.ID]; ok {
			en.SetText(strconv.Itoa(p))
		}
		en.OnChanged = func(string) { f.changes = true }
		f.typed[cr.ID] = &en.Entry
		u.name(en, "score."+strconv.Itoa(i+1))
		form.Add(label)
		form.Add(en)
	}
	f.note = widget.NewMultiLineEntry()
	f.note.SetText(old.Note)
	f.note.OnChanged = func(string) { f.changes = true }
	form.Add(strong(u.T("score.note")))
	form.Add(f.note)
	f.changes = false
	box.Add(form)
	box.Add(f.msg)
	f.save = u.primary(u.T("score.save"), theme.DocumentSaveIcon(), f.submit)
	box.Add(container.NewHBox(f.save, u.button(u.T("action.cancel"), theme.CancelIcon(), func() { u.shell.pop() })))
	f.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
	f.body.Refresh()
}

// submit saves the score; a criterion not chosen, or a number not typed
// as one, is named before anything is saved.
func (f *scoreForm) submit() {
	u := f.u
	points := map[string]int{}
	var missing []string
	for _, cr := range f.c.Criteria {
		var v string
		if s, ok := f.choices[cr.ID]; ok {
			v = s.Selected
		} else if en, ok := f.typed[cr.ID]; ok {
			v = strings.TrimSpace(en.Text)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			missing = append(missing, cr.Name)
			continue
		}
		points[cr.ID] = n
	}
	if len(missing) > 0 {
		setError(f.msg, u.T("score.missing", "names", strings.Join(missing, ", ")))
		return
	}
	if _, err := u.sess.Records().ScoreEntry(context.Background(), f.id, f.entry, points, f.note.Text); err != nil {
		setError(f.msg, u.problem(err))
		return
	}
	f.changes = false
	u.shell.popNow()
}

// competitionsCard is the home screen's panel of competitions: the
// entries this laptop's juror has still to score, and the button to the
// Competitions page; nil on a laptop with no competition.
func (p *homePage) competitionsCard() fyne.CanvasObject {
	u := p.u
	if len(p.competitions) == 0 && !u.setsUpCompetitions() {
		return nil
	}
	dev := u.sess.Records().Device().ID
	list := container.NewVBox()
	total := 0
	for i := range p.competitions {
		c := &p.competitions[i]
		j, ok := c.JurorOf(dev)
		if !ok {
			continue
		}
		if n := toScore(c, j.ID); n > 0 {
			total += n
			id := c.ID
			list.Add(u.newLink(u.T("home.competition_to_score", "title", c.Title, "n", n), func() { u.shell.push(newCompetitionDetail(u, id)) }))
		}
	}
	if total == 0 {
		list.Add(muted(u.T("home.competitions_none_to_score")))
	}
	all := u.button(u.T("home.competitions_all"), theme.ListIcon(), func() { u.shell.push(newCompetitionsPage(u)) })
	return p.panel(u.T("home.competitions", "n", total), total > 0, list, all)
}
