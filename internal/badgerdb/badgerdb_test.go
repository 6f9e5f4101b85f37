package badgerdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
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

func TestCheckSpaceAndClassify(t *testing.T) {
	full := errors.New("disk full")
	dir := t.TempDir()
	free, err := FreeBytes(dir)
	if err != nil {
		t.Skipf("free space unreadable here: %v", err)
	}
	for _, c := range []struct {
		name string
		dir  string
		min  uint64
		want bool // full
	}{
		{"enough room", dir, 1, false},
		{"less than the reserve", dir, free + 1<<40, true},
		{"in memory", "", 1 << 62, false},
		{"unreadable: the write will tell", filepath.Join(dir, "absent"), 1 << 62, false},
	} {
		err := CheckSpace(c.dir, c.min, full)
		if got := errors.Is(err, full); got != c.want {
			t.Errorf("%s: CheckSpace = %v, want full %v", c.name, err, c.want)
		}
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("write: %w", syscall.ENOSPC), true},
		{errors.New("sync vlog: no space left on device"), true},
		{errors.New("permission denied"), false},
	} {
		if got := errors.Is(Classify(c.err, full), full); got != c.want {
			t.Errorf("Classify(%v) full = %v, want %v", c.err, got, c.want)
		}
	}
}
