package index

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-memdb"
)

const table = "rows"

// Secondary indexes: each is (kind, field, date) so that a filter on one
// field walks only its matching rows, already in date order, and a period
// narrows the walk further.
var filterIndexes = map[string]string{
	"council":  "Council",
	"status":   "Status",
	"category": "Category",
	"oblast":   "Oblast",
}

func schema() *memdb.DBSchema {
	idx := map[string]*memdb.IndexSchema{
		"id": {Name: "id", Unique: true, Indexer: &keyIndexer{}},
		"date": {Name: "date", Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "Kind"}, &memdb.StringFieldIndex{Field: "Date"}}, AllowMissing: true}},
		"deadline": {Name: "deadline", AllowMissing: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "Kind"}, &memdb.StringFieldIndex{Field: "Deadline"}}}},
		"duenext": {Name: "duenext", AllowMissing: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "Kind"}, &memdb.StringFieldIndex{Field: "DueNext"}}}},
	}
	for name, field := range filterIndexes {
		idx[name] = &memdb.IndexSchema{Name: name, AllowMissing: true, Indexer: &memdb.CompoundIndex{Indexes: []memdb.Indexer{
			&memdb.StringFieldIndex{Field: "Kind"}, &memdb.StringFieldIndex{Field: field}, &memdb.StringFieldIndex{Field: "Date"}}, AllowMissing: true}}
	}
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{table: {Name: table, Indexes: idx}}}
}

// keyIndexer indexes a row by Kind:ID without allocating a field per row.
type keyIndexer struct{}

func (keyIndexer) FromObject(obj any) (bool, []byte, error) {
	r := obj.(*Row)
	return true, []byte(r.Key() + "\x00"), nil
}

func (keyIndexer) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("id index takes one argument")
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("id index takes a string")
	}
	return []byte(s + "\x00"), nil
}

// Index is the in-memory index. Reads see a consistent snapshot; writes are
// serialised by go-memdb.
type Index struct {
	db *memdb.MemDB
}

// New returns an empty index.
func New() *Index {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		panic(fmt.Sprintf("index schema: %v", err)) // a programming error, caught by every test
	}
	return &Index{db: db}
}

// Put inserts or replaces rows in one transaction.
func (ix *Index) Put(rows ...*Row) error {
	txn := ix.db.Txn(true)
	defer txn.Abort()
	for _, r := range rows {
		if err := txn.Insert(table, r); err != nil {
			return fmt.Errorf("index %s: %w", r.Key(), err)
		}
	}
	txn.Commit()
	return nil
}

// Get returns one row.
func (ix *Index) Get(kind, id string) (*Row, bool) {
	txn := ix.db.Txn(false)
	raw, err := txn.First(table, "id", kind+":"+id)
	if err != nil || raw == nil {
		return nil, false
	}
	return raw.(*Row), true
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
	DueBy          string
	Text           string
	IncludeDeleted bool
}

// Query returns the matching rows, newest date first. Rows are shared and
// must not be modified.
func (ix *Index) Query(f Filter) ([]*Row, error) {
	if f.Kind == "" {
		return nil, fmt.Errorf("query: kind is required")
	}
	txn := ix.db.Txn(false)
	words := strings.Fields(Fold(f.Text))
	match := func(r *Row) bool {
		switch {
		case r.Deleted && !f.IncludeDeleted,
			f.Council != "" && r.Council != f.Council,
			f.Status != "" && r.Status != f.Status,
			f.Category != "" && r.Category != f.Category,
			f.Oblast != "" && r.Oblast != f.Oblast,
			f.District != "" && r.District != f.District,
			f.From != "" && r.Date < f.From,
			f.To != "" && r.Date > f.To,
			f.OverdueOn != "" && (r.Deadline == "" || r.Deadline >= f.OverdueOn),
			f.DueBy != "" && (r.DueNext == "" || r.DueNext > f.DueBy):
			return false
		}
		for _, w := range words {
			if !strings.Contains(r.Search, w) {
				return false
			}
		}
		return true
	}

	var out []*Row
	collect := func(it memdb.ResultIterator, stop func(*Row) bool) {
		for raw := it.Next(); raw != nil; raw = it.Next() {
			r := raw.(*Row)
			if stop != nil && stop(r) {
				return
			}
			if match(r) {
				out = append(out, r)
			}
		}
	}

	// Walk the narrowest index the filter allows; match() checks the rest.
	var err error
	var it memdb.ResultIterator
	sorted := true
	switch {
	case f.OverdueOn != "":
		it, err = txn.LowerBound(table, "deadline", f.Kind, "")
		if err == nil {
			collect(it, func(r *Row) bool { return r.Kind != f.Kind || r.Deadline >= f.OverdueOn })
		}
		sorted = false
	case f.DueBy != "":
		it, err = txn.LowerBound(table, "duenext", f.Kind, "")
		if err == nil {
			collect(it, func(r *Row) bool { return r.Kind != f.Kind || r.DueNext > f.DueBy })
		}
		sorted = false
	default:
		name, value := "date", ""
		for _, c := range []struct{ name, value string }{
			{"council", f.Council}, {"category", f.Category}, {"oblast", f.Oblast}, {"status", f.Status},
		} {
			if c.value != "" {
				name, value = c.name, c.value
				break
			}
		}
		if name == "date" {
			it, err = txn.LowerBound(table, "date", f.Kind, f.From)
			if err == nil {
				collect(it, func(r *Row) bool { return r.Kind != f.Kind || (f.To != "" && r.Date > f.To) })
			}
		} else {
			field := filterIndexes[name]
			it, err = txn.LowerBound(table, name, f.Kind, value, f.From)
			if err == nil {
				collect(it, func(r *Row) bool {
					return r.Kind != f.Kind || fieldOf(r, field) != value || (f.To != "" && r.Date > f.To)
				})
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if sorted {
		slices.Reverse(out)
	} else {
		slices.SortFunc(out, newestFirst)
	}
	return out, nil
}

func newestFirst(a, b *Row) int {
	if c := strings.Compare(b.Date, a.Date); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

func fieldOf(r *Row, field string) string {
	switch field {
	case "Council":
		return r.Council
	case "Status":
		return r.Status
	case "Category":
		return r.Category
	case "Oblast":
		return r.Oblast
	}
	return ""
}

// Len is the number of rows of kind, deleted ones included.
func (ix *Index) Len(kind string) int {
	txn := ix.db.Txn(false)
	it, err := txn.Get(table, "date_prefix", kind)
	if err != nil {
		return 0
	}
	n := 0
	for raw := it.Next(); raw != nil; raw = it.Next() {
		n++
	}
	return n
}
