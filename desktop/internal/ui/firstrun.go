package ui

import (
	"context"
	"os"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/settings"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
)

var languageNames = map[string]string{"ky": "Кыргызча", "ru": "Русский", "en": "English"}

// screen is a centered column that follows its content's height.
type column struct{ width float32 }

func (c column) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, c.width*theme.TextSize()/14)
	for _, o := range objs {
		h := max(o.MinSize().Height, size.Height)
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
	}
}

func (c column) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return fyne.NewSize(min(s.Width, c.width), s.Height)
}

func screen(content fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVScroll(container.New(column{width: 640}, container.NewPadded(content)))
}

// languageButtons switch the language at once; on every screen before the
// store is open, so a Russian speaker on a Kyrgyz laptop is never stuck.
func (u *UI) languageButtons() fyne.CanvasObject {
	box := container.NewHBox(layout.NewSpacer())
	for _, code := range l10n.Languages {
		code := code
		b := u.button(languageNames[code], nil, func() { u.setLanguage(code) })
		if code == u.Lang() {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.LowImportance
		}
		box.Add(b)
	}
	box.Add(layout.NewSpacer())
	return box
}

// firstRun is the wizard of a laptop without a store.
type firstRun struct {
	u    *UI
	step string // "language", "create", "restore", "enroll"
}

func (u *UI) showFirstRun() {
	if u.fr == nil {
		u.fr = &firstRun{u: u, step: "language"}
		if !u.cfg.FirstRun {
			u.fr.step = "create"
		}
	}
	u.fr.show()
}

func (f *firstRun) goTo(step string) {
	f.step = step
	f.show()
}

func (f *firstRun) show() {
	u := f.u
	var body fyne.CanvasObject
	switch f.step {
	case "language":
		body = f.language()
	case "restore":
		body = f.restore()
	case "enroll":
		body = f.enroll()
	default:
		body = f.create()
	}
	u.setContent(screen(body))
}

func (f *firstRun) language() fyne.CanvasObject {
	u := f.u
	box := container.NewVBox(heading(u.T("app.name")), wrapped(u.T("firstrun.welcome")), bold(u.T("firstrun.choose_language")))
	for _, code := range l10n.Languages {
		code := code
		b := u.button(languageNames[code], nil, func() {
			u.setLanguage(code)
			u.set.Language = code
			u.saveSettings()
			f.goTo("create")
		})
		if code == u.Lang() {
			b.Importance = widget.HighImportance
		}
		box.Add(b)
	}
	return box
}

// strengthView shows how strong a new passphrase is while it is typed.
type strengthView struct {
	bar   *widget.ProgressBar
	label *widget.Label
	box   *fyne.Container
}

func (u *UI) newStrengthView() *strengthView {
	s := &strengthView{bar: widget.NewProgressBar(), label: widget.NewLabel("")}
	s.bar.Max = 3
	s.bar.TextFormatter = func() string { return "" }
	s.box = container.NewVBox(s.bar, s.label)
	s.update(u, "")
	return s
}

func (s *strengthView) update(u *UI, pass string) {
	st := session.Estimate(pass)
	s.bar.SetValue(float64(st))
	keys := map[session.Strength]string{session.TooShort: "strength.too_short", session.Weak: "strength.weak",
		session.Fair: "strength.fair", session.Strong: "strength.strong"}
	imp := map[session.Strength]widget.Importance{session.TooShort: widget.DangerImportance, session.Weak: widget.WarningImportance,
		session.Fair: widget.MediumImportance, session.Strong: widget.SuccessImportance}
	if pass == "" {
		s.label.SetText(u.T("strength.hint", "n", keyfile.MinPassphraseLen))
		s.label.Importance = widget.MediumImportance
		s.label.TextStyle.Italic = true
		s.bar.Hide()
	} else {
		s.label.SetText(u.T(keys[st], "n", keyfile.MinPassphraseLen))
		s.label.Importance = imp[st]
		s.label.TextStyle.Italic = false
		s.bar.Show()
	}
	s.label.Wrapping = fyne.TextWrapWord
	s.label.Refresh()
}

// checkNewPassphrase is the rule a person sees before Argon2 runs: at
// least MinPassphraseLen letters (the core counts bytes, and a Cyrillic
// letter is two: four Kyrgyz letters passed it), typed the same twice.
func (u *UI) checkNewPassphrase(pass, again string) string {
	switch {
	case tooShort(pass):
		return u.T("problem.short_passphrase", "n", keyfile.MinPassphraseLen)
	case pass != again:
		return u.T("firstrun.mismatch")
	}
	return ""
}

