package badgerstore

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// pushRewrites appends, for each of the records in turn, n operations
// (one per Append, as a spread backlog comes), each merged into the state
// read and put again, as the ingester does: a create if there was none.
func pushRewrites(t *testing.T, st *Store, ids []string, seq *uint64, n int) {
	t.Helper()
	ctx := context.Background()
	for range n {
		for _, id := range ids {
			*seq++
			op := groupOp("dev", *seq, id, fmt.Sprint("v", *seq))
			err := st.Append(ctx, func(w store.LogTx) error {
				s, err := w.State("appeal", id)
				if err != nil {
					return err
				}
				op.Action = changeset.ActionUpdate
				if s == nil {
					s = &changeset.State{}
					op.Action = changeset.ActionCreate
				}
				if err := s.Merge(op); err != nil {
					return err
				}
				if _, err := w.Accept(op, store.Index{Council: "NRN-ATB"}); err != nil {
					return err
				}
				return w.PutState(s)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkStatesAreTheLog fails unless every state in st is the merge of its
// record's operations in the log, and every record of the log has one.
func checkStatesAreTheLog(t *testing.T, st *Store) {
	t.Helper()
	ctx := context.Background()
	want := map[string]*changeset.State{}
	err := st.EachOp(ctx, 0, func(_ uint64, op *changeset.Op) error {
		if want[op.Record] == nil {
			want[op.Record] = &changeset.State{}
		}
		return want[op.Record].Merge(op)
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = st.EachState(ctx, "", func(s *changeset.State) error {
		a, _ := s.AppendBinary(nil)
		b, _ := want[s.ID].AppendBinary(nil)
		if !bytes.Equal(a, b) {
			return fmt.Errorf("state %s: %s, want %s", s.ID, s.Fields["summary"].Value, want[s.ID].Fields["summary"].Value)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Fatalf("%d states, %d records in the log", n, len(want))
	}
}

// The states put, rewritten or created alone, are written to Badger in windows;
// a crash loses those not written yet, and Open merges the operations
// logged after the last window into the states again, whether a window
// was written in between or not. A backup made while states are dirty
// restores them too.
func TestStatesAfterACrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, dir, Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	ids := newIDs(40)
	var seq uint64
	pushRewrites(t, st, ids, &seq, 3)
	if len(st.states.dirty) != len(ids) {
		t.Fatalf("%d states dirty, want %d", len(st.states.dirty), len(ids))
	}
	// A window written, then more rewrites left dirty.
	if err := st.flushStates(); err != nil {
		t.Fatal(err)
	}
	if len(st.states.dirty) != 0 {
		t.Fatalf("%d states dirty after a window was written", len(st.states.dirty))
	}
	pushRewrites(t, st, ids, &seq, 2)
	// Read through the cache, before anything is written.
	if s, err := st.State(ctx, "appeal", ids[0]); err != nil || string(s.Fields["summary"].Value) != fmt.Sprintf(`"v%d"`, seq-uint64(len(ids))+1) {
		t.Fatalf("the state read: %+v %v", s, err)
	}
	// Records created after the window: dirty, none in Badger.
	pushRewrites(t, st, newIDs(10), &seq, 1)
	var backup bytes.Buffer
	if err := st.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	pushRewrites(t, st, ids[:10], &seq, 1)
	pushRewrites(t, st, newIDs(5), &seq, 1)

	// The crash: Badger holds what it committed, the dirty states are lost.
	if err := st.db.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err = Open(ctx, dir, Options{Small: true, MinFree: 1}); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkStatesAreTheLog(t, st)
	if st.states.mark != seq || st.states.head != seq {
		t.Fatalf("mark %d, head %d after the start, want %d", st.states.mark, st.states.head, seq)
	}
	// Rewritten after the start, as before.
	pushRewrites(t, st, ids, &seq, 1)
	checkStatesAreTheLog(t, st)

	restored := t.TempDir()
	if err := Restore(ctx, restored, &backup, Options{Small: true, MinFree: 1}); err != nil {
		t.Fatal(err)
	}
	rs, err := Open(ctx, restored, Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	checkStatesAreTheLog(t, rs)
	if h, err := rs.Head(ctx); err != nil || h != uint64(5*len(ids)+10) {
		t.Fatalf("restored head %d %v, want %d", h, err, 5*len(ids)+10)
	}
}

// newIDs makes n record ids.
func newIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = domain.NewID()
	}
	return ids
}

// A created record's state that nothing rewrites is written and forgotten
// once the log has gone createdAge operations past it, without the mark
// moving or the rewritten states being written; a crash after it merges
// the log into the same states.
func TestOldCreatedStatesWritten(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, dir, Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	st.states.createdAge = 20
	first := newIDs(10)
	var seq uint64
	pushRewrites(t, st, first, &seq, 1)
	pushRewrites(t, st, first[:3], &seq, 1) // rewritten: dirty until a window
	later := newIDs(10)
	pushRewrites(t, st, later, &seq, 1) // head 23: the first created are 22 old
	for i, id := range first {
		held, dirty, rewritten := kept(st, id)
		switch {
		case i < 3 && (!held || !dirty || !rewritten):
			t.Fatalf("rewritten %s: held %v, dirty %v, rewritten %v; want kept dirty", id, held, dirty, rewritten)
		case i >= 3 && held:
			t.Fatalf("created %s, 20 operations old, still held (dirty %v)", id, dirty)
		}
		if i >= 3 {
			var b []byte
			if err := st.view(ctx, func(x *txn) (err error) { b, _, err = x.get(stateKey("appeal", id)); return err }); err != nil || b == nil {
				t.Fatalf("created %s is not in Badger: %v", id, err)
			}
		}
	}
	for _, id := range later {
		if held, dirty, _ := kept(st, id); !held || !dirty {
			t.Fatalf("created %s, young: held %v, dirty %v", id, held, dirty)
		}
	}
	if st.states.mark != 0 {
		t.Fatalf("mark %d, want 0: no window was written", st.states.mark)
	}
	// Rewritten after being forgotten: read from Badger.
	pushRewrites(t, st, first[3:5], &seq, 1)
	if s, err := st.State(ctx, "appeal", first[4]); err != nil || string(s.Fields["summary"].Value) != fmt.Sprintf(`"v%d"`, seq) {
		t.Fatalf("the state read: %+v %v", s, err)
	}

	// The crash: nothing but the old created states written.
	if err := st.db.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err = Open(ctx, dir, Options{Small: true, MinFree: 1}); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkStatesAreTheLog(t, st)
}

// A backup of a store early in its life (its mark and format stamp
// written at the first versions Badger gave, as low as those a new store
// writes when it is made) restores the states not written yet: the new
// store Restore loads it into writes nothing that would hide them (a
// deletion of the mark there hid the backup's, and the state created
// alone was not merged from the log).
func TestRestoreOfAYoungStore(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	id := newIDs(1)
	var seq uint64
	pushRewrites(t, st, id, &seq, 1)
	if _, dirty, _ := kept(st, id[0]); !dirty {
		t.Fatal("the created state is not dirty")
	}
	var backup bytes.Buffer
	if err := st.Backup(ctx, &backup); err != nil {
		t.Fatal(err)
	}
	st.Close()
	restored := t.TempDir()
	if err := Restore(ctx, restored, &backup, Options{Small: true, MinFree: 1}); err != nil {
		t.Fatal(err)
	}
	rs, err := Open(ctx, restored, Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if s, err := rs.State(ctx, "appeal", id[0]); err != nil || string(s.Fields["summary"].Value) != `"v1"` {
		t.Fatalf("the restored state: %+v, %v", s, err)
	}
	checkStatesAreTheLog(t, rs)
}
