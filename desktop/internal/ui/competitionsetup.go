package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// Setting up a competition in the app, as keneshctl competition does it:
// central staff (shared/policy.MaySetUpCompetition) write its terms,
// categories, criteria and jury (competitionForm), add its entries with
// a link or the work as a file (entryDialog), mark a juror's conflict of
// interest with an entry (conflictDialog), and publish the winners once
// every juror has scored (the competition's page). Every fault shows
// beside what it is about; nothing typed is lost while the core refuses.

// setsUpCompetitions reports whether this laptop sets up competitions.
func (u *UI) setsUpCompetitions() bool {
	dev, enrolled := u.sess.Records().Reader()
	return enrolled && policy.MaySetUpCompetition(dev)
}

// itemRow is one category, criterion or juror of the form: its id (kept
// when the competition is saved again, so entries and scores still point
// at it), one or two entries, and its own error line.
type itemRow struct {
	id   string
	a, b *controls.Entry
	f    *field
}

// itemRows is a list of rows with Add and a Remove on each.
type itemRows struct {
	form   *competitionForm
	prefix string // "criteria": the rows' faults are "criteria/ID..."
	addKey string
	hintA  string // placeholders
	hintB  string // "" for one entry a row
	rows   []*itemRow
	box    *fyne.Container
	add    *widget.Button
}

func (l *itemRows) newRow(id, a, b string) *itemRow {
	u := l.form.u
	if id == "" {
		id = domain.NewID()
	}
	r := &itemRow{id: id, a: u.newEntry()}
	r.a.SetPlaceHolder(u.T(l.hintA))
	r.a.SetText(a)
	r.a.OnChanged = func(string) { l.form.changes = true }
	row := fyne.CanvasObject(r.a)
	remove := u.button("", theme.DeleteIcon(), func() {
		l.rows = slices.DeleteFunc(l.rows, func(x *itemRow) bool { return x == r })
		l.form.changes = true
		l.draw()
	})
	remove.Importance = widget.LowImportance
	if l.hintB != "" {
		r.b = u.newEntry()
		r.b.SetPlaceHolder(u.T(l.hintB))
		r.b.SetText(b)
		r.b.OnChanged = func(string) { l.form.changes = true }
		row = container.NewGridWithColumns(2, r.a, r.b)
	}
	// No label: the list's heading says what the rows are.
	r.f = &field{name: l.prefix + "/" + id, label: bold(""), obj: row, err: errorText()}
	r.f.box = container.NewVBox(container.NewBorder(nil, nil, nil, remove, row), r.f.err)
	fs := l.form.fs
	fs.fields[r.f.name] = r.f
	fs.order = append(fs.order, r.f)
	u.name(r.a, "competition."+l.prefix+"."+strconv.Itoa(len(l.rows)))
	l.rows = append(l.rows, r)
	return r
}

// keep puts the rows in a draft: their ids in order under the list's
// prefix, each entry's text under "prefix/ID.a" and ".b", and under
// "known/prefix" the ids the competition had when the form opened.
func (l *itemRows) keep(in map[string]string, known []string) {
	var ids []string
	for _, r := range l.rows {
		ids = append(ids, r.id)
		in[l.prefix+"/"+r.id+".a"] = r.a.Text
		if r.b != nil {
			in[l.prefix+"/"+r.id+".b"] = r.b.Text
		}
	}
	in[l.prefix] = strings.Join(ids, " ")
	in["known/"+l.prefix] = strings.Join(known, " ")
}

