package badgerstore

import (
	"context"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
)

// The store's format: the layout of its keys (keys.go) and the encodings
// of its values, kept under m:format with the release that wrote it. Open
// migrates a store of an older format and refuses one of a newer format
// (a later release's) with a *badgerdb.NewerFormatError, before anything
// reads or writes it; Restore does the same with what it loaded.
//
// A change an older release would misread takes a new format and its
// migration here. What versions itself needs none: operations and states
// carry their own encoding byte, the public projection its rule
// (metaPublicRule), and new key spaces are unseen by older code.
//
// Formats:
//
//	0  every store before formats were kept (releases up to 0.4): the layout of format 1, without a stamp
//	1  0.5.0: formats are kept
//	2  the batched log: the log, the pull indexes and the judgements an entry per Append, not per operation (batch.go, migrate.go)
//	3  log batches may be packed (S2, batch.go); those of format 2 are read as they are
//	4  records' states may be behind the log, up to m:states_at (dirty.go): a release before it would miss the operations after
var storeFormat = badgerdb.Format{
	Key:     metaKey("format"),
	Current: 4,
	What:    "the server's data",
	Migrations: []badgerdb.Migration{
		{Name: "formats are kept from now on; the layout is unchanged", Run: func(context.Context, *badger.DB) error { return nil }},
		{Name: "the log, its pull indexes and the judgements are kept in batches, a change set per entry", Run: batchLog},
		{Name: "log batches are packed from now on; those written before are read as they are", Run: func(context.Context, *badger.DB) error { return nil }},
		{Name: "records' states are written in windows from now on; a store without the mark holds every state", Run: func(context.Context, *badger.DB) error { return nil }},
	},
}

// ErrNewerFormat is returned (as a *badgerdb.NewerFormatError, which
// names the release that wrote the data) for a store or a backup written
// by a later release, in a format this one does not read. Nothing of it
// was changed.
var ErrNewerFormat = badgerdb.ErrNewerFormat

// Format is the store's format stamp: its format and the release that
// wrote it.
func (s *Store) Format() (badgerdb.Stamp, error) {
	st, _, err := storeFormat.ReadStamp(s.db)
	return st, err
}
