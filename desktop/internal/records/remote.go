package records

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
)

// Meta names of the sync state, kept with the records so that the cursor
// moves in the same transaction as the operations it covers.
const (
	MetaSyncCursor = "sync_cursor"
	MetaSyncAcked  = "sync_acked"
)

// One store transaction applies at most remoteChunkOps pulled operations
// and about remoteChunkBytes of them (OpFormat.Size). Badger takes
// ~600 KiB per transaction with a laptop's 4 MiB memtables, and each
// operation also writes its record's state and index row: on demo appeals
// what a chunk writes is about 1.4 times its operations' size. A chunk of
// few large records can still be too big; it is then split (ApplyRemote).
// Every transaction is a durable commit (an fsync): a fixed 100 operations
// a transaction made a central laptop's first pull commit six times a page.
const (
	remoteChunkOps   = 1000
	remoteChunkBytes = 128 << 10
)

// ApplyResult says what applying pulled operations did.
type ApplyResult struct {
	Applied   int                  `json:"applied"`
	Changed   int                  `json:"changed"`
	Conflicts []changeset.Conflict `json:"conflicts,omitempty"`
	// Held counts the operations held back, not merged (see HeldOp).
	Held int `json:"held,omitempty"`
}

// ApplyRemote merges operations made on other devices and stores the new
// server cursor. A page may be applied in several transactions; only the
// last one moves the cursor. Applying an operation again changes nothing,
// so a crash part-way means the next pull repeats the page: work is
// repeated, never skipped or doubled. An operation this laptop may not
// merge (see vet) is held back, kept aside in the same transaction.
func (s *Service) ApplyRemote(ctx context.Context, ops []*changeset.Op, cursor uint64) (ApplyResult, error) {
	return s.applyPulled(ctx, ops, nil, cursor)
}

// applyPulled applies ops in transactions sized by chunkEnd; bad (held
// back before they could be decoded) go with the last, which moves the
// cursor.
func (s *Service) applyPulled(ctx context.Context, ops []*changeset.Op, bad []held, cursor uint64) (ApplyResult, error) {
	var res ApplyResult
	for start := 0; ; {
		end := s.chunkEnd(ops, start)
		last := end == len(ops)
		var withBad []held
		if last {
			withBad = bad
		}
		r, err := s.applyRemoteChunk(ctx, ops[start:end], withBad, nil, cursor, last)
		if errors.Is(err, store.ErrTooBig) && end-start > 1 {
			// Large records: apply this part in smaller transactions.
			half := start + (end-start)/2
			r1, err := s.applyRemoteChunk(ctx, ops[start:half], nil, nil, 0, false)
			if err != nil {
				return res, err
			}
			res.add(r1)
			start = half
			continue
		}
		if err != nil {
			return res, err
		}
		res.add(r)
		if last {
			return res, nil
		}
		start = end
	}
}

// chunkEnd returns where the chunk of ops starting at start ends: after
// remoteChunkOps operations or about remoteChunkBytes, at least one.
func (s *Service) chunkEnd(ops []*changeset.Op, start int) int {
	size := 0
	for i := start; i < len(ops); i++ {
		size += s.wire.Size(ops[i])
		if i > start && (i-start >= remoteChunkOps || size > remoteChunkBytes) {
			return i
		}
	}
	return len(ops)
}

func (r *ApplyResult) add(o ApplyResult) {
	r.Applied += o.Applied
	r.Changed += o.Changed
	r.Held += o.Held
	r.Conflicts = append(r.Conflicts, o.Conflicts...)
}

// applyRemoteChunk applies ops in one store transaction, holds back bad
// and those vet refuses, and moves the cursor if moveCursor. release maps
// operations that were held back to their held key, removed as they are
// merged (ReleaseHeld).
func (s *Service) applyRemoteChunk(ctx context.Context, ops []*changeset.Op, bad []held, release map[*changeset.Op]string, cursor uint64, moveCursor bool) (ApplyResult, error) {
	return s.applyOps(ctx, ops, bad, release, cursor, moveCursor, applyTxn)
}

