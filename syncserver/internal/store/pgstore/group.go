package pgstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Group commit. Appends are one at a time across the deployment (the row
// lock on log_state), and each commit waits for PostgreSQL to flush its
// WAL while it holds that lock: with many laptops syncing at once, the
// log would take one small transaction and one flush after another. So
// the appends waiting in one process are run together: one of them (the
// leader) takes the lock, runs each waiting append's function in turn in
// the one transaction, and commits them all with one flush. Each function
// is still all or nothing: what a function that failed wrote is undone
// (undo) before the next runs, and it alone is told its error. Leadership
// passes to the next waiting append when a group is done, so no caller
// serves others for ever.

// Bounds of a group: how many appends, and how many rows of the log they
// may have written before the rest wait for the next group.
const (
	maxGroup     = 64
	maxGroupRows = 20_000
)

// groupTimeout bounds a group's transaction, which no one caller's
// context may cancel (it commits the others' work too).
const groupTimeout = 10 * time.Minute

// appendReq is an Append waiting to run.
type appendReq struct {
	ctx  context.Context
	dev  string            // the device whose acknowledgement fn reads first (AppendKeyed; "": none)
	keys []store.RecordKey // the records fn is about to read (AppendKeyed)
	fn   func(store.LogTx) error
	done chan error    // its result, once its group committed or it failed
	lead chan struct{} // it is the leader: run the next group
}

// Append implements store.Log: fn runs in the transaction of its group,
// which holds the log (see the package doc and above), and Append returns
// once that transaction committed fn's writes, or with fn's error and
// nothing of fn written.
func (s *Store) Append(ctx context.Context, fn func(store.LogTx) error) error {
	return s.AppendKeyed(ctx, "", nil, fn)
}

var _ store.KeyedAppender = (*Store)(nil)
var _ store.AppendGroupCounter = (*Store)(nil)

// AppendKeyed implements store.KeyedAppender: Append, with the records
// keys name and device dev's acknowledgement read for the whole group in
// the round trip that takes the log (with 64 appends waiting, one round
// trip under the lock instead of one, or two, per append).
func (s *Store) AppendKeyed(ctx context.Context, dev string, keys []store.RecordKey, fn func(store.LogTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &appendReq{ctx: ctx, dev: dev, keys: keys, fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	s.amu.Lock()
	s.pending = append(s.pending, req)
	if !s.leading {
		s.leading = true
		req.lead <- struct{}{}
	}
	s.amu.Unlock()
	for {
		select {
		case err := <-req.done:
			return err
		case <-req.lead:
			s.runGroup()
		}
	}
}

// runGroup runs the appends at the head of the queue in one transaction,
// then gives the lead to the next waiting append, if any.
func (s *Store) runGroup() {
	s.amu.Lock()
	n := min(len(s.pending), maxGroup)
	group := append([]*appendReq(nil), s.pending[:n]...)
	s.pending = append(s.pending[:0:0], s.pending[n:]...)
	s.amu.Unlock()

	left := s.commitGroupSafe(group)

	s.amu.Lock()
	s.pending = append(left, s.pending...)
	if len(s.pending) > 0 {
		s.pending[0].lead <- struct{}{}
	} else {
		s.leading = false
	}
	s.amu.Unlock()
}

// commitGroupSafe is commitGroup, with a panic of its own (a bug of this
// package or pgx's: run recovers the functions') turned into every
// caller's error, so that the lead still passes on and the process's
// other writers do not wait for ever on a leader that is gone. The
// transaction is rolled back as the panic leaves inGroupTx.
func (s *Store) commitGroupSafe(group []*appendReq) (left []*appendReq) {
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("pgstore: a group of appends panicked: %v\n%s", r, debug.Stack())
			for _, q := range group {
				select {
				case q.done <- err: // not answered yet (or answered: its buffer is full)
				default:
				}
			}
			left = nil
		}
	}()
	return s.commitGroup(group)
}

// AppendGroups is how many groups of appends this process has begun (each
// one transaction; store.AppendGroupCounter): for the metrics, tests and
// benchmarks.
func (s *Store) AppendGroups() int64 { return s.groups.Load() }

// commitGroup runs group's functions in one transaction and tells each
// its result; those it had no room for are returned, to wait for the next
// group.
func (s *Store) commitGroup(group []*appendReq) (left []*appendReq) {
	results := make([]error, len(group))
	ran := make([]bool, len(group))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].ctx), groupTimeout)
	defer cancel()
	s.groups.Add(1)
	var judged map[string]bool // the devices the group judged
	err := s.inGroupTx(ctx, func(tx *groupTx) error {
		w := newLogTx(ctx, tx)
		w.group = tx
		w.ackReads = &s.ackReads
		var keys []store.RecordKey
		devs := s.takeHints()
		for _, r := range group {
			keys = append(keys, r.keys...)
			if r.dev != "" {
				devs = append(devs, r.dev)
			}
		}
		if err := w.lock(devs, keys); err != nil {
			return err
		}
		wrote := false
		for i, r := range group {
			if i > 0 && len(w.ops.seq)+len(w.refused) >= maxGroupRows {
				left = group[i:]
				group = group[:i]
				break
			}
			ran[i] = true
			if err := r.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			m := w.mark()
			if err := run(r.fn, w); err != nil {
				w.rollback(m)
				results[i] = err
				if tx.c.PgConn().TxStatus() == 'E' {
					// A statement of fn failed: the transaction is lost,
					// and the group with it.
					return fmt.Errorf("the append's transaction failed: %w", err)
				}
				continue
			}
			wrote = true
		}
		if !wrote {
			return errNothing
		}
		judged = w.ackedW
		return w.flush()
	})
	if err == nil {
		s.usedHints(judged)
	}
	if errors.Is(err, errNothing) {
		err = nil
	}
	err = classify(err)
	// Each is told its own error, or the group's (nil: committed); one
	// the group failed before running is told the group's error too.
	for i, r := range group {
		if results[i] == nil || !ran[i] {
			results[i] = err
		}
		r.done <- results[i]
	}
	return left
}