// restore puts a draft's rows in place of the list's, with their ids (an
// entry's category and a score's criterion and juror point at them). A
// row of the competition as it is now that the draft neither holds nor
// knew of came from another laptop since (a juror added at the centre):
// it stays, or saving the draft would remove it. One the draft knew and
// does not hold was removed by the person typing, and stays removed.
func (l *itemRows) restore(in map[string]string, now []itemText) {
	fs := l.form.fs
	for _, r := range l.rows {
		delete(fs.fields, r.f.name)
		fs.order = slices.DeleteFunc(fs.order, func(x *field) bool { return x == r.f })
	}
	l.rows = nil
	seen := map[string]bool{}
	for _, id := range strings.Fields(in[l.prefix]) {
		l.newRow(id, in[l.prefix+"/"+id+".a"], in[l.prefix+"/"+id+".b"])
		seen[id] = true
	}
	for _, id := range strings.Fields(in["known/"+l.prefix]) {
		seen[id] = true
	}
	for _, x := range now {
		if !seen[x.id] {
			l.newRow(x.id, x.a, x.b)
		}
	}
	l.draw()
}

// itemText is a category, criterion or juror as its row shows it.
type itemText struct{ id, a, b string }

// competitionItems are the rows competition c's categories, criteria and jurors make.
func competitionItems(c domain.Competition) (categories, criteria, jurors []itemText) {
	for _, x := range c.Categories {
		categories = append(categories, itemText{x.ID, x.Name, ""})
	}
	for _, x := range c.Criteria {
		criteria = append(criteria, itemText{x.ID, x.Name, strconv.Itoa(x.Max)})
	}
	for _, x := range c.Jurors {
		jurors = append(jurors, itemText{x.ID, x.Name, x.Device})
	}
	return categories, criteria, jurors
}

func itemIDs(xs []itemText) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, x.id)
	}
	return out
}

func (l *itemRows) draw() {
	l.box.Objects = nil
	for _, r := range l.rows {
		l.box.Add(r.f.box)
	}
	l.box.Add(container.NewHBox(l.add))
	l.box.Refresh()
}

// competitionForm writes a new competition (id "") or the terms of one.
type competitionForm struct {
	u    *UI
	id   string
	base domain.Competition // as read: its entries and scores are kept
	fs   *fieldSet
	body *fyne.Container

	name, deadline, places, rules *controls.Entry
	audience                      *controls.CodeSelect
	categories, criteria, jurors  *itemRows
	save                          *widget.Button
	draftNote                     *widget.Label // when the input was last kept (drafts.go)
	changes                       bool
	bad                           int // faults the form found itself
}

func newCompetitionForm(u *UI, id string) *competitionForm {
	f := &competitionForm{u: u, id: id, body: container.NewStack()}
	if id != "" {
		c, err := u.sess.Records().Competition(context.Background(), id)
		if err != nil {
			f.body.Objects = []fyne.CanvasObject{wrapped(u.problem(err))}
			return f
		}
		f.base = *c
	} else {
		f.base = domain.Competition{Audience: domain.AudienceJournalists}
	}
	f.draw()
	return f
}

func (f *competitionForm) title() string {
	if f.id == "" {
		return f.u.T("competition.new")
	}
	return f.u.T("competition.edit")
}
func (f *competitionForm) view() fyne.CanvasObject     { return f.body }
func (f *competitionForm) dirty() bool                 { return f.changes }
func (f *competitionForm) changed(c []records.Changed) {} // what is typed stays; Save judges it against what came

// The draft (drafts.go): the terms as typed, and the categories',
// criteria's and jurors' rows by id.

func (f *competitionForm) draft() records.Draft {
	in := map[string]string{"title": f.name.Text, "audience": f.audience.Code(), "deadline": f.deadline.Text,
		"places": f.places.Text, "rules": f.rules.Text}
	cats, crits, jurors := competitionItems(f.base)
	f.categories.keep(in, itemIDs(cats))
	f.criteria.keep(in, itemIDs(crits))
	f.jurors.keep(in, itemIDs(jurors))
	return records.Draft{Kind: domain.KindCompetition, Record: f.id, Inputs: in}
}

func (f *competitionForm) restore(in map[string]string) {
	f.name.SetText(in["title"])
	f.audience.SetCode(in["audience"])
	f.deadline.SetText(in["deadline"])
	f.places.SetText(in["places"])
	f.rules.SetText(in["rules"])
	cats, crits, jurors := competitionItems(f.base) // as it is now: the form just read it
	f.categories.restore(in, cats)
	f.criteria.restore(in, crits)
	f.jurors.restore(in, jurors)
	f.changes = true // unsaved, whatever it holds
}

