package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/settings"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/desktop/internal/update"
	"github.com/kenesh/kenesh/internal/version"
	"github.com/kenesh/kenesh/shared/domain"
)

// settingsPage: language, text size, idle lock, server, councils,
// passphrase, backup and restore.
type settingsPage struct {
	u    *UI
	body *fyne.Container

	language *fyne.Container // a button per language
	scale    *controls.CodeSelect
	idle     *controls.CodeSelect
	// serverVersion is the server's release, asked when the page opens.
	serverVersion *widget.Label
	// updateText says where updating stands; updateRestart installs.
	updateText    *widget.Label
	updateRestart *widget.Button

	// Fields the tests fill.
	councilForm                 *fieldSet
	backupFile, backupPass      *controls.Entry
	oldPass, newPass, againPass *controls.Entry
}

func newSettingsPage(u *UI) *settingsPage {
	p := &settingsPage{u: u, body: container.NewStack()}
	p.draw()
	return p
}

func (p *settingsPage) title() string             { return p.u.T("nav.settings") }
func (p *settingsPage) view() fyne.CanvasObject   { return p.body }
func (p *settingsPage) changed([]records.Changed) {}

func (p *settingsPage) draw() {
	u := p.u
	// The same buttons as before unlocking: the language in force stands
	// out, a tap switches at once.
	p.language = container.NewHBox()
	for _, code := range l10n.Languages {
		code := code
		b := u.button(languageNames[code], nil, func() {
			// Redraw after this tap's handling is over: the redraw
			// replaces the button itself.
			u.do(func() { u.setLanguage(code) })
		})
		if code == u.Lang() {
			b.Importance = widget.HighImportance
		}
		p.language.Add(b)
	}

	var scaleCodes, scaleNames []string
	for _, s := range settings.ScaleChoices {
		scaleCodes = append(scaleCodes, itoa(int(s*100+0.5)))
		scaleNames = append(scaleNames, itoa(int(s*100+0.5))+" %")
	}
	p.scale = u.newCodeSelect(scaleCodes, scaleNames, "", nil)
	p.scale.SetCode(itoa(int(u.set.TextScale*100 + 0.5)))
	p.scale.OnChanged = func(string) {
		for i, c := range scaleCodes {
			if c == p.scale.Code() && settings.ScaleChoices[i] != u.set.TextScale {
				u.set.TextScale = settings.ScaleChoices[i]
				u.saveSettings()
				u.applyTheme()
				u.do(func() { u.redraw() })
			}
		}
	}

	var idleCodes, idleNames []string
	for _, m := range settings.IdleChoices {
		idleCodes = append(idleCodes, itoa(m))
		if m == 0 {
			idleNames = append(idleNames, u.T("settings.idle_never"))
		} else {
			idleNames = append(idleNames, u.T("settings.idle_minutes", "n", m))
		}
	}
	p.idle = u.newCodeSelect(idleCodes, idleNames, "", nil)
	p.idle.SetCode(itoa(u.set.IdleLockMinutes))
	p.idle.OnChanged = func(string) {
		for i, c := range idleCodes {
			if c == p.idle.Code() {
				u.set.IdleLockMinutes = settings.IdleChoices[i]
				u.saveSettings()
				u.touch()
			}
		}
	}

	u.name(p.scale, "settings-scale")
	u.name(p.idle, "settings-idle")
	general := widget.NewCard("", "", container.NewVBox(
		bold(u.T("settings.language")), p.language,
		container.NewGridWithColumns(2,
			container.NewVBox(bold(u.T("settings.text_size")), p.scale),
			container.NewVBox(bold(u.T("settings.idle_lock")), p.idle)),
		muted(u.T("settings.idle_explain")),
	))

	left := container.NewVBox(general, p.serverCard(), p.councilsCard())
	right := container.NewVBox(p.passphraseCard(), p.backupCard(), p.restoreCard(), u.personCard(), p.aboutCard())
	p.body.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewGridWithColumns(2, left, right))}
	p.body.Refresh()
}

