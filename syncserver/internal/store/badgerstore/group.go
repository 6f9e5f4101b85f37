package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"runtime/trace"
	"slices"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Group commit. The log has one writer (Append), and each commit waits
// for Badger to sync its write-ahead log while it holds the writer: with
// many laptops syncing at once, the log would take one small transaction
// and one sync after another, and the syncs per second would bound the
// syncs of laptops. So the appends waiting for the writer are run
// together: one of them (the leader) runs each waiting append's function
// in turn in one Badger transaction, each seeing what those before it
// wrote, and commits them all with one sync; each caller is answered only
// after that commit. Appends queued while the leader runs the functions
// join the group before its commit (up to maxGroup). Leadership passes to
// the next waiting append when a group is done, so no caller serves others
// for ever.
//
// Each function is still all or nothing. Badger cannot undo part of a
// transaction, so when a function fails its group's transaction is
// dropped and the group is run again without it: the functions may run
// more than once (the store's contract says so), and one that failed is
// told its own error and leaves nothing. A function that finds the
// transaction full (ErrTxnTooBig) after others of its group waits, with
// those after it, for the next group; a group whose commit is too large
// is halved; a group takes no more functions once its transaction holds
// half of what Badger takes (counting its operations' encodings). Failures are rare (a push whose operations a laptop sent
// twice, an impossible clock, a change set too large): the common group
// runs each function once.

// maxGroup bounds the appends of a group: each waits for the whole group
// before it is answered.
const maxGroup = 64

// appendReq is an Append waiting to run.
type appendReq struct {
	ctx  context.Context
	fn   func(store.LogTx) error
	done chan error    // its result, once its group committed or it failed
	lead chan struct{} // it is the leader: run the next group
}

// Append implements store.Log. The log has one writer: Badger locks the
// directory to one process, and Appends run in groups, in arrival order,
// one group at a time, each in one transaction that commits durably and
// visibly before the next begins (see above), so the next group reads the
// head this one left and a pull's snapshot never holds a sequence number
// without every one before it. An Append whose context ends while it
// waits leaves without running.
func (s *Store) Append(ctx context.Context, fn func(store.LogTx) error) error {
	return s.AppendQueued(ctx, fn, nil)
}

var _ store.QueuedAppender = (*Store)(nil)
var _ store.AppendGroupCounter = (*Store)(nil)