// draftSaved shows, beside Save, when the input was last kept.
func (f *competitionForm) draftSaved(at time.Time) {
	f.draftNote.SetText(f.u.T("draft.saved", "time", at))
	f.draftNote.Show()
}

func (f *competitionForm) draw() {
	u, c := f.u, f.base
	f.fs = u.newFieldSet(domain.KindCompetition)
	touched := func(string) { f.changes = true }
	f.name = u.newEntry()
	f.name.SetText(c.Title)
	f.name.OnChanged = touched
	f.audience = u.newCodeSelect([]string{domain.AudienceJournalists, domain.AudienceCouncils},
		[]string{u.T("competition.for_journalists"), u.T("competition.for_councils")}, "", func(string) { f.changes = true })
	f.audience.SetCode(c.Audience)
	f.deadline = u.newEntry()
	f.deadline.SetPlaceHolder(u.T("form.date_placeholder"))
	if !c.Deadline.IsZero() {
		f.deadline.SetText(u.tr.DateInput(c.Deadline))
	}
	f.deadline.OnChanged = touched
	f.places = u.newEntry()
	f.places.SetPlaceHolder(strconv.Itoa(domain.DefaultPlaces))
	if c.Places > 0 {
		f.places.SetText(strconv.Itoa(c.Places))
	}
	f.places.OnChanged = touched
	f.rules = u.newMultiEntry(4)
	f.rules.SetText(c.Rules)
	f.rules.OnChanged = touched

	f.categories = &itemRows{form: f, prefix: "categories", addKey: "competition.add_category", hintA: "competition.category_hint"}
	f.criteria = &itemRows{form: f, prefix: "criteria", addKey: "competition.add_criterion", hintA: "competition.criterion_hint", hintB: "competition.max_hint"}
	f.jurors = &itemRows{form: f, prefix: "jurors", addKey: "competition.add_juror", hintA: "competition.juror_hint", hintB: "competition.device_hint"}
	for _, l := range []*itemRows{f.categories, f.criteria, f.jurors} {
		l := l
		l.box = container.NewVBox()
		l.add = u.button(u.T(l.addKey), theme.ContentAddIcon(), func() {
			r := l.newRow("", "", "")
			l.draw()
			u.win.Canvas().Focus(r.a)
		})
	}
	for _, cat := range c.Categories {
		f.categories.newRow(cat.ID, cat.Name, "")
	}
	for _, cr := range c.Criteria {
		f.criteria.newRow(cr.ID, cr.Name, strconv.Itoa(cr.Max))
	}
	for _, j := range c.Jurors {
		f.jurors.newRow(j.ID, j.Name, j.Device)
	}
	if f.id == "" && len(c.Criteria) == 0 {
		f.criteria.newRow("", "", "")
	}
	for _, l := range []*itemRows{f.categories, f.criteria, f.jurors} {
		l.draw()
	}
	fs := f.fs
	box := container.NewVBox(
		fs.add("title", "competition.name", f.name).box,
		container.NewGridWithColumns(3, fs.add("audience", "competition.audience", f.audience).box,
			fs.add("deadline", "competition.deadline", f.deadline).box, fs.add("places", "competition.places", f.places).box),
		fs.add("rules", "competition.rules", f.rules).box,
		bold(u.T("competition.categories")), muted(u.T("competition.categories_hint")), f.categories.box,
		bold(u.T("competition.criteria_title")), f.criteria.box,
		bold(u.T("competition.jury_title")), muted(u.T("competition.jury_hint")), f.jurors.box,
		fs.top,
	)
	f.save = u.primary(u.T("action.save"), theme.DocumentSaveIcon(), f.submit)
	f.draftNote = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	f.draftNote.Hide()
	box.Add(container.NewHBox(f.save, u.button(u.T("action.cancel"), theme.CancelIcon(), func() { u.shell.pop() }), f.draftNote))
	f.changes = false
	f.body.Objects = []fyne.CanvasObject{container.NewVScroll(box)}
	f.body.Refresh()
}

