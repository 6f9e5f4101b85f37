package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/shared/changeset"
)

// TestFormat: a new store is stamped with this release's format; a store
// from before formats were kept (no stamp) is migrated at open; one
// stamped by a later release with a newer format is refused with a
// message naming that release, and left as it was; the same goes for a
// backup loaded into a new store.
func TestFormat(t *testing.T) {
	ctx := context.Background()
	dir, key := t.TempDir(), newKey(t)
	s, err := Open(ctx, dir, key, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f, err := s.Format(); err != nil || f.Format != storeFormat.Current || f.Release != "dev" {
		t.Fatalf("a new store's format: %+v %v", f, err)
	}
	var st changeset.State
	if err := s.Commit(ctx, []Write{write("dev1", 1, 100, "r1", "kept", &st)}, nil); err != nil {
		t.Fatal(err)
	}
	// A store as releases up to 0.4 left it: no stamp.
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(metaKey("format")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, dir, key, Options{})
	if err != nil {
		t.Fatalf("a store of format 0: %v", err)
	}
	if f, _ := s.Format(); f.Format != storeFormat.Current {
		t.Fatalf("not migrated: %+v", f)
	}
	if got, err := s.State(ctx, "appeal", "r1"); err != nil || string(got.Fields["summary"].Value) != `"kept"` {
		t.Fatalf("after the migration: %+v %v", got, err)
	}

	// A backup of it, for later.
	var backup bytes.Buffer
	if err := s.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}

	// A later release's format.
	newer := []byte(`{"format":99,"release":"3.1.0"}`)
	if err := s.SetMeta(ctx, map[string][]byte{"format": newer}); err != nil {
		t.Fatal(err)
	}
	var newerBackup bytes.Buffer
	if err := s.Backup(ctx, &newerBackup); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, dir, key, Options{})
	var nf *NewerFormatError
	if !errors.Is(err, ErrNewerFormat) || !errors.As(err, &nf) || nf.Found.Release != "3.1.0" ||
		!strings.Contains(err.Error(), "this laptop's data was written by Kenesh 3.1.0 (format 99)") ||
		!strings.Contains(err.Error(), "install Kenesh 3.1.0 or newer") {
		t.Fatalf("a newer store: %v", err)
	}
	// Left as it was: the stamp is still the newer one, the record there.
	db, err := badger.Open(badger.DefaultOptions(dir + "/" + DataDir).WithEncryptionKey(key).WithIndexCacheSize(1 << 20).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := storeFormat.ReadStamp(db)
	db.Close()
	if err != nil || f.Format != 99 {
		t.Fatalf("the refused store's stamp: %+v %v", f, err)
	}

	// Backups: one of format 1 loads; one of a newer format is refused.
	for _, c := range []struct {
		name   string
		backup *bytes.Buffer
		newer  bool
	}{{"this format", &backup, false}, {"newer", &newerBackup, true}} {
		r, err := Open(ctx, t.TempDir(), newKey(t), Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = r.Load(ctx, c.backup)
		if c.newer != errors.Is(err, ErrNewerFormat) || (!c.newer && err != nil) {
			t.Errorf("%s: Load: %v", c.name, err)
		}
		if !c.newer {
			if f, _ := r.Format(); f.Format != storeFormat.Current {
				t.Errorf("%s: loaded format %+v", c.name, f)
			}
		}
		r.Close()
	}
}
