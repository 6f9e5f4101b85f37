package pgstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/jackc/pgx/v5"

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
// transaction is rolled back as the panic leaves pgx.BeginTxFunc.
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
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		w := newLogTx(ctx, tx)
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
				if tx.Conn().PgConn().TxStatus() == 'E' {
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