// errNothing ends a group none of whose functions succeeded: nothing to
// commit.
var errNothing = errors.New("pgstore: nothing to commit")

// A group's transaction holds the log's lock from the batch that takes
// it to the commit, and every process's appends wait for it (one group at
// a time across the deployment): each round trip in between is on their
// serial path. pgx.BeginTxFunc would send BEGIN and COMMIT each in a round
// trip of its own; a group's transaction instead begins in the batch that
// takes the lock (logTx.lock) and commits in the batch that writes the
// log (logTx.flush), one pipeline each: a statement of a pipeline that
// fails skips the rest of it, COMMIT included, and the transaction is
// then rolled back here, so a group is still all or nothing.

// groupTx is a group's transaction on its connection of the pool: a
// pgx.Tx, so that the group's functions read and write through it as in
// any transaction, whose BEGIN and COMMIT logTx queues in its batches.
type groupTx struct {
	c *pgx.Conn
	// begun: BEGIN was sent (a connection whose transaction status is not
	// idle after it is rolled back). committed: COMMIT was, and it
	// committed.
	begun, committed bool
}

var _ pgx.Tx = (*groupTx)(nil)

// beginGroup is the statement that begins a group's transaction (as
// pgx.TxOptions{IsoLevel: pgx.ReadCommitted} would).
const beginGroup = `BEGIN ISOLATION LEVEL READ COMMITTED`

