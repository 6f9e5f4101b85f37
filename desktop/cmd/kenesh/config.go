package main

import (
	"flag"
	"fmt"

	"github.com/kenesh/kenesh/desktop/internal/app"
	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
)

// config is what the app takes from its command line and environment, all
// read here once.
type config struct {
	dir     string // --data, else $KENESH_DATA, else the user's data directory (app.DefaultDir)
	lang    string // --lang: the interface language for this and later runs ("": as saved)
	verbose bool   // -v: log to stderr, with the time taken to unlock and build the screens
	version bool   // --version: print the version and exit
	// passphrase ($KENESH_PASSPHRASE) unlocks the store at start (demos,
	// kiosks); the idle lock still asks a person.
	passphrase string
	kdf        keyfile.Params // keyfile.TestParams with $KENESH_KDF=test (test suites only)

	// For the tools that measure and show the app (devhooks.go, tour.go).
	tour       bool   // --tour: every main screen in turn, for make screenshots
	timing     bool   // --startup-time: print the time to a usable home screen and quit
	probe      string // $KENESH_PROBE: a socket where the real-window test asks what is on screen
	cpuProfile string // $KENESH_CPUPROFILE: a CPU profile of the run, for developers
}

// readConfig reads the command line args and the environment; a wrong
// command line is an error to show with the usage.
func readConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("kenesh", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.dir, "data", "", "data directory (default $KENESH_DATA, else "+app.DefaultDir()+")")
	fs.StringVar(&c.lang, "lang", "", "interface language for this and later runs: ky, ru or en")
	fs.BoolVar(&c.verbose, "v", false, "log what happens to stderr")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.BoolVar(&c.tour, "tour", false, "show every main screen in turn for the screenshot tool (prints SHOT NAME, waits for a line on stdin)")
	fs.BoolVar(&c.timing, "startup-time", false, "print the time from start to a usable home screen, then quit (benchmark)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.lang != "" && !l10n.Valid(c.lang) {
		return c, fmt.Errorf("--lang takes ky, ru or en, not %q", c.lang)
	}
	if c.dir == "" {
		c.dir = getenv("KENESH_DATA")
	}
	if c.dir == "" {
		c.dir = app.DefaultDir()
	}
	c.passphrase = getenv("KENESH_PASSPHRASE")
	c.kdf = keyfile.DefaultParams
	if getenv("KENESH_KDF") == "test" {
		c.kdf = keyfile.TestParams
	}
	c.probe = getenv("KENESH_PROBE")
	c.cpuProfile = getenv("KENESH_CPUPROFILE")
	return c, nil
}
