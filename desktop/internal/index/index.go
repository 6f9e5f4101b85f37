package index

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The index keeps every row in a slot. Filters do not walk search trees:
// go-memdb, the first design, cost about 50 MB of radix-tree nodes and a
// third of a second of inserts per 100,000 rows for each index (measured
// here), and a secretary's 4 GB laptop cannot pay that for every field a
// list filters on. Instead the fields that filters compare sit in dense
// per-slot columns of small integers (about 30 bytes a row): scanning
// 100,000 of them takes well under a millisecond, with the list order
// (newest first) kept per kind. Text goes through an inverted index of
// folded words (text.go).

// Index is the in-memory index. It is safe for concurrent use; a query sees
// every Put that returned before it started.
type Index struct {
	mu      sync.Mutex
	slots   map[string]uint32 // Kind:ID -> slot
	entries []entry           // by slot
	// whole keeps the rare row with a value past the codes (see overflow)
	// as it came, since its columns cannot give it back.
	whole map[uint32]Row
	cols  columns
	text  textIndex
	kinds map[uint16]*kindOrder
	// textReady is closed while searches can run (see LoadRow).
	textReady chan struct{}
	// codes intern the values of the filtered fields (council, status,
	// ...): one table for all fields, code 0 is "".
	codes  map[string]uint16
	values []string
}

// columns hold, per slot, what filters compare.
type columns struct {
	kind, council, oblast, district, status, category []uint16
	date, deadline, dueNext                           []uint32 // YYYYMMDD, 0: none
	dateC, deadlineC, dueNextC                        []uint16 // the same dates' codes, to give the strings back
	deleted                                           []bool
}

// entry is what a slot holds besides its columns: about 60 bytes and the
// text of its id, title and registration number, where a Row is 250 bytes
// and copies of every field. Rows are made from entries only for the lines
// a query returns.
type entry struct {
	id, title, regNo string
	// facts are what reports count (Row.Facts): tens of bytes a row.
	facts   string
	updated uint64
}

// kindOrder lists the slots of one kind, newest first; rebuilt when a Put
// added a row of that kind or changed a date.
type kindOrder struct {
	slots []uint32
	dirty bool
}

// New returns an empty index, ready to search.
func New() *Index {
	ix := &Index{slots: map[string]uint32{}, whole: map[uint32]Row{}, kinds: map[uint16]*kindOrder{}, codes: map[string]uint16{"": 0}, values: []string{""},
		textReady: make(chan struct{})}
	close(ix.textReady)
	return ix
}

// overflow is the code of values past the 65,535th distinct one: data no
// council makes, but a damaged or hostile peer might, and the index must
// not fail on it. Such values are kept in the rows, but a filter on them
// finds nothing.
const overflow = 1<<16 - 1

func (ix *Index) code(v string) uint16 {
	if c, ok := ix.codes[v]; ok {
		return c
	}
	if len(ix.values) >= overflow {
		return overflow
	}
	c := uint16(len(ix.values))
	v = strings.Clone(v)
	ix.codes[v] = c
	ix.values = append(ix.values, v)
	return c
}

// Put inserts or replaces rows, with the words of their search text. The
// index keeps what it needs of them, not the rows themselves.
func (ix *Index) Put(rows ...*Row) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, r := range rows {
		s := ix.set(r)
		ix.text.set(s, r.Search, true)
	}
	return nil
}

// LoadRow puts a row read from storage at start (what Marshal wrote),
// without its search text, which comes later through LoadText; until
// TextLoaded is called, searches wait. Lists and filters work at once. The
// row is read in place: opening 100,000 records then makes no garbage of
// decoded rows, and the collector has less to do while the heap grows. v
// is not kept.
func (ix *Index) LoadRow(kind, id string, v []byte) error {
	var r Row
	// The row's strings view v only while set copies what it keeps
	// (set clones every string it stores).
	if err := unmarshalInto(&r, kind, id, v, viewString(v)); err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	select {
	case <-ix.textReady:
		ix.textReady = make(chan struct{})
	default:
	}
	ix.set(&r)
	return nil
}

// LoadTextBytes is LoadText of text read in place; folded is not kept.
func (ix *Index) LoadTextBytes(kind, id string, folded []byte) {
	ix.LoadText(kind, id, viewString(folded))
}

// LoadText gives a loaded row its stored search text (Fold()ed), unless a
// Put gave it newer text since.
func (ix *Index) LoadText(kind, id, folded string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if s, ok := ix.slots[kind+":"+id]; ok {
		ix.text.set(s, folded, false)
	}
}

// TextLoaded ends Load: searches run again.
func (ix *Index) TextLoaded() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	select {
	case <-ix.textReady:
	default:
		ix.text.trim()
		close(ix.textReady)
	}
}

