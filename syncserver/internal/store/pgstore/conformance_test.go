package pgstore

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func open(t testing.TB, url string) *Store {
	t.Helper()
	st, err := Open(context.Background(), url, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// twoProcesses opens two stores on one new database, as two server
// processes on one PostgreSQL; both are closed when t ends.
func twoProcesses(t *testing.T) (st, other *Store) {
	t.Helper()
	url := pgtest.URL(t)
	st, other = open(t, url), open(t, url)
	t.Cleanup(func() {
		st.Close()
		other.Close()
	})
	return st, other
}

// The storage contract's conformance suite, on a schema of its own per
// case; a second store on the same database is another server process.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	urls := map[store.Store]string{}
	opened := func(t testing.TB, url string) store.Store {
		st := open(t, url)
		mu.Lock()
		urls[st] = url
		mu.Unlock()
		return st
	}
	storetest.Suite{
		New: func(t testing.TB) store.Store { return opened(t, pgtest.URL(t)) },
		Reopen: func(t testing.TB, st store.Store) store.Store {
			t.Helper()
			mu.Lock()
			url := urls[st]
			mu.Unlock()
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			return opened(t, url)
		},
		Second: func(t testing.TB, st store.Store) store.Store {
			mu.Lock()
			url := urls[st]
			mu.Unlock()
			return opened(t, url)
		},
	}.Run(t)
}
