// Command kenesh is the Kenesh desktop app: a council secretary records
// events and citizens' appeals offline, in Kyrgyz, Russian or English, and
// the app syncs them with the central server when there is a connection.
//
// Usage: kenesh [--data DIR] [--lang ky|ru|en] [-v]
//
// The data directory is --data, else $KENESH_DATA, else the user's data
// directory (app.DefaultDir: ~/.local/share/kenesh, %LOCALAPPDATA%\Kenesh),
// the same as keneshctl's. If KENESH_PASSPHRASE
// is set the store is unlocked with it at start (demos and kiosks); the idle
// lock still asks a person for it. config.go lists everything it reads.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/kenesh/kenesh/assets"
	coreapp "github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/settings"
	"github.com/kenesh/kenesh/desktop/internal/ui"
	"github.com/kenesh/kenesh/internal/version"
)

func main() {
	start := time.Now()
	coreapp.LimitMemory()
	c, err := readConfig(os.Args[1:], os.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kenesh:", err)
		os.Exit(2)
	}
	if c.version {
		fmt.Println(version.Describe("kenesh"))
		return
	}
	if c.cpuProfile != "" {
		defer profileCPU(c.cpuProfile)()
	}
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	set, first := loadSettings(c, log)

	// Lists work as soon as the rows are read; the search words follow in
	// the background (a search waits for them): a faster start.
	sessOpts := session.Options{KDF: c.kdf, Logger: log, Records: records.Options{TextInBackground: true}}
	var early chan ui.Unlocked
	if c.passphrase != "" && session.Exists(c.dir) && !c.tour {
		early = unlockEarly(c, sessOpts, log)
	}

	a := app.NewWithID("kg.kenesh.desktop")
	a.SetIcon(fyne.NewStaticResource("kenesh.png", assets.Icon))
	w := a.NewWindow("Kenesh")
	switch {
	case c.tour:
		w.Resize(fyne.NewSize(1366, 768)) // the screenshots' laptop screen
	case set.WindowWidth > 0:
		// The size it was left at, shrunk to the screen (fitScreen).
		w.Resize(fyne.NewSize(set.WindowWidth, set.WindowHeight))
		a.Lifecycle().SetOnStarted(func() { fitScreen(w, true) })
	default:
		// The screen's size, once the driver can tell it.
		w.Resize(fyne.NewSize(1280, 720))
		a.Lifecycle().SetOnStarted(func() { fitScreen(w, false) })
	}
	cfg := ui.Config{Dir: c.dir, Settings: set, FirstRun: first, Logger: log, Session: sessOpts}
	if c.timing {
		timeStartup(&cfg, a, start)
	}
	u := ui.New(a, w, cfg)
	if c.probe != "" {
		serveProbe(u, c.probe, log)
	}
	w.SetMaster()
	w.SetOnClosed(func() {
		u.Close()
		go exitIfHung(log, exitGrace)
	})
	u.Start()
	if early != nil {
		u.AdoptUnlock(early)
	}
	if c.tour {
		go runTour(u, c.passphrase)
	}
	// Ctrl+C or a shutdown: quit like the window's close button, so the
	// store is closed properly (every save is durable either way).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
}

// exitGrace is how long the process may take to end once the window is
// closed and the store with it.
const exitGrace = 5 * time.Second

// exitIfHung ends the process if it is still running after grace, with
// what every goroutine was doing in the log. Once the window has closed,
// the store is closed and every save is durable, so nothing is lost; but
// Fyne 2.7.1 can wait forever at its end for a window event queued as the
// loop stopped (Lifecycle.WaitForEvents; the real-window test saw the
// window gone and the process still there after a minute), and a
// secretary must not find a Kenesh that never quits in the task manager.
func exitIfHung(log *slog.Logger, grace time.Duration) {
	time.Sleep(grace)
	var stacks strings.Builder
	pprof.Lookup("goroutine").WriteTo(&stacks, 2)
	log.Warn("the window closed but the program did not end: ending it (everything was saved)", "after", grace, "goroutines", stacks.String())
	pprof.StopCPUProfile() // a --cpuprofile keeps what it has
	os.Exit(0)
}

// loadSettings reads settings.json (and whether there was one: the first
// run); --lang changes the language for this and later runs.
func loadSettings(c config, log *slog.Logger) (settings.Settings, bool) {
	set, first, err := settings.Load(c.dir)
	if err != nil {
		log.Warn("settings", "err", err)
	}
	if c.lang != "" {
		set.Language = c.lang
		exists := session.Exists(c.dir)
		if exists {
			if err := settings.Save(c.dir, set); err != nil {
				log.Warn("settings", "err", err)
			}
		}
		first = first && !exists
	}
	return set, first
}

// unlockEarly unlocks the store with the passphrase from the environment
// while the window is being made, not after.
func unlockEarly(c config, o session.Options, log *slog.Logger) chan ui.Unlocked {
	early := make(chan ui.Unlocked, 1)
	go func() {
		t := time.Now()
		s, err := session.Unlock(context.Background(), c.dir, c.passphrase, o)
		log.Debug("store unlocked", "dir", c.dir, "took", time.Since(t), "err", err)
		early <- ui.Unlocked{Session: s, Err: err}
	}()
	return early
}
