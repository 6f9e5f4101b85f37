package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
)

// FileName is the settings file inside the data directory. It holds no
// personal data and nothing secret: the language must be known before the
// passphrase is asked, so it cannot live in the encrypted store.
const FileName = "settings.json"

// Settings are the desktop app's preferences.
type Settings struct {
	// Language of the interface: "ky", "ru" or "en".
	Language string `json:"language"`
	// IdleLockMinutes locks the window after this long without use; 0 never.
	IdleLockMinutes int `json:"idle_lock_minutes"`
	// TextScale enlarges all text and controls (1 = normal).
	TextScale float32 `json:"text_scale"`
	// LastServer is the sync server last typed, offered again at enrolment.
	LastServer string `json:"last_server,omitempty"`
	// WindowWidth and WindowHeight are the window's size when it was last
	// closed (Fyne units), to open at it again; 0: not known yet, open at
	// the screen's size.
	WindowWidth  float32 `json:"window_width,omitempty"`
	WindowHeight float32 `json:"window_height,omitempty"`
}

// Defaults are the settings of a first run.
func Defaults() Settings {
	return Settings{Language: l10n.Default, IdleLockMinutes: 10, TextScale: 1}
}

// Allowed idle lock choices, in minutes (0: never).
var IdleChoices = []int{5, 10, 15, 30, 60, 0}

// Allowed text scales: each one's screens fit a 1366×768 laptop in every
// language (desktop/internal/ui's TestScreensFit1366x768 checks them all).
// 150% was offered once: the events list, Settings and the event form were
// then up to 86 px wider than such a screen, and the window, grown to hold
// them, stayed wider than the screen after going back to 100%.
var ScaleChoices = []float32{1, 1.15, 1.3}

// IdleLock is the idle time as a duration (0: never).
func (s Settings) IdleLock() time.Duration { return time.Duration(s.IdleLockMinutes) * time.Minute }

// normalize replaces out-of-range values with defaults, so a hand-edited or
// damaged file never stops the app from starting.
func (s *Settings) normalize() {
	d := Defaults()
	if !l10n.Valid(s.Language) {
		s.Language = d.Language
	}
	if s.IdleLockMinutes < 0 || s.IdleLockMinutes > 24*60 {
		s.IdleLockMinutes = d.IdleLockMinutes
	}
	if s.TextScale < 0.8 || s.TextScale > 2 {
		s.TextScale = d.TextScale
	}
	// A scale no longer offered (150% from an older version): the nearest
	// one that is.
	near := ScaleChoices[0]
	for _, c := range ScaleChoices {
		if abs(c-s.TextScale) < abs(near-s.TextScale) {
			near = c
		}
	}
	s.TextScale = near
	if s.WindowWidth < 400 || s.WindowHeight < 300 || s.WindowWidth > 20000 || s.WindowHeight > 20000 {
		s.WindowWidth, s.WindowHeight = 0, 0
	}
}

// Load reads dir's settings. A missing file gives the defaults and
// first=true; a damaged one gives the defaults and an error to log.
func Load(dir string) (s Settings, first bool, err error) {
	s = Defaults()
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return s, true, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("settings: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Defaults(), false, fmt.Errorf("settings %s: %w (using defaults)", filepath.Join(dir, FileName), err)
	}
	s.normalize()
	return s, false, nil
}

// Save writes dir's settings atomically (temporary file, then rename), so a
// crash never leaves half a file.
func Save(dir string, s Settings) error {
	s.normalize()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, FileName+".*.tmp")
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("settings: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("settings: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FileName)); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
