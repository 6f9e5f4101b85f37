package storetest

import (
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Competitions whose winners are published: held as put, in id order;
// the version moves for a change and a removal, not for the same value
// again or the removal of one not there.
func testPublicCompetitions(t *testing.T, h *handle) {
	st := h.st
	comp := func(id, winner string) *store.PublicCompetition {
		return &store.PublicCompetition{ID: id, PublicCompetition: domain.PublicCompetition{Title: "Мыкты журналисттик иш", Audience: domain.AudienceJournalists,
			PublishedOn: caldate.MustParse("2026-11-20"), Categories: []domain.PublicCategory{{Name: "Басма сөз",
				Winners: []domain.PublicWinner{{Place: 1, Title: winner, Author: "Айжан Осмонова", Link: "https://kaktus.example.kg/suu"}}}}}}
	}
	read := func() []store.PublicCompetition {
		t.Helper()
		var out []store.PublicCompetition
		if err := st.ReadPublic(ctx, func(r store.PublicReader) error {
			return r.EachCompetition(func(c *store.PublicCompetition) error { out = append(out, *c); return nil })
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := "0190e0b2-0000-7000-8000-0000000000c2", "0190e0b2-0000-7000-8000-0000000000c1"
	v0 := version(t, st).N
	project(t, st, func(w store.LogTx) error {
		if err := w.PutPublicCompetition(comp(a, "Айылдагы суу")); err != nil {
			return err
		}
		return w.PutPublicCompetition(comp(b, "Жер"))
	})
	got := read()
	if len(got) != 2 || got[0].ID != b || got[1].ID != a || got[1].Categories[0].Winners[0].Title != "Айылдагы суу" || version(t, st).N != v0+1 {
		t.Fatalf("put: %+v, version %d", got, version(t, st).N)
	}
	project(t, st, func(w store.LogTx) error {
		if err := w.PutPublicCompetition(comp(a, "Айылдагы суу")); err != nil {
			return err
		}
		return w.DeletePublicCompetition(domain.NewID())
	})
	if version(t, st).N != v0+1 {
		t.Fatal("a commit that changed nothing moved the version")
	}
	project(t, st, func(w store.LogTx) error { return w.DeletePublicCompetition(b) })
	if got := read(); len(got) != 1 || got[0].ID != a || version(t, st).N != v0+2 {
		t.Fatalf("after a removal: %+v", got)
	}
}
