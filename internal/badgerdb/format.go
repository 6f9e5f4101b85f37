package badgerdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/version"
)

// ErrNewerFormat is what a store written by a later release of Kenesh, in
// a format this build does not know, is refused with (always as a
// *NewerFormatError, which says which release wrote it).
var ErrNewerFormat = errors.New("the data was written by a newer Kenesh")

// Format is the format of a store's keys and values, kept in the store
// under Key as a Stamp, so that a release reads what an older one wrote
// and refuses what a newer one wrote instead of misreading it.
//
// A store without a stamp is of format 0 when it holds anything (every
// store written before formats were kept), or new when it holds nothing.
type Format struct {
	// Key is where the stamp is kept (a meta key of the store).
	Key []byte
	// Current is the format this build writes.
	Current int
	// Migrations take a store from an older format to the next, in
	// order: Migrations[i] takes format i to i+1, so len(Migrations) ==
	// Current. Each runs before its stamp is written and may use several
	// transactions: it must be safe to run again (a crash between the two
	// runs it again at the next open).
	Migrations []Migration
	// What names the store in messages: "this laptop's data".
	What string
}

// Migration takes a store from one format to the next.
type Migration struct {
	// Name says what changes, for the log.
	Name string
	Run  func(ctx context.Context, db *badger.DB) error
}

// Stamp is what a store keeps of its format: the format and the release
// that wrote it (version.String(): "dev" for a build without a release).
type Stamp struct {
	Format  int    `json:"format"`
	Release string `json:"release"`
}

// NewerFormatError says that a store is of a format this build does not
// read, and which release wrote it.
type NewerFormatError struct {
	What    string // "this laptop's data"
	Found   Stamp  // what the store says
	Reads   int    // the newest format this build reads
	Release string // this build's release
}

func (e *NewerFormatError) Error() string {
	by := "Kenesh " + e.Found.Release
	install := "install Kenesh " + e.Found.Release + " or newer"
	if e.Found.Release == version.Dev || e.Found.Release == "" {
		by = "a development build of Kenesh"
		install = "install a release of Kenesh that reads it"
	}
	return fmt.Sprintf("%s was written by %s (format %d), and this is Kenesh %s, which reads formats up to %d: %s; nothing was changed",
		e.What, by, e.Found.Format, e.Release, e.Reads, install)
}

// Is makes errors.Is(err, ErrNewerFormat) hold.
func (e *NewerFormatError) Is(target error) bool { return target == ErrNewerFormat }

// ReadStamp returns the store's stamp; ok is false when it has none.
func (f Format) ReadStamp(db *badger.DB) (st Stamp, ok bool, err error) {
	err = db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(f.Key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ok = true
		return item.Value(func(v []byte) error {
			if err := json.Unmarshal(v, &st); err != nil || st.Format < 1 {
				return fmt.Errorf("%s: its format stamp %q is damaged", f.What, v)
			}
			return nil
		})
	})
	return st, ok, err
}

// Prepare brings db to the current format before anything else reads or
// writes it: a new, empty store is stamped; an older one is migrated, a
// migration at a time, each followed by its stamp; a newer one is refused
// with a *NewerFormatError and nothing written. log (nil: none) says what
// was migrated.
func (f Format) Prepare(ctx context.Context, db *badger.DB, log *slog.Logger) error {
	if len(f.Migrations) != f.Current {
		return fmt.Errorf("%s: format %d with %d migrations (a bug)", f.What, f.Current, len(f.Migrations))
	}
	st, ok, err := f.ReadStamp(db)
	if err != nil {
		return err
	}
	if !ok {
		empty, err := isEmpty(db)
		if err != nil {
			return err
		}
		if empty {
			return f.stamp(db, f.Current)
		}
		st = Stamp{Format: 0}
	}
	if st.Format > f.Current {
		return &NewerFormatError{What: f.What, Found: st, Reads: f.Current, Release: version.String()}
	}
	for n := st.Format; n < f.Current; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		m := f.Migrations[n]
		if err := m.Run(ctx, db); err != nil {
			return fmt.Errorf("%s: migrating from format %d to %d (%s): %w", f.What, n, n+1, m.Name, err)
		}
		if err := f.stamp(db, n+1); err != nil {
			return err
		}
		if log != nil {
			log.Info("store format migrated", "store", f.What, "from", n, "to", n+1, "what", m.Name)
		}
	}
	return nil
}

func (f Format) stamp(db *badger.DB, n int) error {
	b, err := json.Marshal(Stamp{Format: n, Release: version.String()})
	if err != nil {
		return err
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set(f.Key, b) }); err != nil {
		return fmt.Errorf("%s: writing its format: %w", f.What, err)
	}
	return nil
}

func isEmpty(db *badger.DB) (bool, error) {
	empty := true
	err := db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: false})
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		return nil
	})
	return empty, err
}
