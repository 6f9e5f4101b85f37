// Command wineupdate runs the desktop app's update path on Windows, as the
// app runs it, outside the app's window: packaging/windows/wine-update
// cross-compiles it and runs it under Wine beside an installed Kenesh.
//
//	wineupdate -server URL -keys FILE [-v]
//
// It makes the same update.Watcher the app's session makes (the download
// in DATA\updates of the app's data directory, this program's release as
// the current one, Options.Budget as the session sets it), checks the
// server once (the app does so after a sync), and when a newer release is
// downloaded and verified it applies it with the call behind the app's
// "restart to update" button (Watcher.Apply with the app's arguments), then
// ends as the app closes its window. The only difference from the app:
// the trusted keys come from FILE (the test signs with a key of its own)
// instead of the release-keys.txt built in, and the server from -server
// instead of the store's enrollment (the store is the running app's).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	coreapp "github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/update"
	"github.com/kenesh/kenesh/internal/version"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wineupdate:", err)
		os.Exit(1)
	}
}

func run() error {
	server := flag.String("server", "", "the sync server's address (required)")
	keysFile := flag.String("keys", "", "the trusted release keys, one a line, as release-keys.txt (required)")
	verbose := flag.Bool("v", false, "log the download")
	flag.Parse()
	if *server == "" || *keysFile == "" {
		return fmt.Errorf("usage: wineupdate -server URL -keys FILE")
	}
	b, err := os.ReadFile(*keysFile)
	if err != nil {
		return err
	}
	keys, err := update.ParseKeys(string(b))
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("%s holds no key", *keysFile)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	// As session.start sets them.
	o := update.Options{Dir: filepath.Join(coreapp.DefaultDir(), update.DirName), Keys: keys,
		Current: version.String(), Budget: 3 * time.Minute, Logger: log}
	w := update.NewWatcher(o, func(context.Context) (string, error) { return *server, nil }, 0)
	ctx := context.Background()
	st := w.CheckNow(ctx)
	if st.State != update.StateReady {
		return fmt.Errorf("this is %s; the check ended %q (version %q): %v", version.String(), st.State, st.Version, st.Err)
	}
	fmt.Printf("wineupdate: %s downloaded and verified in %s\n", st.Version, o.Dir)
	// The app passes its own arguments (os.Args[1:]); the Windows
	// installer starts Kenesh.exe again without any.
	if err := w.Apply(ctx, nil); err != nil {
		return err
	}
	fmt.Printf("wineupdate: the installer of %s runs with /S /RESTART; this program ends, as the app does\n", st.Version)
	return nil
}
