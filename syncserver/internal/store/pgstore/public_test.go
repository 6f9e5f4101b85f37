package pgstore

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// changedSince is what a snapshot's AppealsChangedSince(n) says.
func changedSince(t *testing.T, st *Store, n uint64) (ids []string, complete bool) {
	t.Helper()
	err := st.ReadPublic(context.Background(), func(r store.PublicReader) (err error) {
		complete, err = r.(store.PublicChangeReader).AppealsChangedSince(n, func(id string) error { ids = append(ids, id); return nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, complete
}

// The changes of the projection are kept for publicChangesKept versions:
// older ones are deleted (so the table does not grow without end) and a
// reader that far behind is told to read the projection whole.
func TestPublicChangesPruned(t *testing.T) {
	kept, prune := publicChangesKept, publicChangesPrune
	publicChangesKept, publicChangesPrune = 10, 4
	t.Cleanup(func() { publicChangesKept, publicChangesPrune = kept, prune })
	ctx := context.Background()
	st := open(t, pgtest.URL(t))
	defer st.Close()
	var ids []string
	for i := range 30 { // versions 1 to 30, each changing one appeal
		id := domain.NewID()
		ids = append(ids, id)
		err := st.Append(ctx, func(w store.LogTx) error {
			p := &store.PublicAppeal{ID: id}
			p.RegNo = fmt.Sprint("NRN-ATB-2026-K7QH-", i)
			return w.PutPublicAppeal(p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Pruned last at version 28: the changes of versions 18 on are kept.
	if _, complete := changedSince(t, st, 5); complete {
		t.Error("changes since version 5 said complete; they were deleted")
	}
	got, complete := changedSince(t, st, 17)
	if !complete || !slices.Equal(got, ids[17:]) {
		t.Errorf("since 17: complete %v, %d ids (want the 13 of versions 18-30 in order)", complete, len(got))
	}
	var rows int
	if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM public_changes`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 13 {
		t.Errorf("%d rows of changes kept, want 13", rows)
	}
}

// openAt opens url's database with its schema brought to version v only,
// as a release of that schema left it.
func openAt(t *testing.T, url string, v int) *Store {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{pool: pool, log: quiet}
	if err := s.migrateTo(ctx, v); err != nil {
		pool.Close()
		t.Fatal(err)
	}
	return s
}

// oldPublish writes the projection as the releases before migration 3
// did, with no thought of its changes: appeal id put (or, with del, taken
// off) and the version stepped, under the log's lock.
func oldPublish(t *testing.T, st *Store, id string, del bool) {
	t.Helper()
	ctx := context.Background()
	tx, err := st.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	stmts := []string{`SELECT 1 FROM log_state FOR UPDATE`}
	if del {
		stmts = append(stmts, `DELETE FROM public_appeals WHERE id = $1`)
	} else {
		stmts = append(stmts, `INSERT INTO public_appeals (id, appeal) VALUES ($1, convert_to('{"id":"' || $1 || '","reg_no":"NRN-ATB-2026-K7QH-0001"}', 'UTF8'))
			ON CONFLICT (id) DO UPDATE SET appeal = EXCLUDED.appeal`)
	}
	stmts = append(stmts, `UPDATE log_state SET public_n = public_n + 1, public_at = clock_timestamp()`)
	for i, q := range stmts {
		var args []any
		if i == 1 {
			args = []any{id}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// A database whose projection an older release wrote keeps the changes
// from the version after it (a reader further behind reads it whole), and
// a process of that release still serving while a newer one migrated (a
// rolling upgrade) cannot change the projection unseen: the database
// notes its changes, not the server's code.
func TestPublicChangesAcrossUpgrade(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	old := openAt(t, url, 2)
	defer old.Close()
	a, b, c := domain.NewID(), domain.NewID(), domain.NewID()
	for range 5 { // versions 1 to 5
		oldPublish(t, old, a, false)
	}
	st := open(t, url) // the new release migrates it
	defer st.Close()
	if v, err := st.PublicVersion(ctx); err != nil || v.N != 5 {
		t.Fatalf("version %d (%v), want 5", v.N, err)
	}
	if _, complete := changedSince(t, st, 4); complete {
		t.Error("the changes of version 5, written before they were kept, said complete")
	}
	if got, complete := changedSince(t, st, 5); !complete || len(got) != 0 {
		t.Errorf("since 5: %v (complete %v), want none", got, complete)
	}
	oldPublish(t, old, b, false) // version 6, by the old release's code
	if got, complete := changedSince(t, st, 5); !complete || !slices.Equal(got, []string{b}) {
		t.Errorf("since 5, after the old release published b: %v (complete %v)", got, complete)
	}
	oldPublish(t, old, a, true)                       // version 7
	err := st.Append(ctx, func(w store.LogTx) error { // version 8
		p := &store.PublicAppeal{ID: c}
		p.RegNo = "NRN-ATB-2026-K7QH-0003"
		return w.PutPublicAppeal(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, complete := changedSince(t, st, 6)
	if !complete || !slices.Equal(got, []string{a, c}) {
		t.Errorf("since 6: %v (complete %v), want a (taken off by the old release), then c", got, complete)
	}
	// A put of what is there changes nothing: no version, no change.
	err = st.Append(ctx, func(w store.LogTx) error {
		p := &store.PublicAppeal{ID: c}
		p.RegNo = "NRN-ATB-2026-K7QH-0003"
		return w.PutPublicAppeal(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := st.PublicVersion(ctx); err != nil || v.N != 8 {
		t.Fatalf("version %d (%v) after putting c again, want 8", v.N, err)
	}
	if got, complete := changedSince(t, st, 8); !complete || len(got) != 0 {
		t.Errorf("since 8: %v (complete %v), want none", got, complete)
	}
}
