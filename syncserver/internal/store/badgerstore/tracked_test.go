package badgerstore

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// TestTrackedAppeals: an appeal no tracking names is answered without a
// read (trackedAppeals), and one that some tracking names is found,
// whether the tracking was put since the store opened or before (a store
// opened again), and after a failed Append that put one.
func TestTrackedAppeals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, dir, Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	named, other, failed := domain.NewID(), domain.NewID(), domain.NewID()
	sub, sub2 := domain.NewID(), domain.NewID()
	trackings := func(appeal string) []string {
		t.Helper()
		var subs []string
		err := st.Append(ctx, func(w store.LogTx) error {
			subs = nil
			ts, err := w.TrackingsOfAppeal(appeal)
			for _, tr := range ts {
				subs = append(subs, tr.Submission)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return subs
	}
	if st.tracked.mayHave(named) || trackings(named) != nil {
		t.Fatal("a new store has trackings")
	}
	err = st.Append(ctx, func(w store.LogTx) error {
		return w.PutTracking(&store.Tracking{Submission: sub, Council: "NRN-ATB", Status: domain.SubmissionRegistered, Appeal: named})
	})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = st.Append(ctx, func(w store.LogTx) error {
		if err := w.PutTracking(&store.Tracking{Submission: sub2, Council: "NRN-ATB", Status: domain.SubmissionMerged, Appeal: failed}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("a failing Append: %v", err)
	}
	check := func(when string) {
		t.Helper()
		if got := trackings(named); !slices.Equal(got, []string{sub}) {
			t.Errorf("%s: trackings of the appeal named %v, want [%s]", when, got, sub)
		}
		if got := trackings(failed); got != nil {
			t.Errorf("%s: trackings of the appeal of a failed Append %v", when, got)
		}
		if got := trackings(other); got != nil || st.tracked.mayHave(other) {
			t.Errorf("%s: trackings of an appeal never named %v (may have: %v)", when, got, st.tracked.mayHave(other))
		}
	}
	check("put since the store opened")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err = Open(ctx, dir, Options{Small: true, MinFree: 1}); err != nil {
		t.Fatal(err)
	}
	if !st.tracked.mayHave(named) {
		t.Error("opened again: the appeal named is not in the set")
	}
	check("opened again")
}
