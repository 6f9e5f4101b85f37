package ui

import (
	"bytes"
	"context"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/subjectaccess"
)

// personCard is the way to a person's request for their data (Law No. 58),
// on the Settings page.
func (u *UI) personCard() fyne.CanvasObject {
	return widget.NewCard("", "", container.NewVBox(bold(u.T("person.title")), muted(u.T("person.explain")),
		container.NewHBox(u.button(u.T("person.action"), theme.DocumentIcon(), func() { u.showPersonDialog() }))))
}

// personDialog answers a person's request for their data: search, see what
// was found, choose the document's language (the person's, whatever the
// interface speaks), save it as PDF and JSON.
type personDialog struct {
	u *UI
	d *dialog.CustomDialog

	query     *controls.Entry
	search    *widget.Button
	status    *widget.Label // what was found, or what is wrong
	found     *fyne.Container
	lang      *widget.RadioGroup
	requested *controls.Entry
	dateErr   *widget.Label
	savePDF   *widget.Button
	saveJSON  *widget.Button
	saved     *widget.Label

	result *subjectaccess.Found
	// include holds a check box per record found, by id: a namesake's
	// record is unticked and left out of the answer.
	include map[string]*widget.Check
	// choose asks where to save a file named name and hands over a writer
	// (nil: cancelled); the Fyne file dialog, or the tests' own.
	choose func(name, ext string, then func(fyne.URIWriteCloser))
}

func (u *UI) showPersonDialog() *personDialog {
	p := &personDialog{u: u, choose: u.chooseSaveFile}
	p.query = u.newEntry()
	p.query.SetPlaceHolder(u.T("person.query_placeholder"))
	u.name(p.query, "person-query")
	p.query.OnSubmitted = func(string) { p.find() }
	p.search = u.primary(u.T("action.search"), theme.SearchIcon(), p.find)
	p.status = wrapped("")
	p.found = container.NewVBox()
	names := make([]string, len(l10n.Languages))
	for i, l := range l10n.Languages {
		names[i] = languageNames[l]
	}
	p.lang = widget.NewRadioGroup(names, nil)
	p.lang.Horizontal = true
	p.lang.Required = true
	p.lang.SetSelected(languageNames[l10n.Default])
	p.requested = u.newEntry()
	p.requested.SetPlaceHolder(u.T("form.date_placeholder"))
	p.requested.SetText(u.tr.DateInput(u.sess.Records().Today()))
	p.dateErr = errorText()
	p.savePDF = u.primary(u.T("person.save_pdf"), theme.DocumentSaveIcon(), func() { p.save("pdf") })
	p.saveJSON = u.button(u.T("person.save_json"), theme.DocumentSaveIcon(), func() { p.save("json") })
	p.savePDF.Disable()
	p.saveJSON.Disable()
	p.saved = wrapped("")
	p.saved.Importance = widget.SuccessImportance
	p.saved.Hide()
	closeBtn := u.button(u.T("action.close"), theme.CancelIcon(), func() { p.d.Hide() })

	top := container.NewVBox(muted(u.T("person.explain")),
		container.NewBorder(nil, nil, nil, p.search, p.query), p.status)
	bottom := container.NewVBox(widget.NewSeparator(),
		container.NewGridWithColumns(2,
			container.NewVBox(bold(u.T("person.doc_language")), p.lang),
			container.NewVBox(bold(u.T("person.requested_on")), p.requested, p.dateErr)),
		p.saved,
		container.NewHBox(layout.NewSpacer(), closeBtn, p.saveJSON, p.savePDF))
	body := container.NewBorder(top, bottom, nil, nil, container.NewVScroll(p.found))
	p.d = dialog.NewCustomWithoutButtons(u.T("person.title"), body, u.win)
	canvas := u.win.Canvas().Size()
	p.d.Resize(fyne.NewSize(min(760*theme.TextSize()/14, canvas.Width-40), min(600*theme.TextSize()/14, canvas.Height-40)))
	p.d.Show()
	u.win.Canvas().Focus(p.query)
	return p
}

// find searches the core, off the UI goroutine, and shows what it found.
func (p *personDialog) find() {
	u := p.u
	q := strings.TrimSpace(p.query.Text)
	p.saved.Hide()
	if len([]rune(q)) < 3 {
		p.status.SetText(u.T("person.too_short"))
		return
	}
	p.search.Disable()
	var found *subjectaccess.Found
	var err error
	recs := u.sess.Records()
	u.async(func() { found, err = subjectaccess.Find(context.Background(), recs, q) }, func() {
		p.search.Enable()
		if err != nil {
			p.status.SetText(u.problem(err))
			return
		}
		p.show(found)
	})
}

