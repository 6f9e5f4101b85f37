package public

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// view is one version of the projection in memory: every published appeal
// and council, ordered for the register, with what the statistics page
// counts. It is built from one snapshot of store.Public and never changed
// after; requests share it. 20,000 published appeals take a few MB.
type view struct {
	stamp    store.PublicStamp
	today    caldate.Date // the day the counts of deadlines were made for
	appeals  []*store.PublicAppeal
	facets   []facets // appeals[i]'s is facets[i]
	codes    [nFacets]map[string]uint16
	byRegNo  map[string]*store.PublicAppeal
	councils []*store.PublicCouncil
	council  map[string]*store.PublicCouncil
	// competitions whose winners are published, the latest published
	// first.
	competitions []*store.PublicCompetition
	years        []int // years received, newest first
	stats        stats
}

// facets are what the list is filtered by, of one appeal, as small
// numbers (view.codes: 0 is none): a filter compares numbers over 20,000
// appeals, not strings (which took 4 ms a page).
type facets struct {
	f    [nFacets]uint16
	year uint16
}

// The filtered fields, each with its own numbering.
const (
	facetOblast = iota
	facetDistrict
	facetCategory
	facetStatus
	nFacets
)

// code is the number of value s of facet k, made when new.
func (v *view) code(k int, s string) uint16 {
	if s == "" {
		return 0
	}
	if v.codes[k] == nil {
		v.codes[k] = map[string]uint16{}
	}
	n, ok := v.codes[k][s]
	if !ok {
		n = uint16(len(v.codes[k]) + 1) // the catalog's codes: a few dozen
		v.codes[k][s] = n
	}
	return n
}

// stats are the counts of the statistics page.
type stats struct {
	total      int
	byCategory map[string]int
	byOblast   map[string]int
	byStatus   map[domain.Status]int
	byMonth    map[string]int // YYYY-MM received
	deadline   map[string]int // in_time, late, overdue, pending
}

// views keeps the current view, made again when the projection's version
// moves: every request asks the store for the version (one read), so what
// the public sees changes the moment a publication is committed, by this
// server process or another.
type views struct {
	st  store.Public
	now func() time.Time

	mu   sync.Mutex // one build at a time
	cur  *view
	sync sync.RWMutex
}

// get returns the view of the projection as committed now.
func (vs *views) get(ctx context.Context) (*view, error) {
	stamp, err := vs.st.PublicVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("public register: %w", err)
	}
	today := caldate.Of(vs.now().In(bishkek))
	vs.sync.RLock()
	v := vs.cur
	vs.sync.RUnlock()
	if v != nil && v.stamp.N == stamp.N && v.today == today {
		return v, nil
	}
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.sync.RLock()
	v = vs.cur
	vs.sync.RUnlock()
	if v != nil && v.stamp.N >= stamp.N && v.today == today {
		return v, nil
	}
	v, err = build(ctx, vs.st, today, v)
	if err != nil {
		return nil, err
	}
	vs.sync.Lock()
	vs.cur = v
	vs.sync.Unlock()
	return v, nil
}

var bishkek = time.FixedZone("Asia/Bishkek", 6*60*60)

