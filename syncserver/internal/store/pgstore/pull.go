package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Pull implements store.Log. It reads the head and the log in one
// REPEATABLE READ snapshot and never past that head: appends commit in
// sequence order (see the package doc), so the snapshot holds every
// number up to its head and the page's cursor never passes one that could
// still appear. A council's pull reads its own rows of the log (log_pull),
// never another council's. The device's own operations are looked at by
// their numbers and author only, never sent from the database.
func (s *Store) Pull(ctx context.Context, scope store.Scope, exclude string, after uint64, lim store.PullLimits) (*store.Page, error) {
	if lim.MaxOps <= 0 {
		lim.MaxOps = 1000
	}
	if lim.MaxScan <= 0 {
		lim.MaxScan = 100_000
	}
	var p *store.Page
	err := s.readOnly(ctx, func(tx pgx.Tx) error {
		p = &store.Page{Cursor: after}
		return pull(ctx, tx, p, scope, exclude, lim)
	})
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	return p, nil
}

// The pull queries. $1 after, $2 the head, $3 the device left out, $4 how
// many rows, $5 how many operations, $6 and $7 the index values read.
// Rows are read in log order (l, at most $4 of them); each gives its
// operations after $1 (from lo), and only as many as keep the total
// under $5 (before: the operations of the rows ahead of it), so that a
// pull that wants a few operations of a row of two thousand is sent those
// few. The device's own are never sent (NULL). The condition that ix is
// not empty, written out, lets the planner use the partial index
// whatever the parameters.
const (
	pullRows = `SELECT r.first, r.last, r.device,
			CASE WHEN r.device = $3 THEN NULL ELSE r.ops[r.lo - r.first + 1 : least(r.last, r.lo + $5 - 1 - r.before) - r.first + 1] END
		FROM (SELECT l.first, l.last, l.device, l.ops, greatest(l.first, $1 + 1) AS lo,
				coalesce(sum(l.last - greatest(l.first, $1 + 1) + 1) OVER (ORDER BY l.last ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::bigint AS before
			FROM (%s) l) r
		WHERE r.before < $5 ORDER BY r.last`
	pullAll = `SELECT first, last, device, ops FROM log WHERE last > $1 AND last <= $2 ORDER BY last LIMIT $4`
	pullOne = `SELECT first, last, device, ops FROM log WHERE ix = $6 AND ix <> '' AND last > $1 AND last <= $2 ORDER BY last LIMIT $4`
	pullTwo = `(SELECT first, last, device, ops FROM log WHERE ix = $6 AND ix <> '' AND last > $1 AND last <= $2 ORDER BY last LIMIT $4)
		UNION ALL
		(SELECT first, last, device, ops FROM log WHERE ix = $7 AND ix <> '' AND last > $1 AND last <= $2 ORDER BY last LIMIT $4)
		ORDER BY last LIMIT $4`
)

func pull(ctx context.Context, tx pgx.Tx, p *store.Page, scope store.Scope, exclude string, lim store.PullLimits) error {
	var head int64
	if err := tx.QueryRow(ctx, `SELECT head FROM log_state`).Scan(&head); err != nil {
		return err
	}
	p.Head = u64(head)
	if p.Cursor >= p.Head {
		// Nothing new; a cursor past the head comes from before a
		// restore: point it back at the head so new work is seen.
		p.Cursor = p.Head
		return nil
	}
	rows, args := pullAll, []any{nil, head, exclude, nil, nil}
	if !scope.All {
		var ixs []any
		if scope.Global {
			ixs = append(ixs, ixGlobal)
		}
		if validPart(scope.Council) {
			ixs = append(ixs, scope.Council)
		}
		switch len(ixs) {
		case 0:
			p.Cursor = p.Head
			return nil
		case 1:
			rows = pullOne
		default:
			rows = pullTwo
		}
		args = append(args, ixs...)
	}
	query := fmt.Sprintf(pullRows, rows)
	scanned := 0
	for {
		// Operations for the page and one more (is there more?), a chunk
		// at a time, never more than the scan may still look at and one;
		// each row holds one at least, so as many rows are enough.
		want := min(max(lim.MaxOps-len(p.Ops)+1, 16), 2048, lim.MaxScan-scanned+1)
		args[0], args[3], args[4] = i64(p.Cursor), want, want
		rs, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		n, seen, done, err := page(rs, p, exclude, lim, want, &scanned)
		rs.Close()
		if err == nil {
			err = rs.Err()
		}
		if err != nil || done {
			return err
		}
		if seen < want && n < want {
			// Every row up to the head was read whole.
			p.Cursor = max(p.Cursor, p.Head)
			return nil
		}
	}
}

// page adds the operations of one chunk's rows to p, as far as the limits
// let it: n rows, seen operations looked at. done: the page is full or the
// scan limit reached.
func page(rows pgx.Rows, p *store.Page, exclude string, lim store.PullLimits, want int, scanned *int) (n, seen int, done bool, err error) {
	after := p.Cursor
	for rows.Next() {
		n++
		var first, last int64
		var dev string
		var raw [][]byte
		if err := rows.Scan(&first, &last, &dev, &raw); err != nil {
			return n, seen, false, err
		}
		lo := max(u64(first), after+1)
		k := min(int(u64(last)-lo+1), want-seen)
		if dev == exclude || raw == nil {
			// The device's own: looked at, never sent.
			take := min(k, lim.MaxScan-*scanned)
			*scanned += take
			seen += take
			if take > 0 {
				p.Cursor = lo + uint64(take) - 1
			}
			if take < k {
				p.More = true
				return n, seen, true, nil
			}
			continue
		}
		if len(raw) != k || k <= 0 {
			return n, seen, false, fmt.Errorf("the log's row %d..%d read from %d gave %d operations, want %d: the log is damaged", first, last, lo, len(raw), k)
		}
		for i, b := range raw {
			seq := lo + uint64(i)
			if *scanned >= lim.MaxScan {
				p.More = true
				return n, seen, true, nil
			}
			*scanned++
			seen++
			op, err := changeset.DecodeOp(b)
			if err != nil {
				return n, seen, false, fmt.Errorf("log entry %d: %w", seq, err)
			}
			enc := b
			var encErr error
			if lim.Encode != nil {
				enc, encErr = lim.Encode(op)
			}
			if encErr != nil || lim.MaxOpBytes > 0 && len(enc) > lim.MaxOpBytes {
				p.Withheld = append(p.Withheld, op.ID())
				p.Cursor = seq
				continue
			}
			if len(p.Ops) > 0 && (len(p.Ops) >= lim.MaxOps || p.Bytes+len(enc) > lim.MaxBytes) {
				p.More = true
				return n, seen, true, nil
			}
			p.Ops = append(p.Ops, op)
			p.Encoded = append(p.Encoded, enc)
			p.Bytes += len(enc)
			p.Cursor = seq
		}
	}
	return n, seen, false, nil
}
