package ui

import (
	"context"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/settings"
)

// Config is what the app's main gives the interface.
type Config struct {
	Dir      string            // the data directory
	Settings settings.Settings // as loaded from Dir
	FirstRun bool              // no settings file yet
	Session  session.Options
	Catalog  *l10n.Catalog // nil: the embedded translations
	Logger   *slog.Logger

	// Do runs f on the UI goroutine; nil means fyne.Do. Tests give a queue
	// they drain themselves, so that no widget is touched from two
	// goroutines.
	Do func(f func())
	// Now is the clock of the idle lock; nil means time.Now.
	Now func() time.Time
	// IdleTick is how often idleness is checked (0: every 10 s; <0: never,
	// for tests that call checkIdle themselves).
	IdleTick time.Duration
	// CloseWindow closes the window once the person chose to (nil: the
	// window's Close; tests watch it instead).
	CloseWindow func()
	// OnUnlocked, if set, is called on the UI goroutine once the home
	// screen is up after an unlock or a first run (the start-up benchmark
	// and the screenshot tool wait for it).
	OnUnlocked func()
}

// UI is the desktop interface over one data directory.
type UI struct {
	app fyne.App
	win fyne.Window
	cfg Config
	cat *l10n.Catalog
	log *slog.Logger

	set settings.Settings
	tr  *l10n.Tr

	sess  *session.Session
	shell *shell // nil until unlocked

	// locked: the lock screen is shown over a running session; covered
	// are the dialogs it took off the window and lockedFocus what had the
	// focus, both put back at the unlock.
	locked      bool
	covered     []fyne.CanvasObject
	lockedFocus fyne.Focusable

	mu           sync.Mutex // guards lastActivity: touched from input callbacks
	lastActivity time.Time

	stopWatch func()

	lastModal *modal // the dialog shown last
	// openCopies are the temporary folders of files opened with the
	// system's viewer (removed at the lock and at exit; guarded by mu).
	openCopies []string
	// asked are the records whose files central staff's laptop asked for
	// when their page opened (on the UI goroutine).
	asked   map[string]bool
	central bool // enrolled as central staff (see shell.central)
	// records: this laptop records appeals and events (a council's, or
	// one not enrolled yet); central staff, trainers and administrators
	// are offered nothing the core would refuse.
	records   bool
	fr        *firstRun   // the first-run wizard, while it runs
	firstForm *createForm // what was typed there, kept across a language switch

	// For the probe (nil unless EnableProbe): the names of controls, and
	// the rows each list made.
	names    map[fyne.CanvasObject]string
	listRows map[*widget.List][]fyne.CanvasObject

	// The draft of the form on screen (drafts.go): a timer that writes it
	// once typing pauses, and the inputs last written ("" for none).
	draftTimer *time.Timer
	draftKept  string
	exitDialog *dialog.CustomDialog // the close dialog, while shown
	// inputDiscarded: the person chose to close without saving.
	inputDiscarded bool
}

// New builds the interface in w; call Start to show the first screen.
func New(a fyne.App, w fyne.Window, cfg Config) *UI {
	if cfg.Catalog == nil {
		cfg.Catalog = l10n.MustLoad()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Do == nil {
		cfg.Do = fyne.Do
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	u := &UI{app: a, win: w, cfg: cfg, cat: cfg.Catalog, log: cfg.Logger, set: cfg.Settings}
	u.tr = u.cat.In(u.set.Language)
	u.applyFyneLanguage()
	u.applyTheme()
	u.lastActivity = cfg.Now()
	return u
}

// T translates key with name/value pairs for its {placeholders}.
func (u *UI) T(key string, args ...any) string { return u.tr.T(key, args...) }

// Lang is the language of the interface now.
func (u *UI) Lang() string { return u.tr.Lang }

// Session is the open session, nil before unlock.
func (u *UI) Session() *session.Session { return u.sess }

// Start shows the first screen: the first-run wizard for a directory without
// a store, the unlock screen otherwise.
func (u *UI) Start() {
	u.win.SetTitle("Kenesh")
	sweepOpenCopies()
	// Files dropped on the window go to the record shown.
	u.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) {
		u.do(func() {
			if u.shell == nil || u.locked {
				return
			}
			if t, ok := u.shell.top().(dropTarget); ok {
				if kind, id, ok := t.dropTarget(); ok {
					u.dropped(kind, id, uris)
				}
			}
		})
	})
	// The close button asks first when a form holds unsaved input.
	u.win.SetCloseIntercept(u.RequestClose)
	u.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		u.touch()
		// Enter with nothing focused confirms the dialog that is open.
		// Never while locked: the dialog is hidden, and so is what it saves.
		if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !u.locked && u.lastModal != nil && u.lastModal.run != nil {
			u.lastModal.run()
		}
	})
	if session.Exists(u.cfg.Dir) {
		u.showUnlock()
	} else {
		u.showFirstRun()
	}
	if u.cfg.IdleTick >= 0 {
		tick := u.cfg.IdleTick
		if tick == 0 {
			tick = 10 * time.Second
		}
		ctx, cancel := context.WithCancel(context.Background())
		u.stopWatch = cancel
		go func() {
			t := time.NewTicker(tick)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					u.cfg.Do(u.checkIdle)
				}
			}
		}()
	}
}

