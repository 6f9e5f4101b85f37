package badgerdb

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// A value-log file left empty by a kill while Badger created it must not
// stop the store from opening.
func TestOpenAfterAKillLeftAnEmptyValueLog(t *testing.T) {
	dir := t.TempDir()
	opts := badger.DefaultOptions(dir).WithLogger(Logger{}).WithEncryptionKey(make([]byte, 32)).WithIndexCacheSize(1 << 20)
	db, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	vlogs, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if len(vlogs) == 0 {
		t.Fatal("no value log")
	}
	// What the kill leaves: the next value-log file, created and empty.
	empty := filepath.Join(dir, "000099.vlog")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := badger.Open(opts); err == nil {
		t.Skip("this Badger opens an empty value log by itself: the retry is no longer needed")
	}
	os.WriteFile(empty, nil, 0o600) // the failed open wrote its header
	db, err = Open(opts)
	if err != nil {
		t.Fatalf("open after the kill: %v", err)
	}
	defer db.Close()
	err = db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte("k"))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if string(v) != "v" {
				t.Errorf("value %q", v)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
