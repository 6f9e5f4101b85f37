package store

import (
	"context"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
)

// The store's format: the layout of its keys (keys.go) and the encodings
// of its values, kept under m:format with the release that wrote it.
// Open migrates a store of an older format and refuses one of a newer
// format (from a later release) with a *NewerFormatError; a restored
// backup is treated the same way.
//
// A change that an older release would misread (a key space whose meaning
// changes, a value encoding it cannot decode) takes a new format and its
// migration here. What versions itself needs none: operations and states
// carry their own encoding byte, index rows are derived again when their
// digest changes (records), and new key spaces are unseen by older code.
//
// Formats:
//
//	0  every store before formats were kept (releases up to 0.4): the layout of format 1, without a stamp
//	1  0.5.0: formats are kept
//	2  a bulk load writes a record's history of a window as one group (history.go), which a release of
//	   format 1 would misread (its history would stop at the group); nothing to migrate: format 1's
//	   entries are read as they are
var storeFormat = badgerdb.Format{
	Key:     metaKey("format"),
	Current: 2,
	What:    "this laptop's data",
	Migrations: []badgerdb.Migration{
		{Name: "formats are kept from now on; the layout is unchanged", Run: func(context.Context, *badger.DB) error { return nil }},
		{Name: "histories may hold groups from now on; the entries there are read as they are", Run: func(context.Context, *badger.DB) error { return nil }},
	},
}

// ErrNewerFormat is returned (as a *NewerFormatError, which names the
// release that wrote the data) for a store or a backup written by a later
// release of Kenesh, in a format this one does not read. Nothing of it was
// changed.
var ErrNewerFormat = badgerdb.ErrNewerFormat

// NewerFormatError says which release wrote a store this one cannot read.
type NewerFormatError = badgerdb.NewerFormatError

// Format is the store's format stamp: its format and the release that
// wrote it.
func (s *Store) Format() (badgerdb.Stamp, error) {
	st, _, err := storeFormat.ReadStamp(s.db)
	return st, err
}
