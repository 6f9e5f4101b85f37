package public

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// The list by numbered facets selects what comparing the fields selects,
// for any filter and page: values no appeal has, one facet, several, a
// page past the last.
func TestListFilters(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	oblasts := []string{"KG-N", "KG-O", "KG-C", ""}
	districts := []string{"KG-N-ATB", "KG-N-KOC", ""}
	cats := []string{"labour", "health", "education", ""}
	statuses := []domain.Status{domain.StatusVerified, domain.StatusReferred, domain.StatusAnswered, domain.StatusClosed}
	v := &view{}
	for i := range 997 {
		p := &store.PublicAppeal{}
		p.RegNo = fmt.Sprint("R", i)
		p.Oblast, p.District = oblasts[rng.IntN(len(oblasts))], districts[rng.IntN(len(districts))]
		p.Category, p.Status = cats[rng.IntN(len(cats))], statuses[rng.IntN(len(statuses))]
		if rng.IntN(10) > 0 {
			p.ReceivedOn = caldate.MustParse(fmt.Sprintf("%d-03-01", 2024+rng.IntN(3)))
		}
		v.appeals = append(v.appeals, p)
	}
	v.index()
	naive := func(f filter) (page []*store.PublicAppeal, total int) {
		from := (max(f.Page, 1) - 1) * pageSize
		for _, p := range v.appeals {
			if f.Oblast != "" && p.Oblast != f.Oblast || f.District != "" && p.District != f.District ||
				f.Category != "" && p.Category != f.Category || f.Status != "" && p.Status != f.Status ||
				f.Year != 0 && p.ReceivedOn.Year() != f.Year {
				continue
			}
			if total >= from && len(page) < pageSize {
				page = append(page, p)
			}
			total++
		}
		return page, total
	}
	pick := func(s []string) string {
		if rng.IntN(3) == 0 {
			return "KG-NOWHERE"
		}
		return s[rng.IntN(len(s))]
	}
	for range 3000 {
		f := filter{Oblast: pick(oblasts), District: pick(districts), Category: pick(cats), Page: rng.IntN(8)}
		if rng.IntN(2) == 0 {
			f.Status = statuses[rng.IntN(len(statuses))]
		}
		if rng.IntN(2) == 0 {
			f.Year = 2023 + rng.IntN(5)
		}
		for k := range 5 { // fewer facets at once too
			if rng.IntN(2) == 0 {
				switch k {
				case 0:
					f.Oblast = ""
				case 1:
					f.District = ""
				case 2:
					f.Category = ""
				case 3:
					f.Status = ""
				case 4:
					f.Year = 0
				}
			}
		}
		got, gotN := v.list(f)
		want, wantN := naive(f)
		if gotN != wantN || !slices.Equal(got, want) {
			t.Fatalf("%+v: %d appeals (%d on the page), want %d (%d)", f, gotN, len(got), wantN, len(want))
		}
	}
}

// hideChanges is a store whose readers cannot say what changed: the view
// reads the projection whole, as on an engine that keeps no changes.
type hideChanges struct{ store.Public }

func (h hideChanges) ReadPublic(ctx context.Context, fn func(store.PublicReader) error) error {
	return h.Public.ReadPublic(ctx, func(r store.PublicReader) error { return fn(struct{ store.PublicReader }{r}) })
}

// countChanges is a store whose readers count the times they said what
// changed since a version (complete): the view followed the changes, not
// read the projection whole.
type countChanges struct {
	store.Public
	n *atomic.Int64
}

func (c countChanges) ReadPublic(ctx context.Context, fn func(store.PublicReader) error) error {
	return c.Public.ReadPublic(ctx, func(r store.PublicReader) error {
		cr, ok := r.(store.PublicChangeReader)
		if !ok {
			return fn(r)
		}
		return fn(countingReader{r, cr, c.n})
	})
}

type countingReader struct {
	store.PublicReader
	cr store.PublicChangeReader
	n  *atomic.Int64
}

func (r countingReader) AppealsChangedSince(n uint64, fn func(id string) error) (bool, error) {
	complete, err := r.cr.AppealsChangedSince(n, fn)
	if complete && err == nil {
		r.n.Add(1)
	}
	return complete, err
}

// A view that follows the projection by its changes is, after every
// publication, unpublication, change or deletion, the view read whole:
// the same appeals in the same order, the same counts.
func TestViewFollowsChanges(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	viewFollowsChanges(t, w, w.st)
}

