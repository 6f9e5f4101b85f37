package public

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/syncserver/internal/store/pgstore"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// The register on PostgreSQL, as a deployment of several processes runs
// it: appeals published, changed and taken off through one process's
// ingester, and the register of another process on the same database
// following the projection by its changes, always what reading it whole
// shows.
func TestViewFollowsChangesPostgres(t *testing.T) {
	url := pgtest.URL(t)
	open := func() *pgstore.Store {
		st, err := pgstore.Open(context.Background(), url, pgstore.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	writer, reader := open(), open()
	viewFollowsChanges(t, newWorldOn(t, GuardConfig{}, writer), reader)
}

// BenchmarkViewPostgres is BenchmarkPages's view on PostgreSQL: 20,000
// appeals published through one process, the view made by another.
func BenchmarkViewPostgres(b *testing.B) {
	url := pgtest.URL(b)
	open := func() *pgstore.Store {
		st, err := pgstore.Open(context.Background(), url, pgstore.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return st
	}
	writer, reader := open(), open()
	w := newWorldOn(b, GuardConfig{}, writer)
	w.publishMany(b, 20000)
	benchView(b, w, reader)
}
