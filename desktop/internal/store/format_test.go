package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
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
		dir, key := t.TempDir(), newKey(t)
		err = Restore(ctx, dir, key, c.backup, Options{})
		if c.newer != errors.Is(err, ErrNewerFormat) || (!c.newer && err != nil) {
			t.Errorf("%s: Restore: %v", c.name, err)
		}
		if !c.newer {
			r, err := Open(ctx, dir, key, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f, _ := r.Format(); f.Format != storeFormat.Current {
				t.Errorf("%s: loaded format %+v", c.name, f)
			}
			r.Close()
		}
	}
}

// TestRestoreOfAYoungBackup: a backup's format stamp counts, even when it
// was its store's first write. Badger's Load keeps the backup's versions,
// so a key the new store wrote before the load (its own stamp, or the
// deletion of it) at a version as low as the backup's would hide the
// backup's: a young store of a later release then came back as format 0
// and was "migrated" instead of refused, and one of this release would go
// through every migration again.
func TestRestoreOfAYoungBackup(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		stamp string
		newer bool
	}{
		{"a later release's", `{"format":99,"release":"3.1.0"}`, true},
		{"this release's", fmt.Sprintf(`{"format":%d,"release":"dev"}`, storeFormat.Current), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A young store as that release leaves it: its stamp the
			// first thing written, a record after it.
			key := newKey(t)
			db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithEncryptionKey(key).WithIndexCacheSize(1 << 20).WithLogger(nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(txn *badger.Txn) error { return txn.Set(metaKey("format"), []byte(c.stamp)) }); err != nil {
				t.Fatal(err)
			}
			if err := db.Update(func(txn *badger.Txn) error { return txn.Set(metaKey("device"), []byte("young")) }); err != nil {
				t.Fatal(err)
			}
			var backup bytes.Buffer
			if _, err := db.NewStream().Backup(&backup, 0); err != nil {
				t.Fatal(err)
			}
			db.Close()

			var migrated bytes.Buffer
			dir := t.TempDir()
			err = Restore(ctx, dir, newKey(t), &backup, Options{Logger: slog.New(slog.NewTextHandler(&migrated, nil))})
			if c.newer {
				if !errors.Is(err, ErrNewerFormat) || !strings.Contains(err.Error(), "Kenesh 3.1.0") {
					t.Fatalf("a later release's young backup: %v, want refused as written by Kenesh 3.1.0", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(migrated.String(), "migrated") {
				t.Errorf("a backup of this release's format was migrated again:\n%s", migrated.String())
			}
		})
	}
}