// set gives r a slot (its own if the key is known), writes its columns
// and entry, and returns the slot.
func (ix *Index) set(r *Row) uint32 {
	key := r.Key()
	s, known := ix.slots[key]
	if !known {
		s = uint32(len(ix.entries))
		key = strings.Clone(key)
		ix.slots[key] = s
		ix.entries = append(ix.entries, entry{id: key[len(r.Kind)+1:]})
		ix.cols.grow()
	}
	c := &ix.cols
	kind := ix.code(r.Kind)
	date := dateNum(r.Date)
	if !known || c.date[s] != date {
		ko := ix.kinds[kind]
		if ko == nil {
			ko = &kindOrder{}
			ix.kinds[kind] = ko
		}
		if !known {
			ko.slots = append(ko.slots, s)
		}
		ko.dirty = true
	}
	c.kind[s], c.council[s], c.oblast[s], c.district[s] = kind, ix.code(r.Council), ix.code(r.Oblast), ix.code(r.District)
	c.status[s], c.category[s] = ix.code(r.Status), ix.code(r.Category)
	c.date[s], c.deadline[s], c.dueNext[s] = date, dateNum(r.Deadline), dateNum(r.DueNext)
	c.dateC[s], c.deadlineC[s], c.dueNextC[s] = ix.code(r.Date), ix.code(r.Deadline), ix.code(r.DueNext)
	c.deleted[s] = r.Deleted
	// Title and number in one allocation of their own, not holding on to
	// whatever buffer they were cut from (a + b may return b itself when a
	// is empty: a Builder always copies).
	var sb strings.Builder
	sb.Grow(len(r.Title) + len(r.RegNo) + len(r.Facts))
	sb.WriteString(r.Title)
	sb.WriteString(r.RegNo)
	sb.WriteString(r.Facts)
	text := sb.String()
	e := &ix.entries[s]
	t, n := len(r.Title), len(r.Title)+len(r.RegNo)
	e.title, e.regNo, e.facts, e.updated = text[:t], text[t:n], text[n:], r.Updated
	delete(ix.whole, s)
	for _, code := range []uint16{kind, c.council[s], c.oblast[s], c.district[s], c.status[s], c.category[s], c.dateC[s], c.deadlineC[s], c.dueNextC[s]} {
		if code == overflow {
			w := *r
			for _, p := range [...]*string{&w.Kind, &w.ID, &w.Council, &w.Oblast, &w.District, &w.Status, &w.Category, &w.Date, &w.Deadline, &w.DueNext} {
				*p = strings.Clone(*p)
			}
			w.Title, w.RegNo, w.Facts, w.Search = e.title, e.regNo, e.facts, ""
			ix.whole[s] = w
			break
		}
	}
	return s
}

// row makes the Row of slot s.
func (ix *Index) row(s uint32) *Row {
	if w, ok := ix.whole[s]; ok {
		return &w
	}
	c, e, v := &ix.cols, &ix.entries[s], ix.values
	return &Row{Kind: v[c.kind[s]], ID: e.id, Council: v[c.council[s]], Oblast: v[c.oblast[s]], District: v[c.district[s]],
		Status: v[c.status[s]], Category: v[c.category[s]], Date: v[c.dateC[s]], Deadline: v[c.deadlineC[s]], DueNext: v[c.dueNextC[s]],
		Title: e.title, RegNo: e.regNo, Facts: e.facts, Deleted: c.deleted[s], Updated: e.updated}
}

func (c *columns) grow() {
	c.kind = append(c.kind, 0)
	c.council = append(c.council, 0)
	c.oblast = append(c.oblast, 0)
	c.district = append(c.district, 0)
	c.status = append(c.status, 0)
	c.category = append(c.category, 0)
	c.date = append(c.date, 0)
	c.deadline = append(c.deadline, 0)
	c.dueNext = append(c.dueNext, 0)
	c.dateC = append(c.dateC, 0)
	c.deadlineC = append(c.deadlineC, 0)
	c.dueNextC = append(c.dueNextC, 0)
	c.deleted = append(c.deleted, false)
}

// dateNum turns YYYY-MM-DD into YYYYMMDD (0 for anything else), so that
// dates compare as numbers in the same order as the strings.
func dateNum(s string) uint32 {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0
	}
	var n uint32
	for i := 0; i < 10; i++ {
		if i == 4 || i == 7 {
			continue
		}
		d := s[i] - '0'
		if d > 9 {
			return 0
		}
		n = n*10 + uint32(d)
	}
	return n
}

// Get returns one row.
func (ix *Index) Get(kind, id string) (*Row, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	s, ok := ix.slots[kind+":"+id]
	if !ok {
		return nil, false
	}
	return ix.row(s), true
}

// Filter selects rows. Empty fields do not filter.
type Filter struct {
	Kind     string
	Council  string
	Status   string
	Category string
	Oblast   string
	District string
	From, To string // YYYY-MM-DD, inclusive
	// OverdueOn selects appeals whose answer was due before this day
	// (YYYY-MM-DD) and is still awaited.
	OverdueOn string
	// DueBy selects events with an open follow-up action due on or before this day.
	DueBy string
	// Text selects rows with, for every word of it, a word that starts with
	// it (after Fold: case, and ң ө ү typed as н о у, do not matter).
	Text           string
	IncludeDeleted bool
	// Where, when set, selects further by what only a row's facts say
	// (a report's number: the appeals received by phone). It runs with
	// the index locked: it must be quick and must not call the index.
	Where func(*Scanned) bool
}

