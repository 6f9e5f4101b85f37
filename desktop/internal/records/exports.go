package records

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/policy"
)

// recordOf rebuilds a record of an exported kind from its state.
func (s *Service) recordOf(st *changeset.State) (any, error) {
	switch st.Kind {
	case domain.KindAppeal:
		return s.appealOf(st)
	case domain.KindEvent:
		return s.eventOf(st)
	case domain.KindGrant:
		return s.grantOf(st)
	}
	return nil, fmt.Errorf("%s records are not exported", st.Kind)
}

// EachRecord calls fn with every record of f.Kind matching f, whole
// (*domain.Appeal, *domain.Event), in the order they were made (their
// ids are time-ordered), read from the store one at a time: an export of
// 100,000 records holds one of them at once, and their ids. It returns
// how many it gave.
func (s *Service) EachRecord(ctx context.Context, f Filter, fn func(rec any) error) (int, error) {
	var ids []string
	if err := s.ScanFacts(f, func(r *FactRow) { ids = append(ids, r.ID) }); err != nil {
		return 0, err
	}
	slices.Sort(ids)
	n := 0
	err := s.st.EachStateOf(ctx, f.Kind, ids, func(st *changeset.State) error {
		rec, err := s.recordOf(st)
		if err != nil {
			return err
		}
		n++
		return fn(rec)
	})
	return n, err
}

// EachRecordAsOf is EachRecord of the records as they stood by cutoff
// (see ScanFactsAsOf), in the order of their ids.
func (s *Service) EachRecordAsOf(ctx context.Context, f Filter, cutoff hlc.Timestamp, fn func(rec any) error) (int, AsOfStats, error) {
	if f.Text != "" || f.Overdue || f.DueSoon > 0 {
		return 0, AsOfStats{}, fmt.Errorf("as of a past date: an export selects by council, oblast, district, status, category and period, not by text, overdue or due actions")
	}
	q, err := s.indexFilter(f)
	if err != nil {
		return 0, AsOfStats{}, err
	}
	n := 0
	st, err := s.st.ReplayUpTo(ctx, f.Kind, cutoff, func(id string, newest hlc.Timestamp, st *changeset.State) error {
		row, err := s.rowAsOf(f.Kind, id, newest, st)
		if err != nil {
			return err
		}
		if !rowMatches(q, row) {
			return nil
		}
		if f.Where != nil {
			r := factRowOfRow(row)
			if !f.Where(&r) {
				return nil
			}
		}
		if st == nil { // as stored now, if it has not changed since the row was read
			if st, err = s.st.State(ctx, f.Kind, id); errors.Is(err, store.ErrNotFound) || err == nil && st.Updated != newest {
				return store.ErrMergeAgain
			} else if err != nil {
				return err
			}
		}
		rec, err := s.recordOf(st)
		if err != nil {
			return err
		}
		n++
		return fn(rec)
	})
	return n, AsOfStats{Ops: st.Ops, Later: st.Later, Newest: st.Newest}, err
}

// Reader is the role and council whose read rules this laptop follows
// (shared/policy.MayRead), and false before enrollment (a laptop on its
// own reads what it holds).
func (s *Service) Reader() (policy.Device, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writer == nil {
		return policy.Device{}, false
	}
	return *s.writer, true
}

// RecordExport saves the record of an export (domain.Export): this
// laptop, its registered name and the time are filled in; a council's
// laptop records it under its council, central staff's under none. It
// is made once and syncs to the centre like any record.
func (tx *Tx) RecordExport(x domain.Export) (*domain.Export, error) {
	s := tx.s
	x.ID = domain.NewID()
	x.At = s.now().UTC()
	x.By = s.author
	x.Council = s.home
	if s.writer != nil {
		x.Council = s.writer.Council
		if s.writer.Role == domain.RoleCentral {
			x.Council = ""
		}
	}
	x.Meta = nil
	if err := x.Validate(); err != nil {
		return nil, err
	}
	fields, err := (changeset.Schema{}).ToFields(&x, domain.NotFields...)
	if err != nil {
		return nil, err
	}
	st, err := tx.save(domain.KindExport, x.ID, x.Council, changeset.ActionCreate, nil, fields, changeset.Names(&x))
	if err != nil {
		return nil, err
	}
	return exportOf(st)
}

func exportOf(st *changeset.State) (*domain.Export, error) {
	var x domain.Export
	if err := (changeset.Schema{}).FromFields(st.Values(), &x); err != nil {
		return nil, fmt.Errorf("export %s: %w", st.ID, err)
	}
	x.ID = st.ID
	x.Meta = meta(st)
	return &x, nil
}

// Exports lists the records of the exports this laptop holds (its own and
// those pulled from the laptops whose records it reads), newest first.
func (s *Service) Exports(ctx context.Context) ([]domain.Export, error) {
	rows, err := s.ix.Query(index.Filter{Kind: domain.KindExport})
	if err != nil {
		return nil, err
	}
	out := make([]domain.Export, 0, len(rows))
	for _, r := range rows {
		st, err := s.stateOf(ctx, domain.KindExport, r.ID)
		if err != nil {
			return nil, err
		}
		x, err := exportOf(st)
		if err != nil {
			return nil, err
		}
		out = append(out, *x)
	}
	slices.SortStableFunc(out, func(a, b domain.Export) int { return b.At.Compare(a.At) })
	return out, nil
}