// read is competition c with what the form says, or false with what the
// form cannot read marked beside it (a date, a number).
func (f *competitionForm) read(c domain.Competition) (domain.Competition, bool) {
	u := f.u
	ok := true
	bad := func() { ok = false; f.bad++ }
	c.Title, c.Audience, c.Rules = f.name.Text, f.audience.Code(), strings.TrimSpace(f.rules.Text)
	if d, err := u.tr.ParseDate(f.deadline.Text); err == nil || strings.TrimSpace(f.deadline.Text) == "" {
		c.Deadline = d
	} else {
		f.fs.localError("deadline", u.T("err.format.date"))
		bad()
	}
	c.Places = 0
	if t := strings.TrimSpace(f.places.Text); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > domain.MaxPlaces {
			f.fs.localError("places", u.T("competition.err_places", "max", domain.MaxPlaces))
			bad()
		}
		c.Places = n
	}
	c.Categories, c.Criteria, c.Jurors = nil, nil, nil
	for _, r := range f.categories.rows {
		if strings.TrimSpace(r.a.Text) == "" {
			continue // an empty row is no category
		}
		c.Categories = append(c.Categories, domain.Category{ID: r.id, Name: r.a.Text})
	}
	for _, r := range f.criteria.rows {
		if strings.TrimSpace(r.a.Text) == "" && strings.TrimSpace(r.b.Text) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(r.b.Text))
		if err != nil || n < 1 || n > domain.MaxCriterionPoints {
			setError(r.f.err, u.T("competition.err_max", "max", domain.MaxCriterionPoints))
			bad()
		}
		c.Criteria = append(c.Criteria, domain.Criterion{ID: r.id, Name: r.a.Text, Max: n})
	}
	for _, r := range f.jurors.rows {
		if strings.TrimSpace(r.a.Text) == "" && strings.TrimSpace(r.b.Text) == "" {
			continue
		}
		// A laptop's id typed by hand from the juror's Settings: the
		// core puts it as every laptop writes it and refuses what is no
		// laptop's id (domain.LaptopID, the rule keneshctl and the
		// server keep too). Said here already, beside the other faults
		// the form finds before asking the core, unless the juror had
		// it before the rule: the core then refuses it only if the
		// juror is changed.
		dev := domain.LaptopID(r.b.Text)
		if j, had := f.base.Juror(r.id); dev != "" && !domain.ValidID(dev) && (!had || j.Device != dev) {
			setError(r.f.err, u.fieldName("device")+": "+u.T("err.format.device"))
			bad()
		}
		c.Jurors = append(c.Jurors, domain.Juror{ID: r.id, Name: r.a.Text, Device: dev})
	}
	return c, ok
}

func (f *competitionForm) submit() {
	u := f.u
	f.fs.clear()
	f.bad = 0
	// The competition as it is now, not as the form opened it: entries,
	// scores and the publication a sync brought meanwhile are kept, and
	// so are the categories, criteria and jurors another laptop added.
	cur := f.base
	if f.id != "" {
		now, err := u.sess.Records().Competition(context.Background(), f.id)
		if err != nil {
			setError(f.fs.top, u.problem(err))
			return
		}
		cur = *now
	}
	c, ok := f.read(cur)
	c.Categories = append(c.Categories, addedSince(f.base.Categories, cur.Categories, func(x domain.Category) string { return x.ID })...)
	c.Criteria = append(c.Criteria, addedSince(f.base.Criteria, cur.Criteria, func(x domain.Criterion) string { return x.ID })...)
	c.Jurors = append(c.Jurors, addedSince(f.base.Jurors, cur.Jurors, func(x domain.Juror) string { return x.ID })...)
	switch {
	case len(c.Criteria) == 0:
		setError(f.fs.top, u.T("competition.err_no_criteria"))
		return
	case !ok:
		setError(f.fs.top, u.T("form.fix", "n", f.bad))
		return
	}
	out, err := u.sess.Records().SaveCompetition(context.Background(), c)
	if err != nil {
		f.fs.show(err)
		return
	}
	f.changes = false
	u.dropDraft()
	u.shell.popNow()
	if f.id == "" {
		u.shell.push(newCompetitionDetail(u, out.ID))
	}
}

