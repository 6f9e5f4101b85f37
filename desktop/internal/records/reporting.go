package records

import (
	"context"
	"fmt"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// FactRow is what a report counts of one record: the columns lists filter
// on and its facts (package facts). Its strings stay valid; the struct is
// reused for the next row.
type FactRow struct {
	Kind, ID, Council, Oblast, District, Status, Category string
	// Date is the day a list sorts by (an appeal received, an event held),
	// Deadline an appeal's answer deadline while it awaits the answer.
	Date, Deadline string
	Facts          string
	Deleted        bool
	// Updated is the clock of the record's newest operation.
	Updated hlc.Timestamp
}

// ScanFacts calls fn with every record matching f, from the index alone
// (no record is read from the store): what a report over 100,000 records
// asks for. fn runs while the index is locked: it must be quick and call
// nothing of the Service.
func (s *Service) ScanFacts(f Filter, fn func(*FactRow)) error {
	q, err := s.indexFilter(f)
	if err != nil {
		return err
	}
	var r FactRow
	return s.ix.Scan(q, func(sc *index.Scanned) {
		r = factRowOf(sc)
		fn(&r)
	})
}

func factRowOf(sc *index.Scanned) FactRow {
	return FactRow{Kind: sc.Kind, ID: sc.ID, Council: sc.Council, Oblast: sc.Oblast, District: sc.District, Status: sc.Status,
		Category: sc.Category, Date: sc.Date, Deadline: sc.Deadline, Facts: sc.Facts, Deleted: sc.Deleted, Updated: hlc.Timestamp(sc.Updated)}
}

// AsOfStats says what ScanFactsAsOf counted: the operations up to the
// cut-off merged into the records given, the newest clock among them, and
// the operations after it that those records (and records made since)
// leave out: what a report of today has that one as of then has not.
type AsOfStats struct {
	Ops, Later int
	Newest     hlc.Timestamp
}

// ScanFactsAsOf calls fn with every record matching f as it stood by
// cutoff: merged from the operations of its history with a clock at or
// before cutoff (the clock of the laptop that made each change, as the
// server keeps it: never more than 12 hours ahead of the server's), the
// deadlines derived by the rules in force now. Records made after cutoff
// are not there; a record deleted by then is counted as deleted. The
// filter takes no text, overdue or due-soon condition (they read the
// index of today).
func (s *Service) ScanFactsAsOf(ctx context.Context, f Filter, cutoff hlc.Timestamp, fn func(*FactRow)) (AsOfStats, error) {
	if f.Text != "" || f.Overdue || f.DueSoon > 0 {
		return AsOfStats{}, fmt.Errorf("as of a past date: a report counts by council, oblast, district, status, category and period, not by text, overdue or due actions")
	}
	q, err := s.indexFilter(f)
	if err != nil {
		return AsOfStats{}, err
	}
	var r FactRow
	st, err := s.st.ReplayUpTo(ctx, f.Kind, cutoff, func(id string, newest hlc.Timestamp, st *changeset.State) error {
		row, err := s.rowAsOf(f.Kind, id, newest, st)
		if err != nil {
			return err
		}
		r = factRowOfRow(row)
		if !rowMatches(q, row) || f.Where != nil && !f.Where(&r) {
			return nil
		}
		fn(&r)
		return nil
	})
	return AsOfStats{Ops: st.Ops, Later: st.Later, Newest: st.Newest}, err
}

// rowAsOf is the index row of a record as ReplayUpTo gives it: made from
// st when it was merged again, else the index's row when it is the state
// of the snapshot replayed (its clock is newest). An index row that is
// not (the record changed since the snapshot, or the index leaves it out)
// has ReplayUpTo merge the record again (store.ErrMergeAgain). The row of
// a merged record has no search words: nothing searches it.
func (s *Service) rowAsOf(kind, id string, newest hlc.Timestamp, st *changeset.State) (*index.Row, error) {
	if st != nil {
		return s.rowOf(st, false)
	}
	row, ok := s.ix.Get(kind, id)
	if !ok || hlc.Timestamp(row.Updated) != newest {
		return nil, store.ErrMergeAgain
	}
	return row, nil
}

// rowMatches applies the column conditions of q (as the index does) to a
// row made outside the index.
func rowMatches(q index.Filter, r *index.Row) bool {
	eq := func(want, got string) bool { return want == "" || want == got }
	switch {
	case r.Deleted && !q.IncludeDeleted,
		!eq(q.Council, r.Council), !eq(q.Oblast, r.Oblast), !eq(q.District, r.District),
		!eq(q.Status, r.Status), !eq(q.Category, r.Category),
		q.From != "" && r.Date < q.From,
		q.To != "" && r.Date > q.To:
		return false
	}
	return true
}

func factRowOfRow(row *index.Row) FactRow {
	return FactRow{Kind: row.Kind, ID: row.ID, Council: row.Council, Oblast: row.Oblast, District: row.District, Status: row.Status,
		Category: row.Category, Date: row.Date, Deadline: row.Deadline, Facts: row.Facts, Deleted: row.Deleted, Updated: hlc.Timestamp(row.Updated)}
}