// applyMode is how applyOps stores what it merged.
type applyMode int

const (
	applyTxn      applyMode = iota // one durable transaction (store.Commit)
	applyBulk                      // a bulk load's window (store.CommitBulk), more to come
	applyBulkDone                  // a bulk load's last window: the pull has caught up
)

// applyOps is applyRemoteChunk, storing as mode says.
func (s *Service) applyOps(ctx context.Context, ops []*changeset.Op, bad []held, release map[*changeset.Op]string, cursor uint64, moveCursor bool, mode applyMode) (ApplyResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res ApplyResult
	// A record's operations usually come together (a laptop pushes a
	// record's creation and its workflow steps one after another): its
	// state is merged in place, and stored, indexed and announced once,
	// on its last write, with the state all of them made.
	type pulled struct {
		state   *changeset.State
		last    int  // index of its last write
		touched bool // its values or conflicts changed
	}
	recs := map[string]*pulled{}
	var order []*pulled // first seen first
	writes := make([]store.Write, 0, len(ops)+len(bad))
	seen := s.seen
	hold := func(h held) {
		b, _ := json.Marshal(h.op)
		writes = append(writes, store.Write{Hold: &store.Held{Key: h.key, Value: b}})
		res.Held++
		s.log.Warn("pulled operation held back", "code", h.op.Code, "reason", h.op.Message)
	}
	for _, h := range bad {
		hold(h)
	}
	for _, op := range ops {
		key := op.Kind + ":" + op.Record
		rec, ok := recs[key]
		var cur *changeset.State
		switch {
		case ok:
			cur = rec.state
		case s.bulkNew != nil && !s.bulkNew[key]:
			// Neither in the store before the bulk load nor written by it.
		default:
			// Decoded for this call alone: merging in place is safe, and an
			// error abandons the whole call.
			st, err := s.st.State(ctx, op.Kind, op.Record)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return res, err
			default:
				cur = st
			}
		}
		if code, msg := s.vet(ctx, op, cur, mode != applyTxn); code != "" {
			hold(s.heldOf(op, nil, code, msg))
			continue
		}
		if op.Device == s.dev.ID {
			continue // our own operation, held already
		}
		if err := s.clock.Observe(op.HLC); err != nil {
			return res, err // vet holds back what is too far ahead
		}
		seen = max(seen, op.HLC)
		if !ok {
			if cur == nil {
				cur = &changeset.State{}
			}
			rec = &pulled{state: cur}
			recs[key] = rec
			order = append(order, rec)
		}
		changed, conflicts, err := mergeOp(rec.state, op)
		if err != nil {
			return res, err
		}
		res.Applied++
		if changed || len(conflicts) > 0 {
			res.Changed++
			rec.touched = true
		}
		res.Conflicts = append(res.Conflicts, conflicts...)
		rec.last = len(writes)
		// A resolution made on another laptop settles the same conflict
		// here (the keys it names; one not held here is no matter).
		writes = append(writes, store.Write{Op: op, Conflicts: conflicts, Release: release[op], Resolved: op.Settled()})
	}
	// A bulk load's window is written in two parts: its operations,
	// histories, conflicts and held operations (nothing in them waits for
	// the index rows) while the rows are built, then the states and rows,
	// with the meta after both (CommitBulk). A laptop's first pull kept
	// one core of two busy, the rows and Badger's writes one after the
	// other.
	var wrote chan error
	var states []store.Write
	if s.bulkNew != nil {
		// Before anything is written (a bulk load's window, or a page
		// applied beside it): a record whose state a failed write may
		// have left is read again.
		for key := range recs {
			s.bulkNew[key] = true
		}
	}
	if mode != applyTxn {
		wrote = make(chan error, 1)
		go func(writes []store.Write) { wrote <- s.st.WriteBulk(ctx, writes) }(writes)
		states = make([]store.Write, 0, len(order))
	}
	// The rows of the records that changed, built at once on every core.
	built := make([]*index.Row, len(order))
	err := parallel(len(order), func(i int) error {
		if !order[i].touched {
			return nil // nothing new (operations applied again): the row stands
		}
		row, err := s.rowFor(order[i].state)
		built[i] = row
		return err
	})
	if wrote != nil {
		if werr := <-wrote; err == nil {
			err = werr
		}
	}
	if err != nil {
		return res, err
	}
	var rows []*index.Row
	var changed []Changed
	for i, rec := range order {
		w := store.Write{State: rec.state}
		if row := built[i]; row != nil {
			w.IndexRow, w.SearchText = row.Marshal(), []byte(row.Search)
			rows = append(rows, row)
			changed = append(changed, Changed{Kind: rec.state.Kind, ID: rec.state.ID})
		}
		if wrote != nil {
			states = append(states, w)
			continue
		}
		last := &writes[rec.last]
		last.State, last.IndexRow, last.SearchText = w.State, w.IndexRow, w.SearchText
	}
	meta := map[string][]byte{metaClock: []byte(strconv.FormatUint(uint64(s.clock.Last()), 10))}
	if seen != s.seen {
		meta[metaSeen] = []byte(strconv.FormatUint(uint64(seen), 10))
	}
	if moveCursor {
		meta[MetaSyncCursor] = []byte(strconv.FormatUint(cursor, 10))
	}
	if mode != applyTxn {
		// A bulk load fills a store that held no records (BulkLoad), and
		// every version with bulk loads holds back what is stamped far
		// ahead (vet): nothing in it was merged by a version before that,
		// so HoldBackFuture has nothing to mend. Marked here, its check
		// (every state of the store decoded, 3% of a first pull of
		// 100,000 records) is not made.
		meta[metaFutureChecked] = []byte(s.now().UTC().Format(time.RFC3339))
	}
	switch mode {
	case applyBulk:
		meta[metaBulkLoad] = []byte(bulkLoading)
		err = s.st.CommitBulk(ctx, states, meta)
	case applyBulkDone:
		meta[metaBulkLoad] = []byte(bulkDone)
		err = s.st.CommitBulk(ctx, states, meta)
	default:
		err = s.st.Commit(ctx, writes, meta)
	}
	if err != nil {
		return ApplyResult{}, err
	}
	if mode == applyBulkDone {
		s.bulkNew = nil
	}
	s.seen = seen
	if mode == applyBulk {
		// Stored: the window's rows go into the index while the next
		// window is merged (they were a fifth of the applier's path in a
		// first pull's profile); the last window's go in before it returns.
		prev, done, ix := s.indexing, make(chan struct{}), s.ix
		s.indexing = done
		go func() {
			defer close(done)
			if prev != nil {
				<-prev
			}
			if err := ix.Put(rows...); err != nil {
				s.log.Error("index update failed after applying pulled operations", "err", err)
			}
			s.notify.send(changed)
		}()
		return res, nil
	}
	s.awaitIndexing()
	if err := s.ix.Put(rows...); err != nil {
		s.log.Error("index update failed after applying pulled operations", "err", err)
	}
	s.notify.send(changed)
	return res, nil
}

