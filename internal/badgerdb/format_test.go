package badgerdb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func memDB(t *testing.T) *badger.DB {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions("").WithInMemory(true).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func set(t *testing.T, db *badger.DB, k, v string) {
	t.Helper()
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(k), []byte(v)) }); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, db *badger.DB, k string) string {
	t.Helper()
	var v []byte
	err := db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(k))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

// testFormat is of format 2: format 1 renamed key "old" to "new", format 2
// upper-cased its value. Each migration counts its runs in *runs.
func testFormat(runs *[]string) Format {
	return Format{
		Key:     []byte("m:format"),
		Current: 2,
		What:    "the test data",
		Migrations: []Migration{
			{Name: "old becomes new", Run: func(_ context.Context, db *badger.DB) error {
				*runs = append(*runs, "1")
				return db.Update(func(txn *badger.Txn) error {
					item, err := txn.Get([]byte("old"))
					if errors.Is(err, badger.ErrKeyNotFound) {
						return nil // already done: a migration runs again after a crash
					}
					if err != nil {
						return err
					}
					v, err := item.ValueCopy(nil)
					if err != nil {
						return err
					}
					if err := txn.Set([]byte("new"), v); err != nil {
						return err
					}
					return txn.Delete([]byte("old"))
				})
			}},
			{Name: "upper case", Run: func(_ context.Context, db *badger.DB) error {
				*runs = append(*runs, "2")
				return db.Update(func(txn *badger.Txn) error {
					item, err := txn.Get([]byte("new"))
					if err != nil {
						return err
					}
					v, err := item.ValueCopy(nil)
					if err != nil {
						return err
					}
					return txn.Set([]byte("new"), []byte(strings.ToUpper(string(v))))
				})
			}},
		},
	}
}

func TestFormatPrepare(t *testing.T) {
	ctx := context.Background()
	t.Run("a new store is stamped and migrates nothing", func(t *testing.T) {
		var runs []string
		db := memDB(t)
		f := testFormat(&runs)
		if err := f.Prepare(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		st, ok, err := f.ReadStamp(db)
		if err != nil || !ok || st.Format != 2 || st.Release != "dev" || len(runs) != 0 {
			t.Fatalf("stamp %+v %v %v, runs %v", st, ok, err, runs)
		}
	})
	t.Run("a store without a stamp is format 0 and goes through every migration", func(t *testing.T) {
		var runs []string
		db := memDB(t)
		set(t, db, "old", "value")
		f := testFormat(&runs)
		if err := f.Prepare(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		if get(t, db, "new") != "VALUE" || get(t, db, "old") != "" || strings.Join(runs, ",") != "1,2" {
			t.Fatalf("new %q old %q runs %v", get(t, db, "new"), get(t, db, "old"), runs)
		}
		if st, _, _ := f.ReadStamp(db); st.Format != 2 {
			t.Fatalf("stamp %+v", st)
		}
		// Opened again: nothing more.
		if err := f.Prepare(ctx, db, nil); err != nil || len(runs) != 2 {
			t.Fatalf("%v, runs %v", err, runs)
		}
	})
	t.Run("a store of format 1 goes through the second migration only", func(t *testing.T) {
		var runs []string
		db := memDB(t)
		set(t, db, "new", "value")
		set(t, db, "m:format", `{"format":1,"release":"0.5.0"}`)
		if err := testFormat(&runs).Prepare(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		if get(t, db, "new") != "VALUE" || strings.Join(runs, ",") != "2" {
			t.Fatalf("new %q runs %v", get(t, db, "new"), runs)
		}
	})
	t.Run("a failed migration leaves the old stamp, and runs again next time", func(t *testing.T) {
		var runs []string
		db := memDB(t)
		set(t, db, "m:format", `{"format":1,"release":"0.5.0"}`) // "new" is missing: the second migration fails
		f := testFormat(&runs)
		err := f.Prepare(ctx, db, nil)
		if err == nil || !strings.Contains(err.Error(), "from format 1 to 2 (upper case)") {
			t.Fatalf("err %v", err)
		}
		if st, _, _ := f.ReadStamp(db); st.Format != 1 {
			t.Fatalf("stamp %+v after a failed migration", st)
		}
		set(t, db, "new", "x")
		if err := f.Prepare(ctx, db, nil); err != nil || get(t, db, "new") != "X" {
			t.Fatalf("%v %q", err, get(t, db, "new"))
		}
	})
	t.Run("a newer store is refused, naming the release that wrote it, and left as it was", func(t *testing.T) {
		for _, c := range []struct{ stamp, want string }{
			{`{"format":3,"release":"0.9.1"}`, "the test data was written by Kenesh 0.9.1 (format 3), and this is Kenesh dev, which reads formats up to 2: install Kenesh 0.9.1 or newer; nothing was changed"},
			{`{"format":7,"release":"dev"}`, "written by a development build of Kenesh (format 7)"},
		} {
			var runs []string
			db := memDB(t)
			set(t, db, "old", "value")
			set(t, db, "m:format", c.stamp)
			err := testFormat(&runs).Prepare(ctx, db, nil)
			var nf *NewerFormatError
			if !errors.Is(err, ErrNewerFormat) || !errors.As(err, &nf) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if len(runs) != 0 || get(t, db, "old") != "value" || get(t, db, "m:format") != c.stamp {
				t.Fatalf("a refused store was changed: runs %v", runs)
			}
		}
	})
	t.Run("a damaged stamp is an error, not format 0", func(t *testing.T) {
		var runs []string
		db := memDB(t)
		set(t, db, "m:format", `{"format":0}`)
		if err := testFormat(&runs).Prepare(ctx, db, nil); err == nil || !strings.Contains(err.Error(), "damaged") || len(runs) != 0 {
			t.Fatalf("err %v runs %v", err, runs)
		}
	})
}
