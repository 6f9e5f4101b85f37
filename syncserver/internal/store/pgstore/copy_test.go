package pgstore

import (
	"context"
	"errors"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var errFailed = errors.New("the function failed")

// A group that writes many new states sends them with COPY (copyMinRows),
// in the same transaction as the rest: with states it updates in the same
// group, each reads back as written; a function of the group that fails
// leaves none of its states, and a group whose COPY fails (a state
// another process wrote after the function read it absent cannot happen
// under the lock, so a duplicate is made by hand here) writes nothing.
func TestManyNewStatesCopied(t *testing.T) {
	ctx := context.Background()
	st, other := twoProcesses(t)
	dev := domain.NewID()
	mk := statesOf(t, dev)
	old := domain.NewID()
	if err := other.Append(ctx, func(w store.LogTx) error { return w.PutState(mk(old, 1)) }); err != nil {
		t.Fatal(err)
	}
	n := copyMinRows * 3
	ids := make([]string, n)
	for i := range ids {
		ids[i] = domain.NewID()
	}
	keys := []store.RecordKey{{Kind: "appeal", ID: old}}
	for _, id := range ids {
		keys = append(keys, store.RecordKey{Kind: "appeal", ID: id})
	}
	err := st.AppendKeyed(ctx, "", keys, func(w store.LogTx) error {
		for i, id := range ids {
			if err := w.PutState(mk(id, uint64(i+2))); err != nil {
				return err
			}
		}
		return w.PutState(mk(old, 1000))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{old: 1000}
	for i, id := range ids {
		want[id] = uint64(i + 2)
	}
	check := func() {
		t.Helper()
		got := 0
		err := other.EachState(ctx, "appeal", func(s *changeset.State) error {
			got++
			if seq, ok := want[s.ID]; !ok || s.Updated != mk(s.ID, seq).Updated {
				t.Errorf("state %s: %+v, want seq %d (known: %v)", s.ID, s, seq, ok)
			}
			return nil
		})
		if err != nil || got != len(want) {
			t.Fatalf("%d states, %v; want %d", got, err, len(want))
		}
	}
	check()

	// A failing function's many states go with it.
	more := make([]string, n)
	for i := range more {
		more[i] = domain.NewID()
	}
	err = st.Append(ctx, func(w store.LogTx) error {
		for _, id := range more {
			if _, err := w.State("appeal", id); err != nil {
				return err
			}
			if err := w.PutState(mk(id, 1)); err != nil {
				return err
			}
		}
		return errFailed
	})
	if err != errFailed {
		t.Fatalf("the failing function's append: %v", err)
	}
	check()

	// A COPY that fails fails the group: nothing of it is written.
	err = st.Append(ctx, func(x store.LogTx) error {
		w := x.(*logTx)
		for _, id := range more {
			if err := w.PutState(mk(id, 1)); err != nil {
				return err
			}
		}
		if err := w.PutState(mk(old, 5)); err != nil {
			return err
		}
		e := w.states["appeal:"+old]
		e.absent = true // as if read absent: COPY meets the row
		w.states["appeal:"+old] = e
		return nil
	})
	if err == nil {
		t.Fatal("a group whose COPY met an existing row committed")
	}
	check()
}
