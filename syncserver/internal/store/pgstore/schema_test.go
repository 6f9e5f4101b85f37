package pgstore

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Processes starting together on a new database migrate it once; a
// database migrated by a newer binary is refused with what to do.
func TestSchemaMigratedOnceAndNewerRefused(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(ctx, url, Options{Logger: quiet})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	st := stores[0]
	var n, max int
	if err := st.pool.QueryRow(ctx, `SELECT count(*), max(version) FROM schema_version`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != SchemaVersion() || max != SchemaVersion() || n == 0 {
		t.Fatalf("schema_version holds %d rows up to %d, want 1..%d once each", n, max, SchemaVersion())
	}
	var heads int
	if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM log_state`).Scan(&heads); err != nil || heads != 1 {
		t.Fatalf("log_state holds %d rows (%v), want 1", heads, err)
	}
	// Two processes' secrets are one.
	a, err := stores[1].Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := stores[2].Secret(ctx); err != nil || !bytes.Equal(a, b) || len(a) != 32 {
		t.Fatalf("secrets %x and %x (%v)", a, b, err)
	}

	if _, err := st.pool.Exec(ctx, `INSERT INTO schema_version (version, name) VALUES ($1, 'from_the_future')`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, url, Options{Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "run a newer kenesh-syncserver") {
		t.Fatalf("a newer schema: %v", err)
	}
}

// A URL that does not parse, and a database that is not there, say so.
func TestOpenErrors(t *testing.T) {
	pgtest.Shared(t)
	ctx := context.Background()
	if _, err := Open(ctx, "postgres://%zz", Options{Logger: quiet}); err == nil || !strings.Contains(err.Error(), "--postgres wants") {
		t.Fatalf("a bad URL: %v", err)
	}
	u := "postgres://kenesh@/nosuchdb?host=" + pgtest.Shared(t).Socket()
	if _, err := Open(ctx, u, Options{Logger: quiet}); err == nil || !strings.Contains(err.Error(), "nosuchdb") {
		t.Fatalf("a missing database: %v", err)
	}
}

// A process stuck in the middle of an append (frozen, or cut off from the
// database) does not hold the log for ever: PostgreSQL ends its
// transaction, and another process's append goes through.
func TestStuckAppendLetsGo(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	stuck, err := Open(ctx, url, Options{Logger: quiet, IdleInTransaction: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	other := open(t, url)
	defer other.Close()
	locked := make(chan struct{})
	stuckErr := make(chan error, 1)
	go func() {
		stuckErr <- stuck.Append(ctx, func(w store.LogTx) error {
			close(locked)
			time.Sleep(3 * time.Second) // a frozen process: no statement for longer than the timeout
			return w.SetClock(1)
		})
	}()
	<-locked
	t0 := time.Now()
	if err := other.Append(ctx, func(w store.LogTx) error { return w.SetClock(2) }); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 2500*time.Millisecond {
		t.Fatalf("another process waited %v for the log", d)
	}
	if err := <-stuckErr; err == nil {
		t.Fatal("the stuck append committed after PostgreSQL ended its transaction")
	}
}
