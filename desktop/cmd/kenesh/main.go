// Command kenesh is the Kenesh desktop app: a council secretary records
// events and citizens' appeals offline, in Kyrgyz, Russian or English, and
// the app syncs them with the central server when there is a connection.
//
// Usage: kenesh [--data DIR] [--lang ky|ru|en] [-v]
//
// The data directory is --data, else $KENESH_DATA, else the user's config
// directory (~/.config/kenesh), the same as keneshctl's. If KENESH_PASSPHRASE
// is set the store is unlocked with it at start (demos and kiosks); the idle
// lock still asks a person for it.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/kenesh/kenesh/assets"
	coreapp "github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/settings"
	"github.com/kenesh/kenesh/desktop/internal/ui"
)

func main() {
	start := time.Now()
	coreapp.LimitMemory()
	data := flag.String("data", "", "data directory (default $KENESH_DATA, else the user's config directory)")
	langFlag := flag.String("lang", "", "interface language for this and later runs: ky, ru or en")
	verbose := flag.Bool("v", false, "log what happens to stderr")
	tour := flag.Bool("tour", false, "show every main screen in turn for the screenshot tool (prints SHOT NAME, waits for a line on stdin)")
	timing := flag.Bool("startup-time", false, "print the time from start to a usable home screen, then quit (benchmark)")
	flag.Parse()
	if path := os.Getenv("KENESH_CPUPROFILE"); path != "" { // for developers measuring start-up
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dir := *data
	if dir == "" {
		dir = os.Getenv("KENESH_DATA")
	}
	if dir == "" {
		dir = defaultDataDir()
	}
	set, first, err := settings.Load(dir)
	if err != nil {
		log.Warn("settings", "err", err)
	}
	if *langFlag != "" {
		if !l10n.Valid(*langFlag) {
			fmt.Fprintf(os.Stderr, "kenesh: --lang takes ky, ru or en, not %q\n", *langFlag)
			os.Exit(2)
		}
		set.Language = *langFlag
		if session.Exists(dir) {
			if err := settings.Save(dir, set); err != nil {
				log.Warn("settings", "err", err)
			}
		}
		first = first && !session.Exists(dir)
	}

	kdf := keyfile.DefaultParams
	if os.Getenv("KENESH_KDF") == "test" { // cheap key derivation for test suites, as keneshctl
		kdf = keyfile.TestParams
	}
	// Lists work as soon as the rows are read; the search words follow in
	// the background (a search waits for them): a faster start.
	sessOpts := session.Options{KDF: kdf, Logger: log, Records: records.Options{TextInBackground: true}}
	pass := os.Getenv("KENESH_PASSPHRASE")
	var early chan ui.Unlocked
	if pass != "" && session.Exists(dir) && !*tour {
		// Unlock while the window is being made, not after.
		early = make(chan ui.Unlocked, 1)
		go func() {
			t := time.Now()
			s, err := session.Unlock(context.Background(), dir, pass, sessOpts)
			log.Debug("store unlocked", "dir", dir, "took", time.Since(t), "err", err)
			early <- ui.Unlocked{Session: s, Err: err}
		}()
	}
	a := app.NewWithID("kg.kenesh.desktop")
	a.SetIcon(fyne.NewStaticResource("kenesh.png", assets.Icon))
	w := a.NewWindow("Kenesh")
	if *tour {
		w.Resize(fyne.NewSize(1366, 768))
	} else {
		// The size it was left at, else the screen's (once the driver can
		// tell the screen, see fitScreen).
		if set.WindowWidth > 0 {
			w.Resize(fyne.NewSize(set.WindowWidth, set.WindowHeight))
		} else {
			w.Resize(fyne.NewSize(1280, 720))
		}
		a.Lifecycle().SetOnStarted(func() { fitScreen(w, set.WindowWidth > 0) })
	}
	cfg := ui.Config{Dir: dir, Settings: set, FirstRun: first, Logger: log,
		Session: sessOpts}
	var u *ui.UI
	if *timing {
		cfg.OnUnlocked = func() {
			// The next frame shows the home screen: measure when it is drawn.
			go fyne.Do(func() {
				fmt.Printf("startup_to_home_seconds %.3f\n", time.Since(start).Seconds())
				a.Quit()
			})
		}
	}
	u = ui.New(a, w, cfg)
	if path := os.Getenv("KENESH_PROBE"); path != "" {
		// Tests only: say where the controls are (desktop/internal/guitest).
		u.EnableProbe()
		go func() {
			if err := u.ServeProbe(context.Background(), path); err != nil {
				log.Error("probe", "err", err)
			}
		}()
	}
	w.SetMaster()
	w.SetOnClosed(u.Close)
	u.Start()
	if early != nil {
		u.AdoptUnlock(early)
	}
	if *tour {
		go runTour(u, pass)
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

// runTour steps through the screens and lets the screenshot tool capture
// each: it prints "SHOT name" and waits for a line on stdin.
func runTour(u *ui.UI, pass string) {
	in := bufio.NewScanner(os.Stdin)
	time.Sleep(1500 * time.Millisecond) // the first frame of a new GL window
	for _, step := range u.Tour(pass) {
		done := make(chan struct{})
		fyne.Do(func() {
			step.Do()
			close(done)
		})
		<-done
		if step.Wait != nil {
			step.Wait()
		}
		time.Sleep(900 * time.Millisecond) // let it paint
		fmt.Println("SHOT " + step.Name)
		if !in.Scan() {
			break
		}
	}
	fmt.Println("DONE")
	fyne.Do(func() { fyne.CurrentApp().Quit() })
}

func defaultDataDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "kenesh")
	}
	return "kenesh-data"
}