func (f *firstRun) create() fyne.CanvasObject {
	u := f.u
	fr := u.firstForm
	if fr == nil {
		fr = &createForm{name: u.newEntry(), pass: u.newPasswordEntry(), again: u.newPasswordEntry()}
		if h, err := os.Hostname(); err == nil {
			fr.name.SetText(h)
		}
		u.firstForm = fr
	}
	strength := u.newStrengthView()
	strength.update(u, fr.pass.Text)
	fr.pass.OnChanged = func(s string) { strength.update(u, s) }
	fs := u.newFieldSet("store")
	fs.add("device", "firstrun.device", fr.name)
	fs.fields["device"].box.Add(muted(u.T("firstrun.device_hint")))
	fs.add("passphrase", "firstrun.passphrase", container.NewVBox(fr.pass, strength.box))
	u.name(fr.pass, "store.passphrase") // the entry, not the column with its strength
	fs.add("again", "firstrun.again", fr.again)
	busy := widget.NewProgressBarInfinite()
	busy.Hide()
	var createBtn *widget.Button
	submit := func() {
		fs.clear()
		name := strings.TrimSpace(fr.name.Text)
		ok := true
		if name == "" || utf8.RuneCountInString(name) > 100 {
			fs.localError("device", u.T("err.required"))
			ok = false
		}
		if msg := u.checkNewPassphrase(fr.pass.Text, fr.again.Text); msg != "" {
			if tooShort(fr.pass.Text) {
				fs.localError("passphrase", msg)
			} else {
				fs.localError("again", msg)
			}
			ok = false
		}
		if !ok {
			return
		}
		createBtn.Disable()
		busy.Show()
		pass := fr.pass.Text
		var s *session.Session
		var err error
		u.async(func() {
			s, err = session.Create(context.Background(), u.cfg.Dir, pass, name, u.cfg.Session)
		}, func() {
			createBtn.Enable()
			busy.Hide()
			if err != nil {
				fs.show(err)
				return
			}
			u.firstForm = nil
			u.set.Language = u.Lang()
			u.saveSettings()
			u.sess = s
			f.goTo("enroll")
		})
	}
	fr.again.OnSubmitted = func(string) { submit() }
	fr.pass.OnSubmitted = func(string) { u.win.Canvas().Focus(fr.again) }
	fr.name.OnSubmitted = func(string) { u.win.Canvas().Focus(fr.pass) }
	createBtn = u.primary(u.T("firstrun.create"), theme.ConfirmIcon(), submit)
	restore := u.button(u.T("firstrun.have_backup"), theme.DownloadIcon(), func() { f.goTo("restore") })
	restore.Importance = widget.LowImportance
	box := container.NewVBox(heading(u.T("firstrun.create_title")), wrapped(u.T("firstrun.create_text")))
	for _, x := range fs.order {
		box.Add(x.box)
	}
	box.Add(fs.top)
	box.Add(busy)
	box.Add(container.NewHBox(createBtn, layout.NewSpacer(), restore))
	box.Add(widget.NewSeparator())
	box.Add(u.languageButtons())
	box.Add(muted(u.T("firstrun.folder", "dir", u.cfg.Dir)))
	return box
}

// tooShort: a new passphrase of fewer letters than the rule asks.
func tooShort(pass string) bool { return utf8.RuneCountInString(pass) < keyfile.MinPassphraseLen }

type createForm struct {
	name, pass, again *controls.Entry
}

