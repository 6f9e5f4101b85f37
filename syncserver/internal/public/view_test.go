package public

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

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
