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
func (u *UI) lock() {
	if u.sess == nil || u.locked {
		return
	}
	u.locked = true
	// No menu while locked: its shortcuts would act on hidden records.
	u.win.SetMainMenu(nil)
	u.showLockScreen()
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
