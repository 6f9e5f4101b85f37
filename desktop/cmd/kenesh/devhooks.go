package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"fyne.io/fyne/v2"

	"github.com/kenesh/kenesh/desktop/internal/ui"
)

// What the tools that measure and test the app turn on; a person's run
// uses none of it.

// profileCPU writes a CPU profile of the run to path (for developers
// measuring start-up); the returned function ends it.
func profileCPU(path string) func() {
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// timeStartup prints, for make bench-startup, the time from start to the
// first frame that shows the home screen, then quits.
func timeStartup(cfg *ui.Config, a fyne.App, start time.Time) {
	cfg.OnUnlocked = func() {
		// The next frame shows the home screen: measure when it is drawn.
		go fyne.Do(func() {
			fmt.Printf("startup_to_home_seconds %.3f\n", time.Since(start).Seconds())
			a.Quit()
		})
	}
}

// serveProbe answers the real-window test (desktop/internal/guitest) on
// the socket at path: where the controls are and what they show.
func serveProbe(u *ui.UI, path string, log *slog.Logger) {
	u.EnableProbe()
	go func() {
		if err := u.ServeProbe(context.Background(), path); err != nil {
			log.Error("probe", "err", err)
		}
	}()
}