// Query returns every matching row, newest date first.
func (ix *Index) Query(f Filter) ([]*Row, error) {
	rows, _, err := ix.Page(f, 0, -1)
	return rows, err
}

// Count returns how many rows match.
func (ix *Index) Count(f Filter) (int, error) {
	_, n, err := ix.Page(f, 0, 0)
	return n, err
}

// Page returns the matching rows from offset, at most limit of them (all
// when limit < 0), newest date first, and how many match in all: what a
// virtualised list asks for as it scrolls.
func (ix *Index) Page(f Filter, offset, limit int) ([]*Row, int, error) {
	if f.Kind == "" {
		return nil, 0, fmt.Errorf("query: kind is required")
	}
	if strings.TrimSpace(f.Text) != "" {
		ix.mu.Lock()
		ready := ix.textReady
		ix.mu.Unlock()
		<-ready // the words of the stored rows are still being read
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	kind, ok := ix.codes[f.Kind]
	ko := ix.kinds[kind]
	if !ok || ko == nil {
		return []*Row{}, 0, nil
	}
	m, ok := ix.matcher(f)
	if !ok {
		return []*Row{}, 0, nil // a value no row has
	}
	ix.sort(ko)
	out := []*Row{}
	total := 0
	var sc Scanned
	for _, s := range ko.slots {
		if !m.match(&ix.cols, s) {
			continue
		}
		if f.Where != nil {
			ix.scanned(s, f.Kind, &sc)
			if !f.Where(&sc) {
				continue
			}
		}
		if total >= offset && (limit < 0 || total < offset+limit) {
			out = append(out, ix.row(s))
		}
		total++
	}
	return out, total, nil
}

// matcher is a filter resolved to codes and numbers.
type matcher struct {
	council, oblast, district, status, category uint16
	byCouncil, byOblast, byDistrict, byStatus   bool
	byCategory, withDeleted                     bool
	from, to, overdueOn, dueBy                  uint32
	text                                        bitmap // nil: no text filter
}

// matcher resolves f; ok is false when f names a value no row has.
func (ix *Index) matcher(f Filter) (m matcher, ok bool) {
	lookup := func(v string, code *uint16, on *bool) bool {
		if v == "" {
			return true
		}
		*on = true
		*code, ok = ix.codes[v]
		return ok
	}
	if !lookup(f.Council, &m.council, &m.byCouncil) || !lookup(f.Oblast, &m.oblast, &m.byOblast) ||
		!lookup(f.District, &m.district, &m.byDistrict) || !lookup(f.Status, &m.status, &m.byStatus) ||
		!lookup(f.Category, &m.category, &m.byCategory) {
		return m, false
	}
	m.withDeleted = f.IncludeDeleted
	m.from, m.to = dateNum(f.From), dateNum(f.To)
	m.overdueOn, m.dueBy = dateNum(f.OverdueOn), dateNum(f.DueBy)
	if f.OverdueOn != "" && m.overdueOn == 0 || f.DueBy != "" && m.dueBy == 0 {
		return m, false
	}
	if words := Words(f.Text); len(words) > 0 {
		m.text = ix.text.match(words, len(ix.entries))
	}
	return m, true
}

func (m *matcher) match(c *columns, s uint32) bool {
	switch {
	case c.deleted[s] && !m.withDeleted,
		m.byCouncil && c.council[s] != m.council,
		m.byStatus && c.status[s] != m.status,
		m.byCategory && c.category[s] != m.category,
		m.byOblast && c.oblast[s] != m.oblast,
		m.byDistrict && c.district[s] != m.district,
		m.from != 0 && c.date[s] < m.from,
		m.to != 0 && c.date[s] > m.to,
		m.overdueOn != 0 && (c.deadline[s] == 0 || c.deadline[s] >= m.overdueOn),
		m.dueBy != 0 && (c.dueNext[s] == 0 || c.dueNext[s] > m.dueBy),
		m.text != nil && !m.text.has(s):
		return false
	}
	return true
}

// sort puts the slots of a kind newest first (date, then id, descending),
// if a Put changed that order.
func (ix *Index) sort(ko *kindOrder) {
	if !ko.dirty {
		return
	}
	date := ix.cols.date
	slices.SortFunc(ko.slots, func(a, b uint32) int {
		if c := cmp.Compare(date[b], date[a]); c != 0 {
			return c
		}
		return strings.Compare(ix.entries[b].id, ix.entries[a].id)
	})
	ko.dirty = false
}

// Len is the number of rows of kind, deleted ones included.
func (ix *Index) Len(kind string) int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ko := ix.kinds[ix.codes[kind]]; ko != nil && kind != "" {
		return len(ko.slots)
	}
	return 0
}
