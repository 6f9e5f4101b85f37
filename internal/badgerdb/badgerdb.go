package badgerdb

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"syscall"

	"github.com/dgraph-io/badger/v4"
)

// Open opens a Badger database. A process killed while Badger created a
// value-log file leaves that file empty; Badger's next open then fails
// ("Create a new file") after giving the file its header, and the open
// after that succeeds (seen in the crash test). Open makes that second
// attempt, so a person never sees the first.
func Open(opts badger.Options) (*badger.DB, error) {
	db, err := badger.Open(opts)
	if err != nil && strings.Contains(err.Error(), "Create a new file") {
		db, err = badger.Open(opts)
	}
	return db, err
}

// IsLocked reports whether err says another process has the directory open.
func IsLocked(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Cannot acquire directory lock")
}

// IsWrongKey reports whether err says the encryption key does not match.
func IsWrongKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Encryption key mismatch")
}

// IsNoSpace reports whether err is a full disk, however Badger wrapped it.
func IsNoSpace(err error) bool {
	return err != nil && (errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left on device"))
}

// Logger forwards Badger's warnings and errors to slog and drops its
// chatter, which would otherwise reach a script's stderr. A nil L
// discards everything.
type Logger struct{ L *slog.Logger }

// Errorf implements badger.Logger.
func (b Logger) Errorf(f string, a ...any) {
	if b.L != nil {
		b.L.Error(strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger")
	}
}

// Warningf implements badger.Logger.
func (b Logger) Warningf(f string, a ...any) {
	if b.L != nil {
		b.L.Warn(strings.TrimSpace(fmt.Sprintf(f, a...)), "component", "badger")
	}
}

// Infof implements badger.Logger.
func (Logger) Infof(string, ...any) {}

// Debugf implements badger.Logger.
func (Logger) Debugf(string, ...any) {}