// awaitIndexing waits until the rows of the bulk load's windows applied
// so far are in the index. s.mu must be held.
func (s *Service) awaitIndexing() {
	if s.indexing != nil {
		<-s.indexing
		s.indexing = nil
	}
}

// parallel calls f(0), ..., f(n-1) on every core (GOMAXPROCS goroutines,
// fewer for a small n) and returns the first error in that order.
func parallel(n int, f func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), (n+parallelMin-1)/parallelMin)
	if workers <= 1 {
		for i := range n {
			if err := f(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				errs[i] = f(i)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// parallelMin is the least work a goroutine of parallel is started for:
// a page of a few records is done before goroutines would start.
const parallelMin = 64

// metaBulkLoad says whether a bulk load of pulled pages (ApplyBulk) is
// under way: bulkLoading from its first window until the window that
// catches up with the server, then bulkDone.
const (
	metaBulkLoad = "bulk_load"
	bulkLoading  = "loading"
	bulkDone     = "done"
)

// BulkLoad reports whether pulled pages are to be applied in bulk
// (ApplyBulk): the store holds no record yet (a new central staff laptop,
// a council's laptop restored empty, before their first pull), or a bulk
// load began and has not caught up with the server (a crash or a lost
// connection stopped it; it goes on from its cursor). Once it has caught
// up, pulls are applied page by page again (ApplyPulled), whatever the
// store holds.
func (s *Service) BulkLoad(ctx context.Context) (bool, error) {
	b, err := s.st.Meta(ctx, metaBulkLoad)
	switch {
	case err == nil:
		return string(b) == bulkLoading, nil
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	if s.Seq() > 0 {
		return false, nil // this laptop made records of its own
	}
	return s.st.Empty(ctx)
}

// BeginBulkLoad marks a bulk load under way (BulkLoad), durably, before
// its first window is written. Without the mark a crash inside the first
// window left operations in the store, no mark and a store that is no
// longer empty: the pull went on page by page. A bulk load already marked
// is left as it is.
func (s *Service) BeginBulkLoad(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.st.Meta(ctx, metaBulkLoad)
	switch {
	case err == nil && string(b) == bulkLoading:
		return nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	empty, err := s.st.Empty(ctx)
	if err != nil {
		return err
	}
	if err := s.st.SetMeta(ctx, map[string][]byte{metaBulkLoad: []byte(bulkLoading)}); err != nil {
		return err
	}
	if empty {
		s.bulkNew = map[string]bool{}
	}
	return nil
}

// ApplyBulk applies a window of pulled pages (many pages, tens of
// thousands of operations) as ApplyPulled does, in one bulk write
// (store.CommitBulk): each record's state, history and index row written
// once for the window, its keys sorted, the index updated once. The
// cursor moves to cursor after everything else is on disk, so a crash
// part-way repeats the window (applying again changes nothing), never
// skips or doubles it. done says the pull has caught up with the server:
// the bulk load is over (BulkLoad).
//
// Each of ops must have passed changeset.Op.Validate: the syncer
// validates every pulled operation as it decodes its page, and holds
// back, with the bytes it came as, each that does not (a binary page's
// operation may carry any bytes, which only the page's decoder can keep
// as they came). ApplyBulk does not validate them again: the second pass
// over every value was ~2% of a first pull's CPU (BENCHMARKS.md, pull8
// helper). Everything else vet checks (clocks, councils, whose) is
// checked here.
func (s *Service) ApplyBulk(ctx context.Context, ops []*changeset.Op, unreadable []Unreadable, cursor uint64, done bool) (ApplyResult, error) {
	bad := make([]held, 0, len(unreadable))
	for _, u := range unreadable {
		bad = append(bad, s.heldOf(nil, u.Raw, HeldMalformed, u.Reason))
	}
	mode := applyBulk
	if done {
		mode = applyBulkDone
	}
	return s.applyOps(ctx, ops, bad, nil, cursor, true, mode)
}

// dedupeStates keeps, for a record written several times in one commit,
// only its last state and its newest index row, on its last write.
func dedupeStates(writes []store.Write) {
	// A write without an operation is a state alone (TakeCentre's); it is
	// the record's last write of its commit.
	key := func(w *store.Write) string {
		if w.Op == nil {
			return w.State.Kind + ":" + w.State.ID
		}
		return w.Op.Kind + ":" + w.Op.Record
	}
	last := map[string]int{}
	for i := range writes {
		last[key(&writes[i])] = i
	}
	for i := len(writes) - 1; i >= 0; i-- {
		w := &writes[i]
		j := last[key(w)]
		if j == i || w.Op == nil {
			continue
		}
		// The last write may have changed nothing (a repeated operation):
		// the newest row of an earlier one must still be stored.
		if w.IndexRow != nil && writes[j].IndexRow == nil {
			writes[j].IndexRow, writes[j].SearchText = w.IndexRow, w.SearchText
		}
		w.State, w.IndexRow, w.SearchText = nil, nil, nil
	}
}
