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
// still appear. A council's pull reads its own index entries (ops_pull),
// never another council's. The device's own operations are looked at by
// their number and author only, never sent from the database.
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

// The pull queries: $1 after, $2 the head, $3 the device left out, $4 how
// many rows, $5 and $6 the index values read. The condition that ix is not
// empty, written out, lets the planner use the partial index whatever the
// parameters.
const (
	pullAll = `SELECT seq, device, CASE WHEN device = $3 THEN NULL ELSE op END FROM ops
		WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $4`
	pullOne = `SELECT seq, device, CASE WHEN device = $3 THEN NULL ELSE op END FROM ops
		WHERE ix = $5 AND ix <> '' AND seq > $1 AND seq <= $2 ORDER BY seq LIMIT $4`
	pullTwo = `(SELECT seq, device, CASE WHEN device = $3 THEN NULL ELSE op END AS op FROM ops
			WHERE ix = $5 AND ix <> '' AND seq > $1 AND seq <= $2 ORDER BY seq LIMIT $4)
		UNION ALL
		(SELECT seq, device, CASE WHEN device = $3 THEN NULL ELSE op END AS op FROM ops
			WHERE ix = $6 AND ix <> '' AND seq > $1 AND seq <= $2 ORDER BY seq LIMIT $4)
		ORDER BY seq LIMIT $4`
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
	query, args := pullAll, []any{nil, head, exclude, nil}
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
			query = pullOne
		default:
			query = pullTwo
		}
		args = append(args, ixs...)
	}
	scanned := 0
	for {
		// Rows for the page and one more (is there more?), a chunk at a
		// time, never more than the scan may still look at and one.
		chunk := min(max(lim.MaxOps-len(p.Ops)+1, 16), 2048, lim.MaxScan-scanned+1)
		args[0], args[3] = i64(p.Cursor), chunk
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		n, done, err := page(rows, p, exclude, lim, &scanned)
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil || done {
			return err
		}
		if n < chunk {
			p.Cursor = max(p.Cursor, p.Head)
			return nil
		}
	}
}

// page adds the rows of one chunk to p, as far as the limits let it. done:
// the page is full or the scan limit reached.
func page(rows pgx.Rows, p *store.Page, exclude string, lim store.PullLimits, scanned *int) (n int, done bool, err error) {
	for rows.Next() {
		n++
		if *scanned >= lim.MaxScan {
			p.More = true
			return n, true, nil
		}
		*scanned++
		var seq int64
		var dev string
		var raw []byte
		if err := rows.Scan(&seq, &dev, &raw); err != nil {
			return n, false, err
		}
		if dev == exclude || raw == nil {
			p.Cursor = u64(seq)
			continue
		}
		op, err := changeset.DecodeOp(raw)
		if err != nil {
			return n, false, fmt.Errorf("log entry %d: %w", seq, err)
		}
		enc := raw
		var encErr error
		if lim.Encode != nil {
			enc, encErr = lim.Encode(op)
		}
		if encErr != nil || lim.MaxOpBytes > 0 && len(enc) > lim.MaxOpBytes {
			p.Withheld = append(p.Withheld, op.ID())
			p.Cursor = u64(seq)
			continue
		}
		if len(p.Ops) > 0 && (len(p.Ops) >= lim.MaxOps || p.Bytes+len(enc) > lim.MaxBytes) {
			p.More = true
			return n, true, nil
		}
		p.Ops = append(p.Ops, op)
		p.Encoded = append(p.Encoded, enc)
		p.Bytes += len(enc)
		p.Cursor = u64(seq)
	}
	return n, false, nil
}