// inGroupTx runs fn in a group's transaction: on a connection of the
// pool, begun by fn (logTx.lock), committed by fn (logTx.flush) or else
// here once fn returned nil, rolled back if fn fails or panics.
func (s *Store) inGroupTx(ctx context.Context, fn func(*groupTx) error) (err error) {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	tx := &groupTx{c: pc.Conn()}
	defer func() {
		if !tx.committed && tx.begun {
			// Its own bound: ctx may be what ended (a connection that is
			// still in a transaction after this is closed by Release).
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			tx.c.Exec(rctx, `ROLLBACK`) // the group's error is what counts
			cancel()
		}
		pc.Release()
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if !tx.committed {
		s.soloCommits.Add(1)
		return tx.Commit(ctx)
	}
	return nil
}

// queueBegin queues BEGIN in b, the group's first batch.
func (tx *groupTx) queueBegin(b *pgx.Batch) {
	tx.begun = true
	b.Queue(beginGroup)
}

// queueCommit queues COMMIT in b, the group's last batch, and returns
// its place in b; committedBy takes its result.
func (tx *groupTx) queueCommit(b *pgx.Batch) int {
	b.Queue(`COMMIT`)
	return b.Len() - 1
}

// committedBy takes the result of the COMMIT queueCommit queued: a
// COMMIT of a transaction that had failed answers ROLLBACK, with no
// error.
func (tx *groupTx) committedBy(tag pgconn.CommandTag) error {
	if tag.String() != "COMMIT" {
		return pgx.ErrTxCommitRollback
	}
	tx.committed = true
	return nil
}

// Commit commits the group's transaction in a round trip of its own (a
// group whose last batch could not hold COMMIT).
func (tx *groupTx) Commit(ctx context.Context) error {
	tag, err := tx.c.Exec(ctx, `COMMIT`)
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return tx.committedBy(tag)
}

// Rollback: inGroupTx rolls the group back.
func (tx *groupTx) Rollback(context.Context) error {
	return errors.New("pgstore: a group's transaction is rolled back by its group")
}

// Begin: a group has no nested transactions.
func (tx *groupTx) Begin(context.Context) (pgx.Tx, error) {
	return nil, errors.New("pgstore: no nested transaction in a group")
}

func (tx *groupTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return tx.c.CopyFrom(ctx, table, cols, src)
}

func (tx *groupTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return tx.c.SendBatch(ctx, b)
}

func (tx *groupTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} } // not used

func (tx *groupTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return tx.c.Prepare(ctx, name, sql)
}

func (tx *groupTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return tx.c.Exec(ctx, sql, args...)
}

func (tx *groupTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return tx.c.Query(ctx, sql, args...)
}

func (tx *groupTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return tx.c.QueryRow(ctx, sql, args...)
}

func (tx *groupTx) Conn() *pgx.Conn { return tx.c }

// run calls fn, turning a panic into its error: the leader runs other
// callers' functions, and one of them must not take the others down.
func run(fn func(store.LogTx) error, w *logTx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pgstore: an append's function panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(w)
}

// mark is what a logTx held before a function ran.
type mark struct {
	head, clock uint64
	rule        int
	ops         int
	refused     int
}

// mark starts journaling a function's writes.
func (w *logTx) mark() mark {
	w.undo = w.undo[:0]
	w.journaled = w.journaled[:0]
	return mark{head: w.head, clock: w.clock, rule: w.rule, ops: len(w.ops.seq), refused: len(w.refused)}
}

// rollback undoes what was written since m: the journal of map entries,
// newest first, then the rows and counters.
func (w *logTx) rollback(m mark) {
	for i := len(w.undo) - 1; i >= 0; i-- {
		w.undo[i]()
	}
	w.undo = w.undo[:0]
	w.journaled = w.journaled[:0]
	r := &w.ops
	w.head, w.clock, w.rule = m.head, m.clock, m.rule
	r.seq, r.dseq = r.seq[:m.ops], r.dseq[:m.ops]
	r.device, r.index, r.op = r.device[:m.ops], r.index[:m.ops], r.op[:m.ops]
	w.refused = w.refused[:m.refused]
}

// save journals map m's entry k before a write changes it.
func save[K comparable, V any](w *logTx, m map[K]V, k K) {
	old, had := m[k]
	w.undo = append(w.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}