// build reads the projection from one snapshot: when prev is the view of
// an earlier version and the store keeps the projection's changes
// (store.PublicChangeReader), only the appeals changed since prev are
// read, the others taken from it (they are never changed in a view);
// otherwise all of them.
func build(ctx context.Context, st store.Public, today caldate.Date, prev *view) (*view, error) {
	v := &view{today: today, byRegNo: map[string]*store.PublicAppeal{}, council: map[string]*store.PublicCouncil{}}
	err := st.ReadPublic(ctx, func(r store.PublicReader) error {
		var err error
		if v.stamp, err = r.Version(); err != nil {
			return err
		}
		if err := r.EachCouncil(func(c *store.PublicCouncil) error {
			v.councils = append(v.councils, c)
			v.council[c.Code] = c
			return nil
		}); err != nil {
			return err
		}
		if err := r.EachCompetition(func(c *store.PublicCompetition) error {
			v.competitions = append(v.competitions, c)
			return nil
		}); err != nil {
			return err
		}
		slices.SortStableFunc(v.competitions, func(a, b *store.PublicCompetition) int { return b.PublishedOn.Compare(a.PublishedOn) })
		if prev != nil {
			ok, err := v.follow(r, prev)
			if ok || err != nil {
				return err
			}
		}
		return r.EachAppeal(func(p *store.PublicAppeal) error {
			if p.RegNo != "" { // else nothing to show it under
				v.appeals = append(v.appeals, p)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("public register: %w", err)
	}
	for _, p := range v.appeals {
		v.byRegNo[p.RegNo] = p
	}
	// The newest published first; then the newest received; then by number.
	slices.SortFunc(v.appeals, func(a, b *store.PublicAppeal) int {
		if c := b.PublishedOn.Compare(a.PublishedOn); c != 0 {
			return c
		}
		if c := b.ReceivedOn.Compare(a.ReceivedOn); c != 0 {
			return c
		}
		return cmp.Compare(b.RegNo, a.RegNo)
	})
	v.index()
	return v, nil
}

// errManyChanges stops reading changes when reading everything is as quick.
var errManyChanges = errors.New("many changes")

// follow makes v's appeals from prev's and what changed since (r's
// changes); ok is false when r cannot say what changed, or so much did
// that reading everything is as quick.
func (v *view) follow(r store.PublicReader, prev *view) (ok bool, err error) {
	if prev.stamp.N == v.stamp.N { // only the day moved: the same appeals
		v.appeals = slices.Clone(prev.appeals) // sorted again: prev is being read
		return true, nil
	}
	cr, can := r.(store.PublicChangeReader)
	if !can || prev.stamp.N > v.stamp.N {
		return false, nil
	}
	limit := len(prev.appeals)/4 + 100
	changed := map[string]bool{}
	complete, err := cr.AppealsChangedSince(prev.stamp.N, func(id string) error {
		changed[id] = true
		if len(changed) > limit {
			return errManyChanges
		}
		return nil
	})
	if errors.Is(err, errManyChanges) || err == nil && !complete {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	v.appeals = make([]*store.PublicAppeal, 0, len(prev.appeals)+len(changed))
	for _, p := range prev.appeals {
		if !changed[p.ID] {
			v.appeals = append(v.appeals, p)
		}
	}
	for id := range changed {
		p, err := r.Appeal(id)
		if errors.Is(err, store.ErrNotFound) {
			continue // taken off
		}
		if err != nil {
			return false, err
		}
		if p.RegNo != "" {
			v.appeals = append(v.appeals, p)
		}
	}
	return true, nil
}

// index makes the facets and the counts of v.appeals, as sorted.
func (v *view) index() {
	v.facets = make([]facets, len(v.appeals))
	for i, p := range v.appeals {
		v.facets[i] = facets{f: [nFacets]uint16{v.code(facetOblast, p.Oblast), v.code(facetDistrict, p.District),
			v.code(facetCategory, p.Category), v.code(facetStatus, string(p.Status))}, year: uint16(max(0, min(p.ReceivedOn.Year(), 65535)))}
	}
	v.count()
}

func (v *view) count() {
	s := stats{byCategory: map[string]int{}, byOblast: map[string]int{}, byStatus: map[domain.Status]int{},
		byMonth: map[string]int{}, deadline: map[string]int{}}
	years := map[int]bool{}
	months := map[int]int{} // year*100+month: no string made per appeal
	for _, p := range v.appeals {
		s.total++
		s.byCategory[p.Category]++
		s.byOblast[p.Oblast]++
		s.byStatus[p.Status]++
		if !p.ReceivedOn.IsZero() {
			months[p.ReceivedOn.Year()*100+int(p.ReceivedOn.Month())]++
			years[p.ReceivedOn.Year()] = true
		}
		if o := outcome(p, v.today); o != "" {
			s.deadline[o]++
		}
	}
	for m, n := range months {
		s.byMonth[fmt.Sprintf("%04d-%02d", m/100, m%100)] = n
	}
	for y := range years {
		v.years = append(v.years, y)
	}
	slices.SortFunc(v.years, func(a, b int) int { return b - a })
	v.stats = s
}

// outcome says how an appeal stands against its answer's legal deadline
// today: in_time, late, overdue, pending, or "" when it has no deadline
// (its deadlines could not be derived) or needs no answer.
func outcome(p *store.PublicAppeal, today caldate.Date) string {
	if p.AnswerBy.IsZero() {
		return ""
	}
	switch {
	case !p.AnsweredOn.IsZero() && !p.AnsweredOn.After(p.AnswerBy):
		return "in_time"
	case !p.AnsweredOn.IsZero():
		return "late"
	case p.Status == domain.StatusClosed:
		return "" // closed without an authority's answer (settled at the council)
	case today.After(p.AnswerBy):
		return "overdue"
	}
	return "pending"
}

// filter is what the register's list is narrowed by (its query).
type filter struct {
	Oblast, District, Category string
	Status                     domain.Status
	Year                       int
	Page                       int // from 1
}

// pageSize is how many appeals a page of the list shows: with the
// summaries cut, a page stays under 30 KB.
const pageSize = 20

// list returns the page of appeals the filter selects, and how many it
// selects in all.
func (v *view) list(f filter) (page []*store.PublicAppeal, total int) {
	from := (max(f.Page, 1) - 1) * pageSize
	var want [nFacets]uint16 // 0: any
	for k, s := range [nFacets]string{f.Oblast, f.District, f.Category, string(f.Status)} {
		if s == "" {
			continue
		}
		n, ok := v.codes[k][s]
		if !ok {
			return nil, 0 // no appeal has it
		}
		want[k] = n
	}
	year := uint16(max(0, min(f.Year, 65535)))
	for i := range v.facets {
		a := &v.facets[i]
		if want[facetOblast] != 0 && a.f[facetOblast] != want[facetOblast] || want[facetDistrict] != 0 && a.f[facetDistrict] != want[facetDistrict] ||
			want[facetCategory] != 0 && a.f[facetCategory] != want[facetCategory] || want[facetStatus] != 0 && a.f[facetStatus] != want[facetStatus] ||
			year != 0 && a.year != year {
			continue
		}
		if total >= from && len(page) < pageSize {
			page = append(page, v.appeals[i])
		}
		total++
	}
	return page, total
}

func (f filter) query(page int) string {
	q := ""
	add := func(k, v string) {
		if v == "" {
			return
		}
		if q == "" {
			q = "?"
		} else {
			q += "&"
		}
		q += k + "=" + v
	}
	add("oblast", f.Oblast)
	add("district", f.District)
	add("category", f.Category)
	add("status", string(f.Status))
	if f.Year != 0 {
		add("year", strconv.Itoa(f.Year))
	}
	if page > 1 {
		add("page", strconv.Itoa(page))
	}
	return q
}