// addedSince are the items of now that were not in before (by id).
func addedSince[T any](before, now []T, id func(T) string) []T {
	var out []T
	for _, x := range now {
		if !slices.ContainsFunc(before, func(y T) bool { return id(y) == id(x) }) {
			out = append(out, x)
		}
	}
	return out
}

// entryDialog adds an entry to competition c: its author, title,
// category, a link and the work as a file (either or both).
func entryDialog(d *competitionDetail) {
	u, c := d.u, d.c
	fs := u.newFieldSet("entry")
	author, title, link := u.newEntry(), u.newEntry(), u.newEntry()
	link.SetPlaceHolder("https://…")
	var codes, names []string
	for _, cat := range c.Categories {
		codes, names = append(codes, cat.ID), append(names, cat.Name)
	}
	category := u.newCodeSelect(codes, names, "", nil)
	path := u.newEntry()
	path.SetPlaceHolder(u.T("competition.file_hint"))
	browse := u.button(u.T("action.browse"), theme.FolderOpenIcon(), func() {
		u.pickFile(path.SetText)
	})
	box := container.NewVBox(fs.add("author", "competition.author", author).box, fs.add("title", "competition.work_title", title).box)
	if len(codes) > 0 {
		box.Add(fs.add("category", "competition.category", category).box)
	}
	box.Add(fs.add("link", "competition.link", link).box)
	box.Add(fs.add("file", "competition.file", container.NewBorder(nil, nil, nil, browse, path)).box)
	d.entryForm = &entryForm{author: author, title: title, link: link, path: path, category: category}
	var m *modal
	m = u.showModal(u.T("competition.add_entry"), fs, box, u.T("action.save"), func() error {
		e := domain.Entry{Author: author.Text, Title: title.Text, Link: link.Text, Category: category.Code()}
		var r *os.File
		in := files.Input{}
		if p := strings.TrimSpace(path.Text); p != "" {
			var err error
			r, err = os.Open(p)
			if err == nil {
				if st, serr := r.Stat(); serr == nil && st.IsDir() {
					r.Close()
					err = errors.New("folder")
				}
			}
			if err != nil {
				fs.clear()
				fs.localError("file", u.T("competition.err_file", "path", p))
				return errSilent
			}
			in.Name = filepath.Base(p)
		}
		var rd io.Reader
		if r != nil {
			rd = r
		}
		// The file is cut, hashed and stored encrypted: off the UI
		// goroutine, so a large scan does not freeze the window.
		return m.background(u, fs, func() error {
			if r != nil {
				defer r.Close()
			}
			_, _, err := u.sess.Files().AddEntry(context.Background(), c.ID, e, in, rd)
			return err
		}, func(err error) error {
			if err != nil && rd != nil && !isValidation(err) {
				// Storing the file failed (too large, unreadable): said
				// beside it; what was typed stays.
				fs.clear()
				fs.localError("file", u.problem(err))
				return errSilent
			}
			if err != nil {
				return itemFaults(err, "entries/")
			}
			d.load()
			return nil
		})
	})
}

// entryForm holds the entry dialog's fields, for tests.
type entryForm struct {
	author, title, link, path *controls.Entry
	category                  *controls.CodeSelect
}

func isValidation(err error) bool {
	var ve *domain.ValidationError
	return errors.As(err, &ve)
}

// itemFaults names an item's faults ("entries/ID.title") by the
// dialog's fields ("title").
func itemFaults(err error, prefix string) error {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &domain.ValidationError{Kind: ve.Kind}
	for _, fe := range ve.Fields {
		if _, name, ok := strings.Cut(fe.Field, "."); ok && strings.HasPrefix(fe.Field, prefix) {
			fe.Field = name
		}
		out.Fields = append(out.Fields, fe)
	}
	return out
}