// AppendQueued implements store.QueuedAppender: queued is called once req
// is in s.pending, where the groups take appends in order.
func (s *Store) AppendQueued(ctx context.Context, fn func(store.LogTx) error, queued func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &appendReq{ctx: ctx, fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	s.amu.Lock()
	s.pending = append(s.pending, req)
	if !s.leading {
		s.leading = true
		req.lead <- struct{}{}
	}
	s.amu.Unlock()
	if queued != nil {
		queued()
	}
	for {
		select {
		case err := <-req.done:
			return err
		case <-req.lead:
			s.runGroup()
		case <-ctx.Done():
			if s.leave(req) {
				return ctx.Err()
			}
			// A group is running it: its result comes.
			return <-req.done
		}
	}
}

// leave takes req out of the queue if no group took it yet, passing on
// the lead if it had been given it.
func (s *Store) leave(req *appendReq) bool {
	s.amu.Lock()
	defer s.amu.Unlock()
	i := slices.Index(s.pending, req)
	if i < 0 {
		return false
	}
	s.pending = slices.Delete(s.pending, i, i+1)
	select {
	case <-req.lead:
		s.passLead()
	default:
	}
	return true
}

// passLead gives the lead to the first waiting append, if any (s.amu held).
func (s *Store) passLead() {
	if len(s.pending) > 0 {
		s.pending[0].lead <- struct{}{}
	} else {
		s.leading = false
	}
}

// runGroup runs the appends at the head of the queue in one transaction,
// then gives the lead to the next waiting append, if any.
func (s *Store) runGroup() {
	s.amu.Lock()
	n := min(len(s.pending), maxGroup)
	group := slices.Clone(s.pending[:n])
	s.pending = slices.Delete(s.pending, 0, n)
	s.amu.Unlock()

	s.writer.Lock()
	left := s.commitGroupSafe(group)
	// Its callers are answered; the next group waits for a window of
	// states written, if one is due (dirty.go).
	due := trace.StartRegion(context.Background(), "badgerstore.writeIfDue")
	err := s.writeIfDue()
	due.End()
	if err != nil {
		// What the groups committed is in the cache and the log (a
		// crash merges it again); the next group tries again.
		s.logFlushError(err)
	}
	s.writer.Unlock()

	s.amu.Lock()
	s.pending = append(left, s.pending...)
	s.passLead()
	s.amu.Unlock()
}

// commitGroupSafe is commitGroup, with a panic of its own (a bug of this
// package or Badger's: call recovers the functions') turned into every
// caller's error, so that the lead still passes on and the log's other
// writers do not wait for ever on a leader that is gone.
func (s *Store) commitGroupSafe(group []*appendReq) (left []*appendReq) {
	var extra []*appendReq // those that joined the group as it ran (takeMore)
	defer func() {
		if r := recover(); r != nil {
			err := fmt.Errorf("badgerstore: a group of appends panicked: %v\n%s", r, debug.Stack())
			for _, q := range slices.Concat(group, extra) {
				select {
				case q.done <- err: // not answered yet (or answered and gone: no one reads it)
				default:
				}
			}
			left = nil
		}
	}()
	return s.commitGroup(group, &extra)
}

// commitGroup runs group's functions in one transaction and tells each
// its result; those it had no room for are returned, to wait for the next
// group. Appends queued meanwhile may join it (takeMore, into *extra).
func (s *Store) commitGroup(group []*appendReq, extra *[]*appendReq) (left []*appendReq) {
	s.groups.Add(1)
	// No one caller's context may cancel the transaction: it commits the
	// others' work too.
	ctx := context.WithoutCancel(group[0].ctx)
	buf, sbuf := opsBufs.Get().(*[]byte), opsBufs.Get().(*[]byte)
	defer func() {
		for _, b := range []*[]byte{buf, sbuf} {
			if cap(*b) <= maxPooledOps {
				opsBufs.Put(b)
			}
		}
	}()
	run := group // those still to commit
	// Appends queued meanwhile join only the group's first run: one run
	// again without a function that failed must not take that function's
	// next attempt, which read the store before this group's commit and
	// would fail again on what the group wrote (ingest looks again on
	// store.ErrSequence, a few times: TestConcurrentPushesOfOneDevice);
	// queued for the next group, it reads what this one committed.
	join := !s.noJoin.Load()
	for len(run) > 0 {
		var (
			failed  *appendReq // a function that failed: the group goes again without it
			fErr    error
			skipped []*appendReq // left before running: their contexts ended
			full    = -1         // from this one on, the transaction had no room
			stop    int          // from this one on, not run: the transaction is half full
		)
		var last *logTx // the transaction's last run (update may run it again)
		// The regions of an execution trace (kenesh-syncserver --trace):
		// a group's update is its functions, its finish and Badger's
		// commit with its syncs.
		upd := trace.StartRegion(ctx, "badgerstore.group")
		err := s.update(ctx, func(x *txn) error {
			defer trace.StartRegion(ctx, "badgerstore.group.run").End()
			failed, fErr, skipped, full, stop = nil, nil, skipped[:0], -1, len(run)
			head, err := x.metaUint(metaHead)
			if err != nil {
				return err
			}
			w := &logTx{txn: x, head: head, acked: map[string]uint64{}, ops: items{b: (*buf)[:0]}, states: (*sbuf)[:0], cache: &s.states, tracked: &s.tracked}
			last = w
			defer func() { *buf, *sbuf = w.ops.b, w.states }() // grown: kept for the next group
			ran, halted := 0, false
			for i := 0; i < len(run); i++ {
				r := run[i]
				if ran > 0 && (x.size+int64(len(w.ops.b)) >= s.db.MaxBatchSize()/2 || w.stateBytes >= s.states.groupKept/2) {
					// The rest wait for the next group rather than
					// risk finding the transaction full, which runs
					// the group's functions again. The operations'
					// encodings, written at the end (finish), count
					// too: what a group holds in memory is bounded
					// by about this and its last function.
					halted = true
					stop = i
					break
				}
				if r.ctx.Err() != nil {
					skipped = append(skipped, r)
					continue
				}
				fr := trace.StartRegion(ctx, "badgerstore.group.fn")
				err := call(r.fn, w)
				fr.End()
				if err != nil {
					if ran > 0 && errors.Is(err, store.ErrTxnTooBig) {
						full = i
						return errRegroup
					}
					failed, fErr = r, err
					return errRegroup
				}
				w.cut()
				ran++
				if join && i == len(run)-1 {
					// Appends queued while this group's functions ran
					// join it (they would have if they had come before it
					// began): a pipelined laptop's next change set reads
					// its states ahead in a snapshot that waits for the
					// commit before, so it was queued just after the
					// next group began, every time, and each change set
					// paid a commit and its syncs alone (BENCHMARKS.md,
					// issue 15, push10).
					run = s.takeMore(run, extra)
				}
			}
			if !halted {
				stop = len(run) // with those that joined
			}
			if ran == 0 {
				return nil
			}
			defer trace.StartRegion(ctx, "badgerstore.group.finish").End()
			return w.finish(head)
		})
		upd.End()
		join = false
		if err == nil && last != nil {
			// Committed: its states are what the next group reads
			// (statecache.go). Before the buffers go back to the pool.
			s.states.keepPuts(last)
		} else if last != nil {
			s.states.forgetPuts(last)
		}
		// Those not run (all after the skipped ones) wait for the next
		// group.
		switch {
		case errors.Is(err, errRegroup) && full >= 0:
			left = slices.Concat(run[full:], left)
			run = run[:full]
		case err == nil && stop < len(run):
			left = slices.Concat(run[stop:], left)
			run = run[:stop]
		}
		for _, r := range skipped {
			r.done <- r.ctx.Err()
		}
		run = slices.DeleteFunc(run, func(r *appendReq) bool { return slices.Contains(skipped, r) })
		switch {
		case errors.Is(err, errRegroup) && full >= 0:
			continue
		case errors.Is(err, errRegroup):
			failed.done <- fErr
			run = slices.DeleteFunc(run, func(r *appendReq) bool { return r == failed })
			continue
		case errors.Is(err, store.ErrTxnTooBig) && len(run) > 1:
			// The functions fit one by one, not the commit of them all.
			half := len(run) / 2
			left = slices.Concat(run[half:], left)
			run = run[:half]
			continue
		}
		for _, r := range run {
			r.done <- err
		}
		break
	}
	return left
}

// takeMore appends to run the appends waiting for the writer, up to
// maxGroup in all, taking them out of the queue; they are added to *extra
// too (commitGroupSafe answers them if the group panics).
func (s *Store) takeMore(run []*appendReq, extra *[]*appendReq) []*appendReq {
	s.amu.Lock()
	defer s.amu.Unlock()
	n := min(len(s.pending), maxGroup-len(run))
	if n <= 0 {
		return run
	}
	*extra = append(*extra, s.pending[:n]...)
	run = append(run, s.pending[:n]...)
	s.pending = slices.Delete(s.pending, 0, n)
	return run
}

// AppendGroups is how many groups of appends the store has run (each one
// transaction, committed with one pair of syncs; store.AppendGroupCounter):
// for the metrics, tests and benchmarks.
func (s *Store) AppendGroups() int64 { return s.groups.Load() }

// errRegroup drops a group's transaction to run it again with fewer
// functions.
var errRegroup = errors.New("badgerstore: the group goes again")

// call calls fn, turning a panic into its error: the leader runs other
// callers' functions, and one of them must not take the others down.
func call(fn func(store.LogTx) error, w *logTx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("badgerstore: an append's function panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(w)
}
