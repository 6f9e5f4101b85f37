package storetest

import (
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

func publicAppeal(id, regNo string) *store.PublicAppeal {
	return &store.PublicAppeal{ID: id, PublicAppeal: domain.PublicAppeal{RegNo: regNo, ReceivedOn: caldate.MustParse("2026-11-02"),
		Oblast: "KG-N", Category: "police_justice", Status: domain.StatusVerified, Summary: "summary " + regNo}}
}

func version(t testing.TB, st store.Store) store.PublicStamp {
	t.Helper()
	v, err := st.PublicVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// projection reads every published appeal (by id) and council (by code)
// and the version, from one snapshot.
func projection(t testing.TB, st store.Store) (map[string]store.PublicAppeal, []string, store.PublicStamp) {
	t.Helper()
	appeals := map[string]store.PublicAppeal{}
	var councils []string
	var v store.PublicStamp
	err := st.ReadPublic(ctx, func(r store.PublicReader) (err error) {
		if v, err = r.Version(); err != nil {
			return err
		}
		if err := r.EachAppeal(func(p *store.PublicAppeal) error { appeals[p.ID] = *p; return nil }); err != nil {
			return err
		}
		return r.EachCouncil(func(c *store.PublicCouncil) error { councils = append(councils, c.Code); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return appeals, councils, v
}

func project(t testing.TB, st store.Store, fn func(w store.LogTx) error) {
	t.Helper()
	if err := st.Append(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// The projection holds what was put, as it was put; its version moves
// once for each commit that changed it, and never for one that did not.
func testPublicProjection(t *testing.T, h *handle) {
	st := h.st
	if v := version(t, st); v != (store.PublicStamp{}) {
		t.Fatalf("a new store's projection version is %+v", v)
	}
	a, b := domain.NewID(), domain.NewID()
	before := time.Now().Add(-time.Second)
	project(t, st, func(w store.LogTx) error {
		for _, p := range []*store.PublicAppeal{publicAppeal(a, "NRN-ATB-2026-K7QH-0001"), publicAppeal(b, "NRN-ATB-2026-K7QH-0002")} {
			if err := w.PutPublicAppeal(p); err != nil {
				return err
			}
		}
		for _, c := range []*store.PublicCouncil{{Code: "OSH-ARA", Name: "Араван", Oblast: "KG-O"}, {Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}} {
			if err := w.PutPublicCouncil(c); err != nil {
				return err
			}
		}
		return nil
	})
	appeals, councils, v := projection(t, st)
	if v.N != 1 || v.At.Before(before) || v.At.After(time.Now().Add(time.Second)) {
		t.Fatalf("after one commit the version is %+v", v)
	}
	if len(appeals) != 2 || appeals[a] != *publicAppeal(a, "NRN-ATB-2026-K7QH-0001") || appeals[b].RegNo != "NRN-ATB-2026-K7QH-0002" {
		t.Fatalf("the projection holds %+v", appeals)
	}
	if !slices.Equal(councils, []string{"NRN-ATB", "OSH-ARA"}) {
		t.Fatalf("councils %v, want them in code order", councils)
	}
	// The same values again, and deleting what is not there: no change.
	project(t, st, func(w store.LogTx) error {
		if err := w.PutPublicAppeal(publicAppeal(a, "NRN-ATB-2026-K7QH-0001")); err != nil {
			return err
		}
		if err := w.DeletePublicAppeal(domain.NewID()); err != nil {
			return err
		}
		return w.DeletePublicCouncil("TLS-TLS")
	})
	if v := version(t, st); v.N != 1 {
		t.Fatalf("a commit that changed nothing moved the version to %d", v.N)
	}
	// A change and a deletion in one commit: one step.
	project(t, st, func(w store.LogTx) error {
		p := publicAppeal(a, "NRN-ATB-2026-K7QH-0001")
		p.Status = domain.StatusClosed
		if err := w.PutPublicAppeal(p); err != nil {
			return err
		}
		got, err := w.PublicAppeal(a)
		if err != nil || got == nil || got.Status != domain.StatusClosed {
			t.Errorf("inside the transaction: %+v, %v", got, err)
		}
		if err := w.DeletePublicAppeal(b); err != nil {
			return err
		}
		return w.DeletePublicCouncil("OSH-ARA")
	})
	appeals, councils, v = projection(t, st)
	if v.N != 2 || len(appeals) != 1 || appeals[a].Status != domain.StatusClosed || !slices.Equal(councils, []string{"NRN-ATB"}) {
		t.Fatalf("after a change and deletions: version %d, %+v, %v", v.N, appeals, councils)
	}
	err := st.ReadPublic(ctx, func(r store.PublicReader) error {
		if _, err := r.Appeal(b); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a deleted appeal: %v, want ErrNotFound", err)
		}
		if p, err := r.Appeal(a); err != nil || p.RegNo != "NRN-ATB-2026-K7QH-0001" {
			t.Errorf("Appeal(a): %+v, %v", p, err)
		}
		if _, err := r.Appeal("no:such"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an id no record can have: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A failed Append changes nothing of the projection.
	err = st.Append(ctx, func(w store.LogTx) error {
		if err := w.PutPublicAppeal(publicAppeal(domain.NewID(), "NRN-ATB-2026-K7QH-0009")); err != nil {
			return err
		}
		if err := w.DeletePublicAppeal(a); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Append returned %v", err)
	}
	if appeals, _, v2 := projection(t, st); v2 != v || len(appeals) != 1 {
		t.Fatalf("a failed Append left version %+v (was %+v) and %d appeals", v2, v, len(appeals))
	}
	if !h.reopen() {
		return
	}
	if appeals, councils, v2 := projection(t, h.st); v2 != v || len(appeals) != 1 || len(councils) != 1 {
		t.Fatalf("after a restart: version %+v (was %+v), %d appeals, %v", v2, v, len(appeals), councils)
	}
}

func trackingCode(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// A web submission's tracking is found by its code, its appeal and, while
// it waits, its council's count; a code is bound once.
func testTracking(t *testing.T, h *handle) {
	st := h.st
	s1, s2, appeal := domain.NewID(), domain.NewID(), domain.NewID()
	received := caldate.MustParse("2026-11-30")
	project(t, st, func(w store.LogTx) error {
		for i, s := range []string{s1, s2} {
			if err := w.BindCode(trackingCode(s), s); err != nil {
				return err
			}
			if err := w.PutTracking(&store.Tracking{Submission: s, Council: "NRN-ATB", ReceivedOn: received, Status: domain.SubmissionWaiting}); err != nil {
				return err
			}
			if n, err := w.Waiting("NRN-ATB"); err != nil || n != i+1 {
				t.Errorf("waiting inside the transaction after %d: %d, %v", i+1, n, err)
			}
		}
		return nil
	})
	if v := version(t, st); v.N != 0 {
		t.Fatalf("tracking moved the projection's version to %d", v.N)
	}
	waiting := func(council string) int {
		t.Helper()
		var n int
		if err := st.ReadPublic(ctx, func(r store.PublicReader) (err error) { n, err = r.Waiting(council); return err }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n, m := waiting("NRN-ATB"), waiting("OSH-ARA"); n != 2 || m != 0 {
		t.Fatalf("waiting %d and %d, want 2 and 0", n, m)
	}
	err := st.Append(ctx, func(w store.LogTx) error { return w.BindCode(trackingCode(s1), domain.NewID()) })
	if !errors.Is(err, store.ErrCodeTaken) {
		t.Fatalf("a code bound twice: %v, want ErrCodeTaken", err)
	}
	// Registered as an appeal: out of the queue, found by its appeal.
	project(t, st, func(w store.LogTx) error {
		tr, err := w.TrackingOf(s1)
		if err != nil || tr == nil {
			t.Fatalf("TrackingOf: %+v, %v", tr, err)
		}
		tr.Status, tr.Appeal, tr.RegNo, tr.AppealStatus = domain.SubmissionRegistered, appeal, "NRN-ATB-2026-K7QH-0003", domain.StatusReceived
		return w.PutTracking(tr)
	})
	if n := waiting("NRN-ATB"); n != 1 {
		t.Fatalf("waiting %d after one was registered, want 1", n)
	}
	linked := func(appeal string) []string {
		t.Helper()
		var subs []string
		project(t, st, func(w store.LogTx) error {
			subs = nil
			ts, err := w.TrackingsOfAppeal(appeal)
			for _, tr := range ts {
				subs = append(subs, tr.Submission)
			}
			return err
		})
		return subs
	}
	if got := linked(appeal); !slices.Equal(got, []string{s1}) {
		t.Fatalf("trackings of the appeal: %v, want [%s]", got, s1)
	}
	// The second merged into the same appeal, then moved to another.
	other := domain.NewID()
	project(t, st, func(w store.LogTx) error {
		return w.PutTracking(&store.Tracking{Submission: s2, Council: "NRN-ATB", ReceivedOn: received, Status: domain.SubmissionMerged, Appeal: appeal})
	})
	want := []string{s1, s2}
	slices.Sort(want)
	if got := linked(appeal); !slices.Equal(got, want) || waiting("NRN-ATB") != 0 {
		t.Fatalf("after a merge: trackings %v, waiting %d", got, waiting("NRN-ATB"))
	}
	project(t, st, func(w store.LogTx) error {
		return w.PutTracking(&store.Tracking{Submission: s2, Council: "NRN-ATB", ReceivedOn: received, Status: domain.SubmissionMerged, Appeal: other})
	})
	if got, got2 := linked(appeal), linked(other); !slices.Equal(got, []string{s1}) || !slices.Equal(got2, []string{s2}) {
		t.Fatalf("after moving the merge: %v and %v", got, got2)
	}
	err = st.ReadPublic(ctx, func(r store.PublicReader) error {
		tr, err := r.Tracking(trackingCode(s1))
		if err != nil || tr.Submission != s1 || tr.RegNo != "NRN-ATB-2026-K7QH-0003" || tr.Status != domain.SubmissionRegistered {
			t.Errorf("Tracking by code: %+v, %v", tr, err)
		}
		if _, err := r.Tracking(trackingCode("no such code")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an unknown code: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Back to waiting (a handling undone): in the queue again.
	project(t, st, func(w store.LogTx) error {
		return w.PutTracking(&store.Tracking{Submission: s1, Council: "NRN-ATB", ReceivedOn: received, Status: domain.SubmissionWaiting})
	})
	if n := waiting("NRN-ATB"); n != 1 || len(linked(appeal)) != 0 {
		t.Fatalf("a handling undone: waiting %d, linked %v", n, linked(appeal))
	}
	if h.reopen() {
		st = h.st
		if n := waiting("NRN-ATB"); n != 1 {
			t.Fatalf("after a restart: waiting %d, want 1", n)
		}
	}
}

// The rule the projection was built by is kept, atomically with it.
func testPublicRule(t *testing.T, h *handle) {
	st := h.st
	rule := func() int {
		var n int
		project(t, st, func(w store.LogTx) (err error) { n, err = w.PublicRule(); return err })
		return n
	}
	if n := rule(); n != 0 {
		t.Fatalf("a new store's rule is %d", n)
	}
	project(t, st, func(w store.LogTx) error { return w.SetPublicRule(3) })
	st.Append(ctx, func(w store.LogTx) error {
		w.SetPublicRule(4)
		return errStop
	})
	if n := rule(); n != 3 {
		t.Fatalf("rule %d, want 3", n)
	}
}

// changedSince is what AppealsChangedSince(n) says in a snapshot: the ids,
// sorted and without repeats, and whether they are complete; ok is false
// for an engine that does not keep changes (store.PublicChangeReader).
func changedSince(t testing.TB, st store.Store, n uint64) (ids []string, complete, ok bool) {
	t.Helper()
	err := st.ReadPublic(ctx, func(r store.PublicReader) error {
		cr, is := r.(store.PublicChangeReader)
		if !is {
			return nil
		}
		ok = true
		var err error
		complete, err = cr.AppealsChangedSince(n, func(id string) error {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids, complete, ok
}

// An engine that keeps the projection's changes names, for any version
// it holds, the appeals put, changed or taken off since: not those a
// commit left as they were, not councils, nothing past the snapshot's
// version; a reader of the version it is at gets nothing.
func testPublicChanges(t *testing.T, h *handle) {
	st := h.st
	if _, _, ok := changedSince(t, st, 0); !ok {
		t.Skip("this engine does not keep the projection's changes: readers read it whole")
	}
	a, b, c := domain.NewID(), domain.NewID(), domain.NewID()
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	project(t, st, func(w store.LogTx) error { // version 1
		if err := w.PutPublicCouncil(&store.PublicCouncil{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}); err != nil {
			return err
		}
		if err := w.PutPublicAppeal(publicAppeal(a, "NRN-ATB-2026-K7QH-0001")); err != nil {
			return err
		}
		return w.PutPublicAppeal(publicAppeal(b, "NRN-ATB-2026-K7QH-0002"))
	})
	base := version(t, st).N - 1 // an engine may have begun to keep them at this first change
	if ids, complete, _ := changedSince(t, st, base); !complete || !slices.Equal(ids, sorted(a, b)) {
		t.Fatalf("since %d: %v (complete %v), want %v", base, ids, complete, sorted(a, b))
	}
	project(t, st, func(w store.LogTx) error { // version 2: a as it was, b off, c in
		if err := w.PutPublicAppeal(publicAppeal(a, "NRN-ATB-2026-K7QH-0001")); err != nil {
			return err
		}
		if err := w.DeletePublicAppeal(b); err != nil {
			return err
		}
		return w.PutPublicAppeal(publicAppeal(c, "NRN-ATB-2026-K7QH-0003"))
	})
	project(t, st, func(w store.LogTx) error { // only a council: version 3, no appeal
		return w.PutPublicCouncil(&store.PublicCouncil{Code: "OSH-ARA", Name: "Араван", Oblast: "KG-O"})
	})
	v := version(t, st).N
	for _, tc := range []struct {
		since uint64
		want  []string
	}{{base, sorted(a, b, c)}, {base + 1, sorted(b, c)}, {v - 1, nil}, {v, nil}} {
		ids, complete, _ := changedSince(t, st, tc.since)
		if !complete || !slices.Equal(ids, tc.want) {
			t.Errorf("since %d (now %d): %v (complete %v), want %v", tc.since, v, ids, complete, tc.want)
		}
	}
	// A snapshot taken before a later commit does not see its changes.
	err := st.ReadPublic(ctx, func(r store.PublicReader) error {
		project(t, st, func(w store.LogTx) error { return w.DeletePublicAppeal(a) })
		var ids []string
		complete, err := r.(store.PublicChangeReader).AppealsChangedSince(v, func(id string) error { ids = append(ids, id); return nil })
		if err != nil || !complete || len(ids) != 0 {
			t.Errorf("an older snapshot: %v (complete %v), %v", ids, complete, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids, complete, _ := changedSince(t, st, v); !complete || !slices.Equal(ids, []string{a}) {
		t.Errorf("after a is taken off: %v (complete %v)", ids, complete)
	}
}