// conflictDialog marks which jurors are related to entry e (a conflict of
// interest: they do not score it).
func conflictDialog(d *competitionDetail, e domain.Entry) {
	u, c := d.u, d.c
	fs := u.newFieldSet("entry")
	box := container.NewVBox(wrapped(u.T("competition.conflict_text", "title", e.Title)))
	checks := map[string]*widget.Check{}
	for _, j := range c.Jurors {
		ch := widget.NewCheck(j.Name, nil)
		ch.SetChecked(e.RelatedTo(j.ID))
		checks[j.ID] = ch
		box.Add(ch)
	}
	d.conflictChecks = checks
	u.showModal(u.T("competition.conflict_title"), fs, box, u.T("action.save"), func() error {
		cur, err := u.sess.Records().Competition(context.Background(), c.ID)
		if err != nil {
			return err
		}
		for i := range cur.Entries {
			if cur.Entries[i].ID != e.ID {
				continue
			}
			var related []string
			for _, j := range cur.Jurors {
				if ch, ok := checks[j.ID]; ok && ch.Checked || !ok && cur.Entries[i].RelatedTo(j.ID) {
					related = append(related, j.ID)
				}
			}
			cur.Entries[i].Related = related
		}
		if _, err := u.sess.Records().SaveCompetition(context.Background(), *cur); err != nil {
			return err
		}
		d.load()
		return nil
	})
}

// publish publishes the winners (or takes them off the public site); a
// ranking not complete is named in place, with who has still to score.
func (d *competitionDetail) publish(on bool) {
	u := d.u
	run := func() {
		_, err := u.sess.Records().PublishWinners(context.Background(), d.id, on)
		d.publishErr = ""
		if err == nil {
			d.load()
			return
		}
		msg := u.problem(err)
		var ve *domain.ValidationError
		if errors.As(err, &ve) && d.c != nil {
			var who []string
			for _, r := range d.c.Ranking() {
				for _, m := range r.Missing {
					who = append(who, u.T("competition.missing", "name", m.Juror.Name, "n", len(m.Entries)))
				}
				for _, e := range r.Unjudged {
					who = append(who, u.T("competition.unjudged", "title", e.Title))
				}
			}
			msg = u.T("competition.publish_incomplete") + "\n" + strings.Join(who, "\n")
		}
		d.publishErr = msg
		setError(d.publishMsg, msg)
	}
	if !on {
		run()
		return
	}
	u.confirm(u.T("competition.publish"), u.T("competition.publish_text"), u.T("competition.publish_yes"), run)
}

// complete reports whether every category of c is ranked.
func complete(c *domain.Competition) bool {
	for _, r := range c.Ranking() {
		if !r.Complete() {
			return false
		}
	}
	return true
}

// entryFileLine is an entry's work sent as a file: its name, type and
// size, and Open once it is on this laptop (a decrypted copy, as an
// attachment opens), else Download: it comes from the server with the
// next sync (a juror's laptop fetches it without asking).
func (u *UI) entryFileLine(id string, a *domain.Attachment) (fyne.CanvasObject, *widget.Button) {
	att := *a
	state, here := u.fileState(&att)
	text := container.NewVBox(muted(u.T("competition.entry_file", "name", att.Name) + " · " + u.fileType(att.MIME) + " · " + u.size(att.Size)))
	if state != "" {
		text.Add(muted(state))
	}
	var b *widget.Button
	if here {
		b = u.button(u.T("files.open"), theme.FileIcon(), func() { u.openFile(&att) })
	} else {
		b = u.button(u.T("files.download"), theme.DownloadIcon(), func() {
			u.sess.Fetch(domain.KindCompetition, id)
			u.showMessage(u.T("files.download"), u.T("files.download_started"))
		})
	}
	return container.NewBorder(nil, nil, nil, b, text), b
}
