package badgerstore

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/storetest"
)

// The storage contract's conformance suite, on Badger as the server runs
// it: encrypted, with the small caches of tests.
func TestConformance(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	opts := Options{Small: true, MinFree: 1, Key: key}
	var mu sync.Mutex
	dirs := map[store.Store]string{}
	open := func(t testing.TB, dir string) store.Store {
		t.Helper()
		st, err := Open(context.Background(), dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		dirs[st] = dir
		mu.Unlock()
		return st
	}
	storetest.Suite{
		New: func(t testing.TB) store.Store { return open(t, t.TempDir()) },
		Reopen: func(t testing.TB, st store.Store) store.Store {
			t.Helper()
			mu.Lock()
			dir := dirs[st]
			mu.Unlock()
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, dir)
		},
		Restore: func(t testing.TB, backup io.Reader) store.Store {
			t.Helper()
			dir := filepath.Join(t.TempDir(), "restored")
			if err := Restore(context.Background(), dir, backup, opts); err != nil {
				t.Fatal(err)
			}
			return open(t, dir)
		},
	}.Run(t)
}
