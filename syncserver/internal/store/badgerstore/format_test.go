package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
)

// TestFormat: a new store is stamped; one from before formats were kept
// (no stamp) is migrated at open and by Restore; one stamped by a later
// release with a newer format is refused, naming that release, by Open
// and by Restore, and left as it was (Restore leaves nothing).
func TestFormat(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, 32)
	dir := filepath.Join(t.TempDir(), "srv")
	open := func(dir string) (*Store, error) { return Open(ctx, dir, Options{Small: true, MinFree: 1, Key: key}) }
	setStamp := func(s *Store, v []byte) {
		t.Helper()
		err := s.db.Update(func(txn *badger.Txn) error {
			if v == nil {
				return txn.Delete(metaKey("format"))
			}
			return txn.Set(metaKey("format"), v)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	count := func(s *Store) int {
		n := 0
		s.EachOp(ctx, 0, func(uint64, *changeset.Op) error { n++; return nil })
		return n
	}

	plaintextStore(t, dir) // one operation in the log
	s, err := open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := s.Format(); err != nil || f.Format != storeFormat.Current || f.Release != "dev" {
		t.Fatalf("format %+v %v", f, err)
	}
	setStamp(s, nil) // as releases up to 0.4 left it
	var old bytes.Buffer
	if err := s.Backup(ctx, &old); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = open(dir); err != nil {
		t.Fatalf("a store of format 0: %v", err)
	}
	if f, _ := s.Format(); f.Format != storeFormat.Current || count(s) != 1 {
		t.Fatalf("after migrating: format %+v, %d operations", f, count(s))
	}
	setStamp(s, []byte(`{"format":5,"release":"1.3.0"}`))
	var newer bytes.Buffer
	if err := s.Backup(ctx, &newer); err != nil {
		t.Fatal(err)
	}
	s.Close()

	_, err = open(dir)
	if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "the server's data was written by Kenesh 1.3.0 (format 5)") ||
		!strings.Contains(err.Error(), "install Kenesh 1.3.0 or newer") {
		t.Fatalf("a newer store: %v", err)
	}
	db, err := badger.Open(options(filepath.Join(dir, DataDir), Options{Small: true, Key: key}))
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := storeFormat.ReadStamp(db)
	db.Close()
	if err != nil || f.Format != 5 {
		t.Fatalf("the refused store was changed: %+v %v", f, err)
	}

	// Restore: format 0 migrated, newer refused with nothing left.
	into := filepath.Join(t.TempDir(), "old")
	if err := Restore(ctx, into, &old, Options{Small: true, MinFree: 1, Key: key}); err != nil {
		t.Fatal(err)
	}
	if s, err = open(into); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Format(); f.Format != storeFormat.Current || count(s) != 1 {
		t.Fatalf("restored format 0: %+v, %d operations", f, count(s))
	}
	s.Close()
	into = filepath.Join(t.TempDir(), "newer")
	err = Restore(ctx, into, &newer, Options{Small: true, MinFree: 1, Key: key})
	if !errors.Is(err, ErrNewerFormat) {
		t.Fatalf("restore of a newer backup: %v", err)
	}
	if entries, _ := os.ReadDir(into); len(entries) != 0 {
		t.Fatalf("a refused restore left %v", entries)
	}
}
