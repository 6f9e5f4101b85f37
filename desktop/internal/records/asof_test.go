package records_test

import (
	"context"
	"encoding/json"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// A report or export as of a past clock gives each record as it stood
// then, even when it changes while the report is being made: the records
// not changed since the cut-off come from the index or the store as they
// are now, and one changed after the replay's snapshot was taken must not
// come with that change. Here the second appeal changes (its right and
// summary) while the first is being counted, then the third while the
// first is exported.
func TestAsOfRecordChangedDuringReplay(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := fixedNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc, st := open(t, t.TempDir(), clock)
	t.Cleanup(func() { st.Close() })
	if _, err := svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	first, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	third, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	cutoff := hlc.New(fixedNow.Add(30*time.Minute).UnixMilli(), math.MaxUint16)
	mu.Lock()
	now = fixedNow.Add(time.Hour)
	mu.Unlock()
	change := func(id string) {
		t.Helper()
		if _, err := svc.EditAppeal(ctx, id, json.RawMessage(`{"category":"health","summary":"Ооруканага жол жок"}`)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("facts", func(t *testing.T) {
		got := map[string]string{}
		stats, err := svc.ScanFactsAsOf(ctx, records.Filter{Kind: domain.KindAppeal}, cutoff, func(r *records.FactRow) {
			if len(got) == 0 {
				if r.ID != first.ID {
					t.Fatalf("%s counted first, want %s (ids are in the order made)", r.ID, first.ID)
				}
				change(second.ID)
			}
			got[r.ID] = r.Category
		})
		if err != nil {
			t.Fatal(err)
		}
		if got[first.ID] != "land_property" || got[second.ID] != "land_property" || got[third.ID] != "land_property" || len(got) != 3 {
			t.Errorf("rights as of the cut-off: %v, want all three land_property", got)
		}
		if stats.Ops != 3 || stats.Later != 0 {
			t.Errorf("stats %+v, want the 3 creations and none later (the change came after the snapshot)", stats)
		}
	})

	t.Run("records", func(t *testing.T) {
		// The second appeal's change above is later than the cut-off: it is
		// merged again from its creation. The third changes while the
		// first is given: that change, after the snapshot, stays out.
		got := map[string]string{}
		n, _, err := svc.EachRecordAsOf(ctx, records.Filter{Kind: domain.KindAppeal}, cutoff, func(rec any) error {
			a := rec.(*domain.Appeal)
			if len(got) == 0 {
				change(third.ID)
			}
			got[a.ID] = a.Category + " " + a.Summary
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := "land_property " + appeal().Summary
		if n != 3 || got[first.ID] != want || got[second.ID] != want || got[third.ID] != want {
			t.Errorf("%d records as of the cut-off: %v, want all three %q", n, got, want)
		}
	})

	t.Run("unchanged", func(t *testing.T) {
		// The first appeal, untouched since, comes as stored now; a cut-off
		// after every change gives the second as it is now.
		late := hlc.New(fixedNow.Add(2*time.Hour).UnixMilli(), math.MaxUint16)
		got := map[string]string{}
		if _, _, err := svc.EachRecordAsOf(ctx, records.Filter{Kind: domain.KindAppeal}, late, func(rec any) error {
			a := rec.(*domain.Appeal)
			got[a.ID] = a.Category
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got[first.ID] != "land_property" || got[second.ID] != "health" || got[third.ID] != "health" {
			t.Errorf("rights now: %v", got)
		}
	})
}