func (f *firstRun) restore() fyne.CanvasObject {
	u := f.u
	file := u.newEntry()
	file.SetPlaceHolder("/media/usb/kenesh-backup-2026-11-25-1800.kenesh")
	pass := u.newPasswordEntry()
	fs := u.newFieldSet("restore")
	browse := u.button(u.T("action.browse"), theme.FolderOpenIcon(), func() {
		u.pickFile(file.SetText)
	})
	fs.add("file", "restore.file", container.NewBorder(nil, nil, nil, browse, file))
	u.name(file, "restore.file") // the entry, not the row that holds it and Browse
	fs.add("passphrase", "restore.passphrase", pass)
	busy := widget.NewProgressBarInfinite()
	busy.Hide()
	var btn *widget.Button
	submit := func() {
		fs.clear()
		if strings.TrimSpace(file.Text) == "" {
			fs.localError("file", u.T("err.required"))
			return
		}
		btn.Disable()
		busy.Show()
		var s *session.Session
		var err error
		path, p := strings.TrimSpace(file.Text), pass.Text
		u.async(func() {
			s, _, err = session.Restore(context.Background(), path, u.cfg.Dir, p, u.cfg.Session)
		}, func() {
			btn.Enable()
			busy.Hide()
			if err != nil {
				if session.Code(err) == session.ProblemWrongPassphrase {
					fs.localError("passphrase", u.problem(err))
				} else {
					fs.localError("file", u.problem(err))
				}
				return
			}
			u.saveSettings()
			u.sess = s
			if _, err := s.Records().Enrollment(context.Background()); err == nil {
				u.enterShell()
				return
			}
			f.goTo("enroll")
		})
	}
	pass.OnSubmitted = func(string) { submit() }
	btn = u.primary(u.T("restore.action"), theme.DownloadIcon(), submit)
	back := u.button(u.T("action.back"), theme.NavigateBackIcon(), func() { f.goTo("create") })
	box := container.NewVBox(heading(u.T("restore.title")), wrapped(u.T("restore.text")))
	for _, x := range fs.order {
		box.Add(x.box)
	}
	box.Add(busy)
	box.Add(container.NewHBox(btn, layout.NewSpacer(), back))
	return box
}

func (f *firstRun) enroll() fyne.CanvasObject {
	u := f.u
	form := u.newEnrollForm(func() { u.enterShell() })
	offline := u.button(u.T("enroll.offline"), theme.NavigateNextIcon(), func() { u.enterShell() })
	box := container.NewVBox(heading(u.T("enroll.title")), wrapped(u.T("enroll.text")), form,
		widget.NewSeparator(), wrapped(u.T("enroll.offline_text")), container.NewHBox(offline))
	return box
}

// newEnrollForm asks the server address and the one-time code; done runs
// after a successful enrollment.
func (u *UI) newEnrollForm(done func()) fyne.CanvasObject {
	server := u.newEntry()
	server.SetPlaceHolder("https://kenesh.example.kg")
	server.SetText(u.set.LastServer)
	code := u.newEntry()
	fs := u.newFieldSet("enroll")
	fs.add("server", "enroll.server", server)
	fs.add("code", "enroll.code", code)
	busy := widget.NewProgressBarInfinite()
	busy.Hide()
	result := widget.NewLabel("")
	result.Wrapping = fyne.TextWrapWord
	result.Hide()
	var btn *widget.Button
	submit := func() {
		fs.clear()
		if strings.TrimSpace(server.Text) == "" {
			fs.localError("server", u.T("err.required"))
			return
		}
		if strings.TrimSpace(code.Text) == "" {
			fs.localError("code", u.T("err.required"))
			return
		}
		btn.Disable()
		busy.Show()
		srv, c := server.Text, code.Text
		s := u.sess
		var err error
		var council, role string
		u.async(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*60e9)
			defer cancel()
			e, _, e2 := s.Enroll(ctx, srv, c)
			err = e2
			if e != nil {
				council, role = e.Council, u.roleName(e.Role)
				if err != nil { // enrolled; only the first sync failed: the loop retries
					err = nil
				}
			}
		}, func() {
			btn.Enable()
			busy.Hide()
			u.set.LastServer = strings.TrimSpace(srv)
			u.saveSettings()
			if err != nil {
				switch session.Code(err) {
				case session.ProblemBadCode:
					fs.localError("code", u.problem(err))
				default:
					fs.localError("server", u.problem(err))
				}
				return
			}
			result.SetText(u.T("enroll.done", "council", council, "role", role))
			result.Show()
			done()
		})
	}
	code.OnSubmitted = func(string) { submit() }
	server.OnSubmitted = func(string) { u.win.Canvas().Focus(code) }
	btn = u.primary(u.T("enroll.action"), theme.LoginIcon(), submit)
	box := container.NewVBox()
	for _, x := range fs.order {
		box.Add(x.box)
	}
	box.Add(busy)
	box.Add(container.NewHBox(btn))
	box.Add(result)
	return box
}

// Settings returns the settings in force (for the app's main to keep).
func (u *UI) Settings() settings.Settings { return u.set }
