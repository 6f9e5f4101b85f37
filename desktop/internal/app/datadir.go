package app

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
)

// DefaultDir is where a person's Kenesh data lives when neither --data nor
// $KENESH_DATA names a directory: the platform's per-user data directory,
// %LOCALAPPDATA%\Kenesh on Windows and $XDG_DATA_HOME/kenesh
// (~/.local/share/kenesh) elsewhere. Not the roaming AppData, nor the
// config directory: a store of hundreds of megabytes must not travel with
// a roaming Windows profile to a domain server at every logon, and is data,
// not settings.
//
// Releases up to 0.4 kept it in the user's config directory
// (~/.config/kenesh, %AppData%\kenesh): a store there is used where it is
// while the new place holds none, so an upgrade finds its records.
func DefaultDir() string {
	return defaultDir(runtime.GOOS, os.Getenv, os.UserHomeDir, hasStore)
}

// legacyDirName is the directory name releases up to 0.4 used.
const legacyDirName = "kenesh"

func defaultDir(goos string, getenv func(string) string, home func() (string, error), holds func(string) bool) string {
	var dir, legacy string
	switch goos {
	case "windows":
		if d := getenv("LOCALAPPDATA"); d != "" {
			dir = filepath.Join(d, "Kenesh")
		}
		if d := getenv("AppData"); d != "" {
			legacy = filepath.Join(d, legacyDirName)
		}
	case "darwin", "ios":
		if h, err := home(); err == nil {
			dir = filepath.Join(h, "Library", "Application Support", "Kenesh")
		}
	default: // Linux and the BSDs: the XDG base directories
		if d := getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
			dir = filepath.Join(d, "kenesh")
		} else if h, err := home(); err == nil {
			dir = filepath.Join(h, ".local", "share", "kenesh")
		}
		if d := getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
			legacy = filepath.Join(d, legacyDirName)
		} else if h, err := home(); err == nil {
			legacy = filepath.Join(h, ".config", legacyDirName)
		}
	}
	if dir == "" {
		return "kenesh-data" // no home at all: beside the program's working directory
	}
	if legacy != "" && !holds(dir) && holds(legacy) {
		return legacy
	}
	return dir
}

// hasStore reports whether dir holds a Kenesh store (its key file).
func hasStore(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, keyfile.Name))
	return err == nil
}