// show lists what was found: a line per appeal and event.
func (p *personDialog) show(f *subjectaccess.Found) {
	u := p.u
	p.result = f
	p.found.RemoveAll()
	msg := u.T("person.found", "appeals", len(f.Appeals), "events", len(f.Events))
	if len(f.Appeals) == 0 && len(f.Events) == 0 {
		msg = u.T("person.none", "query", f.Query)
	}
	if f.Withheld > 0 {
		msg += " " + u.T("person.withheld", "n", f.Withheld)
	}
	p.status.SetText(msg)
	p.include = map[string]*widget.Check{}
	line := func(id, text string) {
		c := widget.NewCheck("", func(bool) { u.touch(); p.saved.Hide() })
		c.SetChecked(true)
		p.include[id] = c
		p.found.Add(container.NewBorder(nil, nil, c, nil, hint(text)))
	}
	if len(f.Appeals)+len(f.Events) > 0 {
		p.found.Add(muted(u.T("person.untick")))
	}
	for _, a := range f.Appeals {
		name := ""
		if a.Appellant != nil {
			name = a.Appellant.Name
		}
		text := a.RegNo + " · " + u.tr.Date(a.ReceivedOn) + " · " + name + " · " + u.statusName(string(a.Status)) + " — " + a.Summary
		if a.Meta != nil && a.Meta.Deleted {
			text += " (" + u.T("person.doc.deleted") + ")"
		}
		line(a.ID, text)
	}
	for _, m := range f.Events {
		text := u.tr.Date(m.Event.Date) + " · " + m.Event.Title
		if m.Event.Meta != nil && m.Event.Meta.Deleted {
			text += " (" + u.T("person.doc.deleted") + ")"
		}
		line(m.Event.ID, text)
	}
	p.found.Refresh()
	p.lang.SetSelected(languageNames[f.Language()])
	p.savePDF.Enable()
	p.saveJSON.Enable()
}

// docLanguage is the language chosen for the document.
func (p *personDialog) docLanguage() string {
	for code, n := range languageNames {
		if n == p.lang.Selected {
			return code
		}
	}
	return l10n.Default
}

// document builds the document in the chosen language, or says in the
// dialog what is wrong with the date.
func (p *personDialog) document() (*subjectaccess.Document, bool) {
	u := p.u
	setError(p.dateErr, "")
	day, err := u.tr.ParseDate(p.requested.Text)
	if err != nil {
		setError(p.dateErr, u.T("err.format.date"))
		return nil, false
	}
	if day.After(u.sess.Records().Today()) {
		setError(p.dateErr, u.T("person.future_date"))
		return nil, false
	}
	var out []string
	for id, c := range p.include {
		if !c.Checked {
			out = append(out, id)
		}
	}
	found, err := p.result.Without(out)
	if err != nil {
		u.showError(err)
		return nil, false
	}
	d, err := subjectaccess.Build(found, subjectaccess.Options{Language: p.docLanguage(), RequestedOn: day, Catalog: u.catalog()})
	if err != nil {
		setError(p.dateErr, u.problem(err))
		return nil, false
	}
	return d, true
}

// save asks where to, and writes the document as a PDF or JSON.
func (p *personDialog) save(ext string) {
	u := p.u
	if p.result == nil {
		p.status.SetText(u.T("person.search_first"))
		return
	}
	d, ok := p.document()
	if !ok {
		return
	}
	var buf bytes.Buffer
	var err error
	if ext == "pdf" {
		err = subjectaccess.WritePDF(&buf, d)
	} else {
		err = subjectaccess.WriteJSON(&buf, d)
	}
	if err != nil {
		u.showError(err)
		return
	}
	name := "kenesh-" + u.tr.DateInput(u.sess.Records().Today()) + "-" + d.Language + "." + ext
	p.choose(name, ext, func(w fyne.URIWriteCloser) {
		if w == nil {
			return // cancelled
		}
		_, err := w.Write(buf.Bytes())
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err == nil && w.URI().Scheme() == "file" {
			// Personal data: readable only by the laptop's user.
			err = os.Chmod(w.URI().Path(), 0o600)
		}
		if err != nil {
			u.showError(err)
			return
		}
		p.saved.SetText(u.T("person.saved", "file", w.URI().Path()))
		p.saved.Show()
	})
}

// chooseSaveFile is Fyne's file dialog for a new file.
func (u *UI) chooseSaveFile(name, ext string, then func(fyne.URIWriteCloser)) {
	fd := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			u.showError(err)
			return
		}
		then(w)
	}, u.win)
	fd.SetFileName(name)
	if ext != "" {
		fd.SetFilter(storage.NewExtensionFileFilter([]string{"." + ext}))
	}
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			fd.SetLocation(l)
		}
	}
	fd.Show()
	u.translateFileDialog()
}