// viewFollowsChanges publishes, changes and takes off appeals at random
// through w's ingester, and compares, now and then, the views of readers
// on st (w's store, or another process's on its database) that follow
// the changes with those that read it whole.
func viewFollowsChanges(t *testing.T, w *world, st store.Public) {
	ctx := context.Background()
	today := caldate.MustParse("2026-12-01")
	var followedChanges atomic.Int64
	followed := &views{st: countChanges{st, &followedChanges}, now: func() time.Time { return today.Time().Add(12 * time.Hour) }}
	whole := &views{st: hideChanges{st}, now: followed.now}
	rng := rand.New(rand.NewPCG(5, 6))
	type rec struct {
		id, council string
		published   bool
	}
	var recs []rec
	councils := []string{"NRN-ATB", "OSH-ARA", "CHU-ALA"}
	statuses := []string{"verified", "referred", "answered", "closed"}
	check := func(step string) {
		t.Helper()
		a, err := followed.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := whole.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if a.stamp != b.stamp || len(a.appeals) != len(b.appeals) {
			t.Fatalf("%s: followed %d appeals at %d, whole %d at %d", step, len(a.appeals), a.stamp.N, len(b.appeals), b.stamp.N)
		}
		for i := range a.appeals {
			if !reflect.DeepEqual(a.appeals[i], b.appeals[i]) {
				t.Fatalf("%s: appeal %d: %+v, whole %+v", step, i, a.appeals[i], b.appeals[i])
			}
		}
		if !reflect.DeepEqual(a.stats, b.stats) || !reflect.DeepEqual(a.years, b.years) || len(a.byRegNo) != len(b.byRegNo) {
			t.Fatalf("%s: the counts differ: %+v, whole %+v", step, a.stats, b.stats)
		}
	}
	check("empty")
	for step := range 60 {
		switch k := rng.IntN(10); {
		case k < 4 || len(recs) == 0: // a new appeal, published or not
			c := councils[rng.IntN(3)]
			id := domain.NewID()
			f := appealFields(c, domain.FormatRegNo(c, 2026, "F4LW", uint64(step+1)), statuses[rng.IntN(4)], step)
			f["received_on"] = fmt.Sprintf("2026-%02d-%02d", 1+rng.IntN(11), 1+rng.IntN(27))
			f["registered_on"] = f["received_on"]
			delete(f, "verified_on")
			delete(f, "referred_on")
			delete(f, "answered_on")
			delete(f, "closed_on")
			w.sec[c].push(domain.KindAppeal, id, c, "create", f)
			r := rec{id: id, council: c, published: rng.IntN(3) > 0}
			if r.published {
				w.central.push(domain.KindAppeal, id, "", "update", map[string]any{"published": true, "published_on": fmt.Sprintf("2026-11-%02d", 1+rng.IntN(27))})
			}
			recs = append(recs, r)
		case k < 6: // published or unpublished
			r := &recs[rng.IntN(len(recs))]
			r.published = !r.published
			w.central.push(domain.KindAppeal, r.id, "", "update", map[string]any{"published": r.published})
		case k < 8: // its public summary changed
			r := recs[rng.IntN(len(recs))]
			w.sec[r.council].push(domain.KindAppeal, r.id, r.council, "update", map[string]any{"public_summary": fmt.Sprint("Жаңы кыскача мазмун ", step)})
		case k < 9: // withdrawn from publication
			r := recs[rng.IntN(len(recs))]
			w.sec[r.council].push(domain.KindAppeal, r.id, r.council, "update", map[string]any{"ready_for_publication": false})
		default: // deleted
			i := rng.IntN(len(recs))
			r := recs[i]
			w.sec[r.council].push(domain.KindAppeal, r.id, r.council, "delete", map[string]any{"_deleted": true})
			recs = append(recs[:i], recs[i+1:]...)
		}
		if rng.IntN(3) > 0 { // readers do not look after every commit
			check(fmt.Sprint("step ", step))
		}
	}
	check("the end")
	// The day moves: the same appeals, counted for the new day.
	today = today.AddDays(1)
	check("the next day")
	if n := followedChanges.Load(); n < 10 {
		t.Errorf("the view followed the changes %d times in 60 steps: it read the projection whole instead", n)
	}
}