// Close ends the session (stops syncing, closes the store).
func (u *UI) Close() {
	if u.stopWatch != nil {
		u.stopWatch()
	}
	if u.draftTimer != nil {
		u.draftTimer.Stop()
	}
	u.removeOpenCopies()
	if sz := u.win.Canvas().Size(); sz.Width > 0 && session.Exists(u.cfg.Dir) {
		// Opens at this size next time (before a store exists the first
		// run must still ask the language: no settings file yet).
		u.set.WindowWidth, u.set.WindowHeight = sz.Width, sz.Height
		if err := settings.Save(u.cfg.Dir, u.set); err != nil {
			u.log.Error("saving settings", "err", err)
		}
	}
	if u.shell != nil {
		// What is typed and not saved yet is kept for the next start (a
		// shutdown, or a close while locked); a discard dropped it already.
		if !u.inputDiscarded {
			u.keepDraft()
		}
		u.shell.stop()
	}
	if u.sess != nil {
		if err := u.sess.Close(); err != nil {
			u.log.Error("closing the store", "err", err)
		}
		u.sess = nil
	}
}

// do runs f on the UI goroutine. What f shows as a dialog while the
// window is locked waits for the unlock.
func (u *UI) do(f func()) {
	u.cfg.Do(func() {
		f()
		u.coverOverlays()
	})
}

// async runs work off the UI goroutine and then done on it: for what takes
// long enough to freeze the window (key derivation, network, backups).
func (u *UI) async(work func(), done func()) {
	go func() {
		work()
		u.do(done)
	}()
}

// touch records user activity for the idle lock.
func (u *UI) touch() {
	u.mu.Lock()
	u.lastActivity = u.cfg.Now()
	u.mu.Unlock()
	u.draftSoon()
}

// checkIdle locks the window when it has not been used for the configured
// time. It runs on the UI goroutine.
func (u *UI) checkIdle() {
	if u.sess == nil || u.locked || u.set.IdleLockMinutes == 0 {
		return
	}
	u.mu.Lock()
	idle := u.cfg.Now().Sub(u.lastActivity)
	u.mu.Unlock()
	if idle >= u.set.IdleLock() {
		u.lock()
	}
}

// setContent replaces the whole window's content.
func (u *UI) setContent(o fyne.CanvasObject) {
	u.win.SetContent(container.NewStack(controls.NewActivityCatcher(u.touch), o))
}

// setLanguage switches the interface language and redraws the current
// screen in it; nothing typed into an open form is lost because the screens
// that offer a switch hold no unsaved input.
func (u *UI) setLanguage(code string) {
	if !l10n.Valid(code) || code == u.tr.Lang {
		return
	}
	u.set.Language = code
	u.saveSettings()
	u.tr = u.cat.In(code)
	u.applyFyneLanguage()
	u.redraw()
}

// redraw rebuilds the current screen in the current language and scale.
func (u *UI) redraw() {
	switch {
	case u.locked:
		u.showLockScreen()
	case u.shell != nil:
		u.shell.rebuild()
		u.shell.show()
	case u.sess == nil && session.Exists(u.cfg.Dir):
		u.showUnlock()
	default:
		u.showFirstRun()
	}
}

func (u *UI) saveSettings() {
	if err := settings.Save(u.cfg.Dir, u.set); err != nil {
		u.log.Error("saving settings", "err", err)
		u.showError(err)
	}
}

// applyFyneLanguage makes Fyne's own strings (dialog buttons, file
// dialogs, weekdays) speak the chosen language. Fyne picks its language
// once from the system locale and offers no switch, but it re-reads its
// message bundle whenever translations are added: so the chosen language's
// file is added under every tag Fyne might have picked (the three of the
// app and the system's own), which works the same on every OS.
func (u *UI) applyFyneLanguage() {
	data := u.cat.Raw(u.tr.Lang)
	tags := map[string]bool{"en": true, "ru": true, "ky": true}
	if systemLocaleSet() {
		sys := lang.SystemLocale()
		tags[sys.String()] = true
		tags[sys.LanguageString()] = true
	}
	for t := range tags {
		if t == "" {
			continue
		}
		if err := lang.AddTranslationsForLocale(data, fyne.Locale(t)); err != nil {
			u.log.Warn("loading Fyne translations", "locale", t, "err", err)
		}
	}
}

// systemLocaleSet reports whether the system names a locale Fyne can parse:
// on Unix "C" or "POSIX" (common on servers and under Xvfb) name none, and
// asking Fyne then only logs a parse error.
func systemLocaleSet() bool {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return true
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			return !(l == "C" || l == "POSIX" || strings.HasPrefix(l, "C."))
		}
	}
	return os.Getenv("LANGUAGE") != ""
}
