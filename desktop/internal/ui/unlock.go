package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/session"
)

// showUnlock asks the passphrase of an existing store.
func (u *UI) showUnlock() {
	u.setContent(screen(u.passphraseScreen(u.T("unlock.title"), u.T("unlock.text"), func(pass string, done func(error)) {
		var s *session.Session
		var err error
		start := time.Now()
		u.async(func() {
			s, err = session.Unlock(context.Background(), u.cfg.Dir, pass, u.cfg.Session)
			u.log.Debug("store unlocked", "dir", u.cfg.Dir, "took", time.Since(start), "err", err)
		}, func() {
			if err == nil {
				u.sess = s
				u.enterShell()
			}
			done(err)
		})
	})))
}

// lock hides the records behind the passphrase after idle time. The store
// stays open and the screens stay as they were, so an unsaved form is still
// there after unlocking and the sync loop keeps sending what was saved.
// Dialogs (a form, the publication preview, a person's data) are overlays
// over the window's content, which the lock screen does not replace: they
// are taken off the window with the focus, and put back as they were.
func (u *UI) lock() {
	if u.sess == nil || u.locked {
		return
	}
	u.locked = true
	// Decrypted copies of opened files go with the lock.
	u.removeOpenCopies()
	// No menu while locked: its shortcuts would act on hidden records.
	u.win.SetMainMenu(nil)
	c := u.win.Canvas()
	u.lockedFocus = c.Focused()
	c.Unfocus()
	u.coverOverlays()
	u.showLockScreen()
}

// coverOverlays takes every dialog and pop-up off the window while it is
// locked, to be put back by uncoverOverlays. It also runs after whatever
// the UI goroutine did while locked (u.do), so a dialog that a finished
// background task opens (a backup's result, an error) waits for the unlock.
func (u *UI) coverOverlays() {
	if !u.locked {
		return
	}
	ov := u.win.Canvas().Overlays()
	list := ov.List()
	if len(list) == 0 {
		return
	}
	u.covered = append(u.covered, list...)
	ov.Remove(list[0]) // and every overlay above it
}

// uncoverOverlays puts back, in their order, the overlays the lock took
// off that are still open (one closed meanwhile, by its own task, stays
// closed), and the focus where it was.
func (u *UI) uncoverOverlays() {
	ov := u.win.Canvas().Overlays()
	for _, o := range u.covered {
		if o.Visible() {
			ov.Add(o)
			o.Refresh()
		}
	}
	u.covered = nil
	if f := u.lockedFocus; f != nil {
		// The canvas focuses it only where it still is (a form's field
		// that was closed meanwhile is not).
		u.lockedFocus = nil
		u.win.Canvas().Focus(f)
	}
}

func (u *UI) showLockScreen() {
	text := u.T("lock.text", "n", u.set.IdleLockMinutes)
	u.setContent(screen(u.passphraseScreen(u.T("lock.title"), text, func(pass string, done func(error)) {
		var err error
		s := u.sess
		u.async(func() { err = s.CheckPassphrase(pass) }, func() {
			if err == nil {
				u.locked = false
				u.touch()
				u.shell.show()
				u.uncoverOverlays()
			}
			done(err)
		})
	})))
}

// passphraseScreen is the unlock and the lock screen: one field, Enter to go.
func (u *UI) passphraseScreen(title, text string, try func(pass string, done func(error))) fyne.CanvasObject {
	pass := u.newPasswordEntry()
	u.name(pass, "passphrase")
	msg := errorText()
	busy := widget.NewProgressBarInfinite()
	busy.Hide()
	var btn *widget.Button
	submit := func() {
		if pass.Text == "" {
			setError(msg, u.T("unlock.empty"))
			return
		}
		setError(msg, "")
		btn.Disable()
		pass.Disable()
		busy.Show()
		try(pass.Text, func(err error) {
			btn.Enable()
			pass.Enable()
			busy.Hide()
			if err != nil {
				setError(msg, u.problem(err))
				pass.SetText("")
				u.win.Canvas().Focus(pass)
			}
		})
	}
	pass.OnSubmitted = func(string) { submit() }
	btn = u.primary(u.T("unlock.action"), theme.LoginIcon(), submit)
	box := container.NewVBox(
		container.NewCenter(widget.NewIcon(theme.StorageIcon())),
		heading(u.T("app.name")),
		bold(title), wrapped(text),
		pass, msg, busy, container.NewHBox(btn),
		widget.NewSeparator(), u.languageButtons(),
		muted(u.T("firstrun.folder", "dir", u.cfg.Dir)),
	)
	// Focus once the window shows the entry: typing can start at once
	// (unless the store was unlocked meanwhile and the entry is gone).
	u.cfg.Do(func() {
		if shows(u.win.Content(), pass) {
			u.win.Canvas().Focus(pass)
		}
	})
	return box
}

// enterShell shows the main screens once a session is open.
func (u *UI) enterShell() {
	start := time.Now()
	u.fr = nil
	u.touch()
	if u.shell == nil {
		u.shell = newShell(u)
	}
	u.shell.show()
	u.offerDraft()
	u.log.Debug("main screens built", "took", time.Since(start))
	if u.cfg.OnUnlocked != nil {
		u.cfg.OnUnlocked()
	}
}

// shows reports whether o is part of the tree under root (containers and
// scrolls, what the screens are made of).
func shows(root, o fyne.CanvasObject) bool {
	switch r := root.(type) {
	case nil:
		return false
	case *fyne.Container:
		for _, child := range r.Objects {
			if shows(child, o) {
				return true
			}
		}
	case *container.Scroll:
		return shows(r.Content, o)
	}
	return root == o
}
