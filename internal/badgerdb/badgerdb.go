package badgerdb

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/diskspace"
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
func IsNoSpace(err error) bool { return diskspace.IsNoSpace(err) }

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

// Scan calls fn with every key under prefix and its value, in key order,
// inside txn; k and v are valid only during the call. It stops at the
// first error fn returns, or when ctx ends. Values are read as fn comes to
// them, not prefetched: Badger prefetches each value in a goroutine of its
// own (Iterator.fill) and Item.Value waits for it, a goroutine, a copy and
// a wait for every key scanned (BenchmarkScan, 100,000 values of 200
// bytes: 104 -> 46 ms of CPU, 101,000 -> 62 allocations; BENCHMARKS.md,
// load8).
func Scan(ctx context.Context, txn *badger.Txn, prefix []byte, fn func(k, v []byte) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		item := it.Item()
		if err := item.Value(func(v []byte) error { return fn(item.Key(), v) }); err != nil {
			return err
		}
	}
	return nil
}

// CheckSpace refuses to go on when dir's file system has less than min
// bytes free (diskspace.CheckSpace). Badger needs room to write its
// tables and compact them.
func CheckSpace(dir string, min uint64, full error) error {
	return diskspace.CheckSpace(dir, min, full)
}

// Classify wraps err in full when it is a full disk (diskspace.Classify).
func Classify(err, full error) error { return diskspace.Classify(err, full) }

// FreeBytes is the space available to this user on dir's file system.
func FreeBytes(dir string) (uint64, error) { return diskspace.FreeBytes(dir) }
