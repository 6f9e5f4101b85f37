package pgstore

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Pull implements store.Log. It reads the head and never past it: appends
// commit in sequence order (see the package doc), so once a head is read,
// every number up to it is committed and no other can appear below it,
// and the page's cursor never passes one that could still appear. So a
// pull needs no transaction: its first statement reads the head and the
// first rows in one snapshot, and a later one (a page that needs more
// rows) reads, in a newer snapshot, rows up to that same head, all of
// which it sees. A pull is then one round trip to the database, where a
// transaction of its own made it four. A council's pull reads its own
// rows of the log (log_pull), never another council's. The device's own
// operations are looked at by their numbers and author only, never sent
// from the database.
func (s *Store) Pull(ctx context.Context, scope store.Scope, exclude string, after uint64, lim store.PullLimits) (*store.Page, error) {
	if lim.MaxOps <= 0 {
		lim.MaxOps = 1000
	}
	if lim.MaxScan <= 0 {
		lim.MaxScan = 100_000
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := &store.Page{Cursor: after}
	if err := s.pull(ctx, p, scope, exclude, lim); err != nil {
		return nil, fmt.Errorf("pull: %w", classify(err))
	}
	return p, nil
}

// The pull queries. $1 after, $2 the head (NULL: read it, in the same
// snapshot), $3 the device left out, $4 how many rows, $5 how many
// operations, $6 the last row read without its operations (the tail
// holds them; 0: none), $7 and $8 the index values read. Each row of the result
// carries the head (h); when no row of the log is read, one row of NULLs
// still does. Rows are read in log order (l, at most $4 of them); each
// gives its operations after $1 (from lo), and only as many as keep the
// total under $5 (before: the operations of the rows ahead of it), so
// that a pull that wants a few operations of a row of two thousand is
// sent those few. The device's own are never sent (NULL). The condition
// that ix is not empty, written out, lets the planner use the partial
// index whatever the parameters.
const (
	pullRows = `WITH h AS (SELECT coalesce($2::bigint, head) AS head FROM log_state)
		SELECT h.head, r.first, r.last, r.device,
			CASE WHEN r.device = $3 OR r.last <= $6 THEN NULL ELSE r.ops[r.lo - r.first + 1 : least(r.last, r.lo + $5 - 1 - r.before) - r.first + 1] END
		FROM h LEFT JOIN LATERAL (
			SELECT * FROM (SELECT l.first, l.last, l.device, l.ops, greatest(l.first, $1 + 1) AS lo,
					coalesce(sum(l.last - greatest(l.first, $1 + 1) + 1) OVER (ORDER BY l.last ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::bigint AS before
				FROM (%s) l) w
			WHERE w.before < $5) r ON true
		ORDER BY r.last`
	pullAll = `SELECT first, last, device, ops FROM log WHERE last > $1 AND last <= h.head ORDER BY last LIMIT $4`
	pullOne = `SELECT first, last, device, ops FROM log WHERE ix = $7 AND ix <> '' AND last > $1 AND last <= h.head ORDER BY last LIMIT $4`
	pullTwo = `(SELECT first, last, device, ops FROM log WHERE ix = $7 AND ix <> '' AND last > $1 AND last <= h.head ORDER BY last LIMIT $4)
		UNION ALL
		(SELECT first, last, device, ops FROM log WHERE ix = $8 AND ix <> '' AND last > $1 AND last <= h.head ORDER BY last LIMIT $4)
		ORDER BY last LIMIT $4`
)

func (s *Store) pull(ctx context.Context, p *store.Page, scope store.Scope, exclude string, lim store.PullLimits) error {
	rows, args := pullAll, []any{nil, nil, exclude, nil, nil, int64(0)}
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
			// Nothing to see: the cursor goes to the head.
			var head int64
			if err := s.pool.QueryRow(ctx, `SELECT head FROM log_state`).Scan(&head); err != nil {
				return err
			}
			p.Head, p.Cursor = u64(head), u64(head)
			return nil
		case 1:
			rows = pullOne
		default:
			rows = pullTwo
		}
		args = append(args, ixs...)
	}
	reached := s.reachedOf(args[6:])
	query := fmt.Sprintf(pullRows, rows)
	scanned := 0
	// own is the first operation of the device's own this pull passed
	// without reading it (0: none): reached goes no further than before
	// it, so that the next pull of the scope reads it (the device's sync
	// pulls right after its push, past the operations it pushed).
	var own uint64
	for first := true; ; first = false {
		// Operations for the page and one more (is there more?), a chunk
		// at a time, never more than the scan may still look at and one;
		// each row holds one at least, so as many rows are enough.
		want := min(max(lim.MaxOps-len(p.Ops)+1, 16), 2048, lim.MaxScan-scanned+1)
		args[0], args[3], args[4] = i64(p.Cursor), want, want
		if !first {
			args[1] = i64(p.Head)
		}
		// Near the log's head the tail holds what laptops pull (each
		// council's laptops pull the same operations, one after
		// another): the rows up to where this process's pulls of the
		// same rows reached come without their operations, and are read
		// again with them only when the tail lacks one of them. Reading
		// every operation's bytes from PostgreSQL whatever the tail held
		// was an eighth of a process's CPU in syncbench's 500 laptops.
		var held [][]*store.TailOp
		args[5] = int64(0)
		if r := reached.Load(); (lim.Encode != nil || lim.Size != nil) && r > p.Cursor && p.Cursor+store.TailOps > r {
			args[5] = i64(r) // the page is not the log's bytes: the tail's operations do
		}
		rs, err := s.pullRows(ctx, query, args, nil)
		if err != nil {
			return err
		}
		if args[5] != int64(0) {
			if held = fromTail(rs, p.Cursor, exclude, want, &s.tail); held == nil {
				args[5] = int64(0)
				if rs, err = s.pullRows(ctx, query, args, rs); err != nil {
					return err
				}
			}
		}
		n, seen, done, err := page(rs, held, p, first, exclude, lim, want, &scanned, &s.tail, &own)
		to := p.Cursor
		if own > 0 {
			to = min(to, own-1)
		}
		for r := reached.Load(); to > r && !reached.CompareAndSwap(r, to); r = reached.Load() {
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

// logRow is a row of a pull query's result: the head, and a row of the
// log (none: first not Valid) with the operations asked of it (nil: not
// asked). Scanned into pgtype's values, not pointers: pgx reaches a
// pointer to a pointer, and a [][]byte, by reflection, and allocates each
// (BenchmarkPullRows: 372 -> 246 allocations a pull of 24 rows).
type logRow struct {
	head        int64
	first, last pgtype.Int8
	dev         pgtype.Text
	raw         [][]byte
}

// reachedOf is how far this process's pulls of the log's rows of ixs (the
// index values of a scope; none: the whole log) went: the operations of
// those rows up to it are in the tail, unless they were too old, too
// large or pushed out by newer ones since (fromTail looks).
func (s *Store) reachedOf(ixs []any) *atomic.Uint64 {
	key := fmt.Sprintf("%q", ixs)
	if r, ok := s.reached.Load(key); ok {
		return r.(*atomic.Uint64)
	}
	r, _ := s.reached.LoadOrStore(key, new(atomic.Uint64))
	return r.(*atomic.Uint64)
}

// pullRows runs a pull query and reads its rows into rs[:0].
func (s *Store) pullRows(ctx context.Context, query string, args []any, rs []logRow) ([]logRow, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return rs, err
	}
	defer rows.Close()
	rs = rs[:0]
	for rows.Next() {
		var r logRow
		if err := rows.Scan(&r.head, &r.first, &r.last, &r.dev, (*pgtype.FlatArray[[]byte])(&r.raw)); err != nil {
			return rs, err
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// fromTail is, for each row of rs read without its operations (and not
// the device's own), the operations a page would take of it (from after
// on, want in all) as the tail holds them; nil when it lacks one of
// them.
func fromTail(rs []logRow, after uint64, exclude string, want int, tail *store.Tail) [][]*store.TailOp {
	held := make([][]*store.TailOp, len(rs))
	seen := 0
	for i, r := range rs {
		if !r.first.Valid {
			continue
		}
		lo := max(u64(r.first.Int64), after+1)
		k := min(int(u64(r.last.Int64)-lo+1), want-seen)
		if k <= 0 {
			return nil // as page counts them, the rows give what was asked before this one
		}
		seen += k
		if r.dev.String == exclude || r.raw != nil {
			continue
		}
		held[i] = make([]*store.TailOp, k)
		for j := range k {
			if held[i][j] = tail.Get(lo + uint64(j)); held[i][j] == nil {
				return nil
			}
		}
	}
	return held
}

// page adds the operations of one chunk's rows to p, as far as the limits
// let it: n rows, seen operations looked at. held, when not nil, holds
// the operations of the rows read without them (fromTail). done: the
// page is full or the scan limit reached, or (withHead: the head was read
// with these rows) the cursor is at the head already. own is set to the
// first operation of a row of exclude's passed unread, if it is not yet.
func page(rows []logRow, held [][]*store.TailOp, p *store.Page, withHead bool, exclude string, lim store.PullLimits, want int, scanned *int, tail *store.Tail, own *uint64) (n, seen int, done bool, err error) {
	after := p.Cursor
	for ri, row := range rows {
		head, rowFirst, rowLast, rowDev, raw := row.head, row.first, row.last, row.dev, row.raw
		var kept []*store.TailOp
		if held != nil {
			kept = held[ri]
		}
		if withHead && n == 0 {
			p.Head = u64(head)
			if p.Cursor >= p.Head {
				// Nothing new; a cursor past the head comes from before
				// a restore: point it back at the head so new work is
				// seen.
				p.Cursor = p.Head
				return n, seen, true, nil
			}
		}
		if !rowFirst.Valid {
			continue // no row of the log: the head alone
		}
		n++
		first, last, dev := rowFirst.Int64, rowLast.Int64, rowDev.String
		lo := max(u64(first), after+1)
		k := min(int(u64(last)-lo+1), want-seen)
		if dev == exclude || raw == nil && kept == nil {
			// The device's own: looked at, never sent (nor read).
			if *own == 0 && raw == nil {
				*own = lo
			}
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
		if kept == nil && len(raw) != k || kept != nil && len(kept) != k || k <= 0 {
			return n, seen, false, fmt.Errorf("the log's row %d..%d read from %d gave %d operations, want %d: the log is damaged", first, last, lo, max(len(raw), len(kept)), k)
		}
		for i := range k {
			seq := lo + uint64(i)
			if *scanned >= lim.MaxScan {
				p.More = true
				return n, seen, true, nil
			}
			*scanned++
			seen++
			// A row read with its operations: what a kept one saves
			// is its decoding and size.
			var b []byte
			var e *store.TailOp
			if kept != nil {
				e = kept[i]
			} else {
				b, e = raw[i], tail.Get(seq)
			}
			if e == nil {
				op, err := changeset.DecodeOp(b)
				if err != nil {
					return n, seen, false, fmt.Errorf("log entry %d: %w", seq, err)
				}
				e = tail.Keep(seq, p.Head, op, len(b), &lim)
			}
			op := e.Op
			enc, size := b, len(b)
			var encErr error
			switch {
			case lim.Encode != nil:
				enc, encErr = lim.Encode(op)
				size = len(enc)
			case lim.Size != nil:
				size = e.SizeOf(&lim)
			}
			if encErr != nil || lim.MaxOpBytes > 0 && size > lim.MaxOpBytes {
				p.Withheld = append(p.Withheld, op.ID())
				p.Cursor = seq
				continue
			}
			if len(p.Ops) > 0 && (len(p.Ops) >= lim.MaxOps || p.Bytes+size > lim.MaxBytes) {
				p.More = true
				return n, seen, true, nil
			}
			p.Add(op, enc, e, size, &lim)
			p.Cursor = seq
		}
	}
	return n, seen, false, nil
}