func (p *settingsPage) serverCard() fyne.CanvasObject {
	u := p.u
	box := container.NewVBox(bold(u.T("settings.server")))
	e, err := u.sess.Records().Enrollment(context.Background())
	switch {
	case err == nil:
		grid := container.New(controls.Pairs{})
		kv(grid, u.T("enroll.server"), e.Server)
		kv(grid, u.T("field.council"), e.Council)
		kv(grid, u.T("settings.role"), u.roleName(e.Role))
		kv(grid, u.T("settings.enrolled_as"), e.Name)
		kv(grid, u.T("settings.enrolled_at"), u.tr.DateTime(e.At))
		kv(grid, u.T("settings.server_version"), u.T("settings.server_version_asking"))
		p.serverVersion = grid.Objects[len(grid.Objects)-1].(*widget.Label)
		sv := p.serverVersion
		var v string
		var err error
		u.async(func() { v, err = u.sess.ServerVersion(context.Background()) }, func() {
			if err != nil || v == "" { // offline, or a server too old to say
				v = u.T("settings.server_version_unknown")
			}
			sv.SetText(v)
		})
		box.Add(grid)
		box.Add(container.NewHBox(u.button(u.T("sync.now"), theme.ViewRefreshIcon(), func() { u.sess.Loop.Trigger() })))
	case errors.Is(err, records.ErrNotEnrolled):
		box.Add(wrapped(u.T("settings.not_enrolled")))
		box.Add(u.newEnrollForm(func() {
			// The role may change what the screens offer: make them again.
			u.shell.rebuild()
			u.shell.show()
			u.shell.navigate(secSettings)
		}))
	default:
		box.Add(wrapped(u.problem(err)))
	}
	return widget.NewCard("", "", box)
}

func (p *settingsPage) councilsCard() fyne.CanvasObject {
	u := p.u
	svc := u.sess.Records()
	box := container.NewVBox(bold(u.T("settings.councils")))
	codes, names := u.councils()
	home := u.newCodeSelect(codes, names, "", func(code string) {
		if code != "" && code != svc.HomeCouncil() {
			if err := svc.SetHomeCouncil(context.Background(), code); err != nil {
				u.showError(err)
			}
		}
	})
	home.SetCode(svc.HomeCouncil())
	if len(codes) == 0 {
		box.Add(wrapped(u.T("settings.no_councils")))
	} else {
		box.Add(newField("home", u.T("settings.home_council"), home).box)
	}
	if _, err := svc.Enrollment(context.Background()); err == nil {
		box.Add(muted(u.T("settings.councils_from_server")))
		return widget.NewCard("", "", box)
	}
	// Offline installations define their own councils.
	fs := u.newFieldSet(domain.KindCouncil)
	p.councilForm = fs
	code, name := u.newEntry(), u.newEntry()
	code.SetPlaceHolder("NRN-ATB")
	rc, rn := u.regionChoices()
	district := u.newCodeSelect(nil, nil, u.T("form.not_stated"), nil)
	oblast := u.newCodeSelect(rc, rn, "", func(c string) {
		dc, dn := u.districtChoices(c)
		district.SetOptions(dc, dn, u.T("form.not_stated"))
	})
	grid := container.NewGridWithColumns(2,
		fs.add("code", "field.council_code", code).box, fs.add("name", "field.council_name", name).box,
		fs.add("oblast", "field.oblast", oblast).box, fs.add("district", "field.district", district).box)
	add := u.button(u.T("settings.add_council"), theme.ContentAddIcon(), func() {
		fs.clear()
		c := domain.Council{Code: strings.ToUpper(strings.TrimSpace(code.Text)), Name: strings.TrimSpace(name.Text),
			Oblast: oblast.Code(), District: district.Code()}
		if _, err := svc.AddCouncil(context.Background(), c); err != nil {
			fs.show(err)
			return
		}
		if svc.HomeCouncil() == "" {
			_ = svc.SetHomeCouncil(context.Background(), c.Code)
		}
		u.shell.rebuild()
		u.shell.show()
		u.shell.navigate(secSettings)
	})
	box.Add(widget.NewSeparator())
	box.Add(bold(u.T("settings.add_council")))
	box.Add(grid)
	box.Add(fs.top)
	box.Add(container.NewHBox(add))
	return widget.NewCard("", "", box)
}

