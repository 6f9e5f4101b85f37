package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// A ReadLog whose function reads once goes in one round trip.
//
// Most of them do: a sync that pushes nothing reads its device's
// acknowledgement and nothing else (ingest), and so does a laptop's first
// push on a process when the device has pushed nothing before. In a
// transaction of its own that read was three round trips on a connection
// of the pool (BEGIN, the read, COMMIT), and with 500 laptops syncing at
// once each sync waits its turn for a connection (BENCHMARKS.md, pg5): a
// connection held for one round trip instead of three serves the others
// sooner.
//
// So a ReadLog's first read goes alone, in no transaction of its own: one
// statement sees one snapshot. A function that reads again begins a
// REPEATABLE READ, read-only transaction with its second read, in the same
// round trip, and reads its first read again there, first: REPEATABLE READ
// takes its snapshot at the transaction's first statement, so the first
// read's answer again and the second read are of one snapshot. When the
// answer is the same, everything the function read is as it would have
// read it in that snapshot from its start, which is what store.Log.ReadLog
// promises. When it is not (a write committed between the two, say
// another push of the device on another process), the function is told
// errReadAgain, the transaction is rolled back and the function runs again
// in a transaction from its start, as the contract lets it (store's
// package doc: the function may run more than once).
//
// Nothing here writes, takes a lock or reads the log's head: what a pull
// sees, the order of sequence numbers and the lock appends take
// (Append) are as they were. Two processes are two stores, each reading
// what PostgreSQL committed.

// rowQuerier is what a reader reads through (pgx.Tx and readSnapshot).
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// beginReadLog begins a ReadLog's snapshot (as pgx.TxOptions{IsoLevel:
// pgx.RepeatableRead, AccessMode: pgx.ReadOnly} would).
const beginReadLog = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`

// errReadAgain: a ReadLog's first read answered otherwise in the snapshot
// its second read began; its function runs again.
var errReadAgain = errors.New("pgstore: the log changed between a read's first two statements; reading again")

// ReadLog implements store.Log.
func (s *Store) ReadLog(ctx context.Context, fn func(store.LogReader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return classify(err)
	}
	defer pc.Release() // a connection left in a transaction is closed
	c := pc.Conn()
	rs := &readSnapshot{c: c}
	err = fn(&reader{ctx: ctx, q: rs, hint: s.hint})
	if rs.begun {
		s.readSnapshots.Add(1)
	}
	if rs.stale {
		// Whatever fn made of errReadAgain: what it read is not of one
		// snapshot.
		s.readAgain.Add(1)
		if err := endReadLog(ctx, c, `ROLLBACK`); err != nil {
			return classify(err)
		}
		err = pgx.BeginTxFunc(ctx, c, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			return fn(&reader{ctx: ctx, tx: tx, q: tx, hint: s.hint})
		})
		return classify(err)
	}
	if c.PgConn().TxStatus() != 'I' { // begun by the second read
		if err != nil {
			endReadLog(ctx, c, `ROLLBACK`) // fn's error is what counts
			return classify(err)
		}
		return classify(endReadLog(ctx, c, `COMMIT`))
	}
	return classify(err)
}

// endReadLog ends a ReadLog's transaction with COMMIT or ROLLBACK. A
// ROLLBACK has a bound of its own (ctx may be what ended; a connection
// still in a transaction is closed when it is released).
func endReadLog(ctx context.Context, c *pgx.Conn, end string) error {
	if end == `ROLLBACK` {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	tag, err := c.Exec(ctx, end)
	switch {
	case err != nil:
		return fmt.Errorf("read the log: %s: %w", end, err)
	case end == `COMMIT` && tag.String() != "COMMIT":
		// A transaction that failed answers COMMIT with ROLLBACK.
		return fmt.Errorf("read the log: %w", pgx.ErrTxCommitRollback)
	}
	return nil
}

// readSnapshot is a ReadLog's connection: its first read alone, its
// second beginning the snapshot (see above), the rest in it.
type readSnapshot struct {
	c     *pgx.Conn
	reads int
	// The first read and its answer: its row's raw values (found: there
	// was one). firstOK: it was read (no error but pgx.ErrNoRows).
	firstSQL  string
	firstArgs []any
	firstRaw  [][]byte
	found     bool
	firstOK   bool
	begun     bool // the second read was sent
	stale     bool // the first read answered otherwise in the snapshot
}

// QueryRow implements rowQuerier.
func (rs *readSnapshot) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rs.reads++
	switch rs.reads {
	case 1:
		rs.firstSQL, rs.firstArgs = sql, args
		rows, _ := rs.c.Query(ctx, sql, args...) // its error is the row's
		return &firstRow{rows: rows, rs: rs}
	case 2:
		rs.begun = true
		b := &pgx.Batch{}
		b.Queue(beginReadLog)
		b.Queue(rs.firstSQL, rs.firstArgs...)
		b.Queue(sql, args...)
		br := rs.c.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return errRow{fmt.Errorf("begin reading the log: %w", err)}
		}
		rows, _ := br.Query()
		raw, found, err := oneRow(rows)
		if err != nil {
			br.Close()
			return errRow{err}
		}
		if !rs.firstOK || found != rs.found || !sameRaw(raw, rs.firstRaw) {
			rs.stale = true
			br.Close()
			return errRow{errReadAgain}
		}
		return &batchRow{row: br.QueryRow(), br: br}
	}
	return rs.c.QueryRow(ctx, sql, args...)
}

// firstRow is a ReadLog's first read, whose row's raw values its second
// read compares (readSnapshot).
type firstRow struct {
	rows pgx.Rows
	rs   *readSnapshot
}

// Scan implements pgx.Row as pgx's own: pgx.ErrNoRows when there is none.
func (r *firstRow) Scan(dest ...any) error {
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		r.rs.firstOK = true
		return pgx.ErrNoRows
	}
	raw := copyRaw(r.rows.RawValues())
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	if err := r.rows.Err(); err != nil {
		return err
	}
	r.rs.firstRaw, r.rs.found, r.rs.firstOK = raw, true, true
	return nil
}

// oneRow reads rows, of at most one row: its raw values, and whether
// there was one.
func oneRow(rows pgx.Rows) ([][]byte, bool, error) {
	defer rows.Close()
	var raw [][]byte
	found := rows.Next()
	if found {
		raw = copyRaw(rows.RawValues())
	}
	rows.Close()
	return raw, found, rows.Err()
}

func copyRaw(vals [][]byte) [][]byte {
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if v != nil {
			out[i] = append([]byte{}, v...)
		}
	}
	return out
}

// sameRaw says whether two rows' raw values are the same (a NULL is not
// an empty value).
func sameRaw(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// batchRow is the second read's row, in the batch that began the
// snapshot: scanned, the batch is closed.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r *batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

// errRow is a read that failed before its row.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
