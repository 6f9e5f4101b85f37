package badgerstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// The changes of the projection are kept for publicChangesKept versions:
// older ones are deleted (so their keys do not grow without end) and a
// reader that far behind is told to read the projection whole; a store
// whose projection was written before changes were kept says the same
// for the versions before.
func TestPublicChangesPruned(t *testing.T) {
	kept, prune := publicChangesKept, publicChangesPrune
	publicChangesKept, publicChangesPrune = 10, 4
	t.Cleanup(func() { publicChangesKept, publicChangesPrune = kept, prune })
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	for i := range 30 { // versions 1 to 30, each changing one appeal
		id := domain.NewID()
		ids = append(ids, id)
		err := st.Append(ctx, func(w store.LogTx) error {
			p := &store.PublicAppeal{ID: id}
			p.RegNo = fmt.Sprint("NRN-ATB-2026-K7QH-", i)
			return w.PutPublicAppeal(p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	since := func(n uint64) (got []string, complete bool) {
		err := st.ReadPublic(ctx, func(r store.PublicReader) (err error) {
			complete, err = r.(store.PublicChangeReader).AppealsChangedSince(n, func(id string) error { got = append(got, id); return nil })
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, complete
	}
	// Pruned last at version 28: the changes of versions 18 on are kept.
	if _, complete := since(5); complete {
		t.Error("changes since version 5 said complete; they were deleted")
	}
	got, complete := since(17)
	if !complete || len(got) != 13 || got[0] != ids[17] || got[12] != ids[29] {
		t.Errorf("since 17: complete %v, %d ids (want the 13 of versions 18-30)", complete, len(got))
	}
	var keys int
	err = st.view(ctx, func(x *txn) error {
		it := x.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spacePublicChange)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			keys++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if keys != 13 {
		t.Errorf("%d change keys kept, want 13", keys)
	}
	// A projection older than the changes: none before the first kept.
	if err := st.db.Update(func(t2 *badger.Txn) error { return t2.Delete(metaKey(metaPublicChangesFrom)) }); err != nil {
		t.Fatal(err)
	}
	if _, complete := since(29); complete {
		t.Error("a store that never kept changes said they were complete")
	}
}