func (p *settingsPage) passphraseCard() fyne.CanvasObject {
	u := p.u
	fs := u.newFieldSet("passphrase")
	old, pass, again := u.newPasswordEntry(), u.newPasswordEntry(), u.newPasswordEntry()
	p.oldPass, p.newPass, p.againPass = old, pass, again
	strength := u.newStrengthView()
	pass.OnChanged = func(s string) { strength.update(u, s) }
	done := widget.NewLabel("")
	done.Importance = widget.SuccessImportance
	done.Hide()
	var btn *widget.Button
	btn = u.button(u.T("settings.change_passphrase"), theme.ConfirmIcon(), func() {
		fs.clear()
		done.Hide()
		if msg := u.checkNewPassphrase(pass.Text, again.Text); msg != "" {
			if tooShort(pass.Text) {
				fs.localError("new", msg)
			} else {
				fs.localError("again", msg)
			}
			return
		}
		btn.Disable()
		o, n := old.Text, pass.Text
		var err error
		s := u.sess
		u.async(func() { err = s.ChangePassphrase(o, n) }, func() {
			btn.Enable()
			if err != nil {
				fs.localError("old", u.problem(err))
				return
			}
			old.SetText("")
			pass.SetText("")
			again.SetText("")
			done.SetText(u.T("settings.passphrase_changed"))
			done.Show()
		})
	})
	again.OnSubmitted = func(string) { btn.OnTapped() }
	box := container.NewVBox(bold(u.T("settings.passphrase")),
		fs.add("old", "settings.old_passphrase", old).box,
		fs.add("new", "firstrun.passphrase", container.NewVBox(pass, strength.box)).box,
		fs.add("again", "firstrun.again", again).box,
		container.NewHBox(btn), done)
	return widget.NewCard("", "", box)
}

func (p *settingsPage) backupCard() fyne.CanvasObject {
	u := p.u
	fs := u.newFieldSet("backup")
	home, _ := os.UserHomeDir()
	file := u.newEntry()
	file.SetText(filepath.Join(home, session.BackupName(u.cfg.Now())))
	pass := u.newPasswordEntry()
	p.backupFile, p.backupPass = file, pass
	browse := u.button(u.T("action.browse"), theme.FolderOpenIcon(), func() {
		dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
			if err == nil && l != nil {
				file.SetText(filepath.Join(l.Path(), filepath.Base(file.Text)))
			}
		}, u.win).Show()
		u.translateFileDialog()
	})
	done := wrapped("")
	done.Importance = widget.SuccessImportance
	done.Hide()
	busy := widget.NewProgressBarInfinite()
	busy.Hide()
	var btn *widget.Button
	btn = u.button(u.T("settings.backup_now"), theme.DocumentSaveIcon(), func() {
		fs.clear()
		done.Hide()
		path := strings.TrimSpace(file.Text)
		if path == "" {
			fs.localError("file", u.T("err.required"))
			return
		}
		btn.Disable()
		busy.Show()
		var err error
		s, pw := u.sess, pass.Text
		u.async(func() { _, err = s.Backup(context.Background(), pw, path) }, func() {
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
			pass.SetText("")
			done.SetText(u.T("settings.backup_done", "file", path))
			done.Show()
		})
	})
	pass.OnSubmitted = func(string) { btn.OnTapped() }
	fs.add("file", "settings.backup_file", container.NewBorder(nil, nil, nil, browse, file))
	u.name(file, "backup.file") // the entry, not the row that holds it and Browse
	box := container.NewVBox(bold(u.T("settings.backup")), muted(u.T("settings.backup_explain")),
		fs.fields["file"].box,
		fs.add("passphrase", "unlock.title", pass).box,
		container.NewHBox(btn), busy, done)
	return widget.NewCard("", "", box)
}

