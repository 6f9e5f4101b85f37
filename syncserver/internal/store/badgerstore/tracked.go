package badgerstore

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
)

// trackedAppeals answers, without reading the store, that no web
// submission's tracking names an appeal: a bit per hash of an appeal's
// id, set for every appeal some tracking named since the store opened
// (Open sets those of the appeals' lists it finds, PutTracking those it
// adds to). A bit is never cleared, so the set holds at least every
// appeal with a list; it may hold others (another id of the same hash, a
// list since emptied), which are then read as before.
//
// TrackingsOfAppeal runs in the projection of every appeal an Append
// wrote, and nearly every appeal has no tracking: its Get of a key that
// is not there (a seek into every table level) was a tenth of the
// judging of a spread push (syncbench -spread).
type trackedAppeals struct {
	seed maphash.Seed
	bits [trackedBits / 64]atomic.Uint64
}

// trackedBits is the set's size: 128 KiB, nearly no false hits while
// fewer than tens of thousands of appeals came from web submissions.
const trackedBits = 1 << 20

func (t *trackedAppeals) bit(appeal string) (*atomic.Uint64, uint64) {
	h := maphash.String(t.seed, appeal) % trackedBits
	return &t.bits[h/64], 1 << (h % 64)
}

// add notes that a tracking may name appeal.
func (t *trackedAppeals) add(appeal string) {
	w, m := t.bit(appeal)
	w.Or(m)
}

// mayHave is false when no tracking names appeal.
func (t *trackedAppeals) mayHave(appeal string) bool {
	w, m := t.bit(appeal)
	return w.Load()&m != 0
}

// load sets the bits of the appeals whose lists db holds.
func (t *trackedAppeals) load(db *badger.DB) error {
	t.seed = maphash.MakeSeed()
	return db.View(func(x *badger.Txn) error {
		prefix := []byte(spaceTrackAppeal)
		it := x.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			t.add(string(it.Item().Key()[len(prefix):]))
		}
		return nil
	})
}