func (p *settingsPage) restoreCard() fyne.CanvasObject {
	u := p.u
	fs := u.newFieldSet("restore")
	file, dir, pass := u.newEntry(), u.newEntry(), u.newPasswordEntry()
	dir.SetText(filepath.Join(filepath.Dir(u.cfg.Dir), "kenesh-restored"))
	browse := u.button(u.T("action.browse"), theme.FolderOpenIcon(), func() {
		u.pickFile(file.SetText)
	})
	done := wrapped("")
	done.Hide()
	openNow := u.button(u.T("settings.open_restored"), theme.FolderOpenIcon(), nil)
	openNow.Hide()
	busy := widget.NewProgressBarInfinite()
	busy.Hide()
	var btn *widget.Button
	btn = u.button(u.T("restore.action"), theme.DownloadIcon(), func() {
		fs.clear()
		done.Hide()
		f, d := strings.TrimSpace(file.Text), strings.TrimSpace(dir.Text)
		if f == "" {
			fs.localError("file", u.T("err.required"))
			return
		}
		if err := session.CheckEmpty(d); err != nil {
			fs.localError("dir", u.problem(err))
			return
		}
		btn.Disable()
		busy.Show()
		var s *session.Session
		var err error
		pw := pass.Text
		u.async(func() { s, _, err = session.Restore(context.Background(), f, d, pw, u.cfg.Session) }, func() {
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
			// Closed until asked for: an open store is locked against
			// every other program.
			if err := s.Close(); err != nil {
				u.log.Error("closing the restored store", "err", err)
			}
			done.SetText(u.T("settings.restore_done", "dir", d))
			done.Show()
			openNow.OnTapped = func() {
				openNow.Disable()
				var s2 *session.Session
				var err error
				u.async(func() { s2, err = session.Unlock(context.Background(), d, pw, u.cfg.Session) }, func() {
					openNow.Enable()
					if err != nil {
						u.showError(err)
						return
					}
					u.switchTo(d, s2)
				})
			}
			openNow.Show()
		})
	})
	fs.add("file", "restore.file", container.NewBorder(nil, nil, nil, browse, file))
	u.name(file, "restore.file") // the entry, not the row that holds it and Browse
	box := container.NewVBox(bold(u.T("settings.restore")), muted(u.T("settings.restore_explain")),
		fs.fields["file"].box,
		fs.add("dir", "settings.restore_dir", dir).box,
		fs.add("passphrase", "restore.passphrase", pass).box,
		container.NewHBox(btn), busy, done, container.NewHBox(openNow))
	return widget.NewCard("", "", box)
}

func (p *settingsPage) aboutCard() fyne.CanvasObject {
	u := p.u
	dev := u.sess.Records().Device()
	grid := container.New(controls.Pairs{})
	kv(grid, u.T("settings.device"), dev.Name)
	// A competition's juror scores on this laptop: central staff name it
	// by this id.
	kv(grid, u.T("settings.device_id"), dev.ID)
	kv(grid, u.T("settings.folder"), u.cfg.Dir)
	kv(grid, u.T("settings.records"), u.T("settings.records_count",
		"appeals", count(u, domain.KindAppeal), "events", count(u, domain.KindEvent)))
	kv(grid, u.T("settings.version"), version.String())
	kv(grid, u.T("settings.updates"), "…")
	p.updateText = grid.Objects[len(grid.Objects)-1].(*widget.Label)
	p.updateRestart = u.primary(u.T("update.restart"), theme.ViewRefreshIcon(), u.restartToUpdate)
	p.showUpdate(u.sess.Updates.Status())
	box := container.NewVBox(bold(u.T("settings.about")), grid, container.NewHBox(p.updateRestart))
	return widget.NewCard("", "", box)
}

// showUpdate follows where updating stands while the page is shown.
func (p *settingsPage) showUpdate(st update.Status) {
	if p.updateText == nil {
		return
	}
	p.updateText.SetText(p.u.updateText(st))
	if st.State == update.StateReady {
		p.updateRestart.Show()
	} else {
		p.updateRestart.Hide()
	}
}

func count(u *UI, kind string) int {
	n, _ := u.sess.Records().Count(records.Filter{Kind: kind})
	return n
}

// switchTo closes the current store and continues with another (a restored
// one), as if Kenesh had been started on it.
func (u *UI) switchTo(dir string, s *session.Session) {
	if u.shell != nil {
		u.shell.stop()
		u.shell = nil
	}
	if u.sess != nil {
		if err := u.sess.Close(); err != nil {
			u.log.Error("closing the store", "err", err)
		}
	}
	u.cfg.Dir = dir
	u.sess = s
	u.saveSettings()
	u.enterShell()
}
