package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/deadline"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// ServerAuthor is the author of the server's own operations.
const ServerAuthor = "kenesh-syncserver"

// Ingester applies change sets to the store. It keeps nothing a second
// server process would need: the log's single writer, its head, the
// server sequence numbers and the server's clock are the store's
// (store.Log.Append), so any number of Ingesters, in one process or
// several, may push into one store.
type Ingester struct {
	st    store.Store
	log   *slog.Logger
	cat   *refdata.Catalog
	rules *deadline.Rules
	now   func() time.Time

	serverID  string
	serverDev string

	// decodedOnly turns the judging on states' encodings off (tests
	// compare both; mergeEncoded).
	decodedOnly bool

	// pushing holds the devices whose push this process is applying
	// (devices' turns, Push).
	pushing devTurns
	// gapsFound counts pushes that found a gap (Push), whether a push of
	// their device before them was on its way and waited for or not: a
	// pipelined laptop's pushes find a few, a laptop that skipped
	// operations one a request.
	gapsFound atomic.Int64

	// Web submissions waiting to be committed together (Submit).
	subMu      sync.Mutex
	subQueue   []*submitReq
	subLeading bool // a caller is committing the queue
}

// Options tune an Ingester.
type Options struct {
	Logger  *slog.Logger     // nil: slog.Default()
	Catalog *refdata.Catalog // nil: the embedded reference data
	Now     func() time.Time // nil: time.Now
}

// Open loads the server's identity from st (made there on first start:
// the server id and the device id of its own operations).
func Open(ctx context.Context, st store.Store, o Options) (*Ingester, error) {
	g := &Ingester{st: st, log: o.Logger, cat: o.Catalog, now: o.Now}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.cat == nil {
		cat, err := refdata.Load()
		if err != nil {
			return nil, err
		}
		g.cat = cat
	}
	if g.now == nil {
		g.now = time.Now
	}
	g.rules = deadline.Default()
	id, err := st.Identity(ctx)
	if err != nil {
		return nil, fmt.Errorf("load server identity: %w", err)
	}
	g.serverID, g.serverDev = id.ServerID, id.Device
	return g, nil
}

// ServerID identifies this server to laptops.
func (g *Ingester) ServerID() string { return g.serverID }

// ServerDevice is the device id of the server's own operations.
func (g *Ingester) ServerDevice() string { return g.serverDev }

// Result is what a push did.
type Result struct {
	// Acked is the highest seq of the device the server has judged.
	Acked uint64
	// Refused lists the refused operations of this push, including ones
	// refused when an earlier copy of it was applied.
	Refused []syncproto.Refusal
	// Accepted and NewlyRefused count operations judged by this push;
	// Held counts those it already held.
	Accepted, NewlyRefused, Held, Conflicts int

	// last is the clock of the device's operation Acked, when this push
	// knows it (0: it does not); PushOps keeps it for the device's next
	// push (devTurns.acked).
	last hlc.Timestamp
}

func reqErr(code syncproto.Code, acked uint64, format string, a ...any) *syncproto.Error {
	return &syncproto.Error{Code: code, Message: fmt.Sprintf(format, a...), Acked: acked}
}

// Push judges a device's change set and applies it atomically: every
// operation the device sent either was held already (skipped), or is
// judged now: refused (recorded, and acknowledged all the same) or
// accepted (appended to the log, merged into the record's state, indexed
// for pull). Everything one push does is in one transaction, unless the
// store cannot hold it, in which case it is split into several, each
// atomic and each advancing the acknowledgement, so a crash never loses an
// acknowledged operation. Errors refusing the whole push are
// *syncproto.Error; Push then changed nothing.
//
// Two pushes of one device at once (a laptop that sent its sync again
// while the first was in flight, to this process or another) are each
// judged against what the store holds when they write: the store takes a
// device's operations only in order, so the one that comes second finds
// them judged and answers as for a resend.
func (g *Ingester) Push(ctx context.Context, dev *store.Device, ops []syncproto.WireOp) (*Result, error) {
	if len(ops) > syncproto.MaxPushOps {
		return nil, reqErr(syncproto.CodeTooLarge, 0, "%d operations in one sync, at most %d", len(ops), syncproto.MaxPushOps)
	}
	conv := make([]changeset.Op, len(ops))
	for i := range ops {
		conv[i] = syncproto.OpFromWire(&ops[i])
	}
	return g.PushOps(ctx, dev, conv)
}

// PushOps is Push of operations as syncproto.DecodeSyncRequestOps decodes
// a binary body: converted, not yet judged valid (each invalid one is
// refused alone, as Push refuses one FromWire refuses). PushOps does not
// change them.
func (g *Ingester) PushOps(ctx context.Context, dev *store.Device, ops []changeset.Op) (*Result, error) {
	if len(ops) > syncproto.MaxPushOps {
		return nil, reqErr(syncproto.CodeTooLarge, 0, "%d operations in one sync, at most %d", len(ops), syncproto.MaxPushOps)
	}
	for i := range ops {
		w := &ops[i]
		if w.Device != dev.ID {
			return nil, reqErr(syncproto.CodeForbidden, 0, "operation %d of the change set is signed by device %q, not by this laptop (%s): the whole change set is refused", i+1, trunc(w.Device), dev.ID)
		}
		if i == 0 && w.Seq == 0 {
			return nil, reqErr(syncproto.CodeInvalid, 0, "sequence numbers start at 1")
		}
		if i > 0 && w.Seq != ops[i-1].Seq+1 {
			return nil, reqErr(syncproto.CodeInvalid, 0, "operations must be in sequence order without gaps: seq %d follows %d", w.Seq, ops[i-1].Seq)
		}
	}
	if len(ops) == 0 {
		// Acknowledge only: no need to wait for the writer.
		res := &Result{}
		err := g.st.ReadLog(ctx, func(x store.LogReader) (err error) { res.Acked, err = x.Acked(dev.ID); return err })
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		return res, nil
	}
	// Counted from here, before the checks below, so that a push of this
	// device that takes the turn first and finds a gap knows this one,
	// which came before it, is on its way (waitAcked); from its request's
	// arrival, when the API counted it then (Arrive).
	if id, _ := ctx.Value(arrivedKey{}).(string); id != dev.ID {
		leave := g.pushing.arrive(dev.ID)
		defer leave()
	}
	// What judging needs of each operation alone (its checks, the
	// author's name) is done before the device's turn: while the push
	// before this one of the laptop's pipeline judges or waits for its
	// commit to be fsynced, not on the path every change set of the
	// device takes in turn.
	// (The regions name these steps in an execution trace:
	// kenesh-syncserver --trace.)
	rg := trace.StartRegion(ctx, "ingest.prejudge")
	pre := g.prejudge(dev, ops, false)
	g.prepareEntry(pre)
	rg.End()
	// So are its records' states, where the store can read them apart
	// from the Append (store.StatesAhead): what is still current when the
	// change set is judged is not read again.
	rg = trace.StartRegion(ctx, "ingest.statesAhead")
	ahead := g.statesAhead(ctx, ops, pre)
	rg.End()
	// One push of a device at a time in this process: a laptop with a
	// backlog sends its next change set while the server judges the one
	// before (syncer's pipelined push), and the next one waits here for
	// it instead of finding a gap. When the one before went to another
	// process, this one finds a gap; on a store of several processes it
	// then waits for that process's acknowledgement (store.AckWaiter)
	// before it answers CodeGap, and the laptop would send it again.
	turn := &heldTurn{d: &g.pushing, id: dev.ID}
	defer turn.leave()
	var done Result // what attempts cut short by another push did
	waited, justWaited := false, false
	for attempt := 0; ; attempt++ {
		// Taken again after an attempt that gave it up once its change
		// set was queued for the log's writer (apply).
		rg = trace.StartRegion(ctx, "ingest.turn")
		err := turn.take(ctx)
		rg.End()
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		// What this process's push of the device before this one left
		// (a pipelined laptop's change sets follow each other here, and
		// a laptop's sync follows its last one's): when this change set
		// follows it, it is judged without reading the device's
		// acknowledgement first (push).
		// So is one that found a gap and waited for the push before it
		// here to queue its Append (waitAcked): judged on that queued
		// acknowledgement, it queues behind it, to commit in the same
		// group or the next, instead of after that one's commit.
		// Once: an attempt after it reads what the store holds (that
		// Append may have failed).
		var known judgedUpTo
		if attempt == 0 || justWaited {
			known = g.pushing.judged(dev.ID)
		}
		// A change set from seq 1 of a device this process knows
		// nothing of (a laptop's first push, its backlog after its
		// enrollment) is judged as one that follows nothing, as
		// though the device's acknowledgement had been read and found
		// 0: the store checks it with the Append (on PostgreSQL read
		// with its group's lock), and if another process judged some
		// of these operations, nothing is written and they are looked
		// at below, as for any other push. Once: an attempt after it
		// reads the log.
		if attempt == 0 && known == (judgedUpTo{}) && ops[0].Seq == 1 {
			known.none = true
		}
		justWaited = false
		rg = trace.StartRegion(ctx, "ingest.push")
		res, err := g.push(ctx, dev, ops, pre, known, ahead, turn)
		rg.End()
		if res != nil {
			g.pushing.acked(dev.ID, res.Acked, clockAt(ops, res.Acked, res.last))
			// What an attempt cut short wrote is held by the next one: it
			// is in Refused, and counted here as judged by this push.
			res.Accepted += done.Accepted
			res.NewlyRefused += done.NewlyRefused
			res.Conflicts += done.Conflicts
		}
		if errors.Is(err, store.ErrSequence) && attempt < 3 {
			// Another push of this device judged some of these operations
			// after they were looked at: look again (they are held now).
			g.log.Info("a push of this device's operations ran at the same time: looking again", "device", dev.ID)
			if res != nil {
				done = *res
			}
			continue
		}
		if !waited && isGap(err) {
			// The change set before this one may be on its way in this
			// process (a pipelined laptop's two requests can reach their
			// turns in either order) or in another: give up the turn for
			// it, wait, and look again once.
			waited = true
			g.gapsFound.Add(1)
			turn.leave()
			want := ops[0].Seq - 1
			if justWaited = g.pushing.waitAcked(ctx, dev.ID, want, gapWait); !justWaited {
				g.waitForGap(ctx, dev.ID, want)
			}
			// Judged again whether the wait filled the gap or not: on
			// the acknowledgement the push before queued, if it did (it
			// commits before this one's Append runs), else on what the
			// store holds now.
			continue
		}
		if err != nil {
			return nil, err
		}
		return res, nil
	}
}

// gapWait bounds how long a push that found a gap waits for the push of
// its device before it, in this process (devTurns.waitAcked) or another
// (waitForGap). The change set it waits for is judged in tens of
// milliseconds on an idle server; a wait that runs out (that request
// failed, or the laptop really skipped operations) costs the laptop this
// much once, before it sends again from what the server holds. A variable
// for tests.
var gapWait = 3 * time.Second

// isGap says whether err is a push's gap (CodeGap).
func isGap(err error) bool {
	var perr *syncproto.Error
	return errors.As(err, &perr) && perr.Code == syncproto.CodeGap
}

// waitForGap waits, on a store of several processes (store.AckWaiter),
// for device dev's acknowledgement to reach want (the seq before a change
// set that found a gap) within gapWait. Whether it did or not, the push is
// judged again on what the store then holds, so nothing is returned.
func (g *Ingester) waitForGap(ctx context.Context, dev string, want uint64) {
	aw, ok := g.st.(store.AckWaiter)
	if !ok {
		return
	}
	if _, err := aw.WaitAcked(ctx, dev, want, gapWait); err != nil {
		g.log.Warn("waiting for a device's acknowledgement", "device", dev, "err", err)
	}
}

// judgedUpTo is what a device's last push in this process left: the
// store acknowledged the device's operations up to acked, the last of
// them dated last (0: not known).
type judgedUpTo struct {
	acked uint64
	last  hlc.Timestamp
	// queued: acked is where a push's queued Append is to leave the
	// device (devTurns.queued), not yet committed.
	queued bool
	// none: nothing is known, and the change set begins at seq 1: it is
	// taken to follow nothing (acked 0, no operation before it).
	none bool
}

// follows says whether ops begin right after the operations known judged.
func (k judgedUpTo) follows(ops []changeset.Op) bool {
	if k.none {
		return len(ops) > 0 && ops[0].Seq == 1
	}
	return k.acked > 0 && k.last != 0 && len(ops) > 0 && ops[0].Seq == k.acked+1
}

// clockAt is the clock of the device's operation seq: one of ops (a run
// of consecutive seqs), or last when it is not among them.
func clockAt(ops []changeset.Op, seq uint64, last hlc.Timestamp) hlc.Timestamp {
	if len(ops) > 0 && seq >= ops[0].Seq && seq-ops[0].Seq < uint64(len(ops)) {
		return ops[seq-ops[0].Seq].HLC
	}
	return last
}

// push is one attempt at Push. On store.ErrSequence it returns what it did
// before (res) with the error.
//
// When ops follow what the device's last push in this process left
// (known), they are judged at once: the acknowledgement and the clock of
// the device's last operation that push left are taken as the store's,
// instead of reading them in a transaction of their own before the
// Append (on PostgreSQL three round trips, and the last row of the log
// read whole, on the path each change set of a pipelined push takes in
// turn). Nothing is trusted that the store does not check: an Append
// takes a device's operations only in order (store.ErrSequence), so if
// another process judged operations of the device since, nothing is
// written and ops are looked at again as below.
func (g *Ingester) push(ctx context.Context, dev *store.Device, ops []changeset.Op, pre []checked, known judgedUpTo, ahead store.Ahead, turn *heldTurn) (*Result, error) {
	if known.follows(ops) {
		res := &Result{Acked: known.acked}
		err := g.pushFresh(ctx, dev, ops, pre, known.last, res, ahead, turn)
		switch {
		case err == nil:
			return res, nil
		case known.queued && res.Acked == known.acked:
			// Nothing written, and the acknowledgement an answer would
			// carry is of an Append that may not have committed (a clock
			// stopped the change set before its Append, say): judged
			// again below on what the store holds, which waits for that
			// commit or finds it failed (a gap).
		case !errors.Is(err, store.ErrSequence):
			return nil, err
		case res.Acked != known.acked:
			return res, err
		}
		// Nothing written: the store holds more or less of the device
		// than this process knew.
	}
	res := &Result{}
	var fresh []changeset.Op
	var freshPre []checked
	var prev hlc.Timestamp // the clock of the device's last judged operation
	err := g.st.ReadLog(ctx, func(x store.LogReader) error {
		*res, fresh, freshPre, prev = Result{}, nil, nil, 0
		acked, err := x.Acked(dev.ID)
		if err != nil {
			return err
		}
		res.Acked = acked
		if acked > 0 {
			e, err := x.Judgement(dev.ID, acked)
			if err != nil {
				return err
			}
			if e != nil {
				prev = hlc.Timestamp(e.HLC)
			}
		}
		for i := range ops {
			w := &ops[i]
			if w.Seq > acked {
				fresh, freshPre = ops[i:], pre[i:]
				break
			}
			e, err := x.Judgement(dev.ID, w.Seq)
			if err != nil {
				return err
			}
			res.Held++
			if e == nil {
				continue
			}
			if e.HLC != uint64(w.HLC) || e.Kind != w.Kind || e.Record != w.Record {
				return reqErr(syncproto.CodeConflictSeq, acked, "the server holds another operation as %s/%d (%s %s): was this laptop restored from an old backup?", dev.ID, w.Seq, e.Kind, e.Record)
			}
			if e.Code != "" {
				res.Refused = append(res.Refused, syncproto.Refusal{Seq: w.Seq, Code: syncproto.Code(e.Code), Message: e.Message})
			}
		}
		return nil
	})
	if err != nil {
		var perr *syncproto.Error
		if errors.As(err, &perr) {
			return nil, perr
		}
		return nil, fmt.Errorf("push: %w", err)
	}
	if len(fresh) == 0 {
		res.last = prev
		return res, nil
	}
	if err := g.pushFresh(ctx, dev, fresh, freshPre, prev, res, ahead, turn); err != nil {
		if errors.Is(err, store.ErrSequence) {
			return res, err
		}
		return nil, err
	}
	return res, nil
}

// pushFresh judges and applies fresh, operations the store has not judged
// that follow res.Acked, the last of which was dated prev; res gathers
// what was done. On store.ErrSequence res holds what was written before.
func (g *Ingester) pushFresh(ctx context.Context, dev *store.Device, fresh []changeset.Op, freshPre []checked, prev hlc.Timestamp, res *Result, ahead store.Ahead, turn *heldTurn) error {
	if fresh[0].Seq != res.Acked+1 {
		return reqErr(syncproto.CodeGap, res.Acked, "the server holds this laptop's operations up to %d; this change set starts at %d", res.Acked, fresh[0].Seq)
	}
	// An impossible clock stops the push there: what came before it is
	// applied and acknowledged, nothing after it is judged (CodeClock).
	now, stop := g.now(), ""
	for i := range fresh {
		w := &fresh[i]
		if stop = checkClock(uint64(w.HLC), w.Seq, prev, now); stop != "" {
			fresh = fresh[:i]
			break
		}
		prev = hlc.Timestamp(w.HLC)
	}
	if len(fresh) > 0 {
		if err := g.apply(ctx, dev, fresh, freshPre[:len(fresh)], res, ahead, turn); err != nil {
			return err
		}
	}
	if stop != "" {
		g.log.Warn("push stopped at an impossible clock", "device", dev.ID, "acked", res.Acked, "reason", stop)
		return reqErr(syncproto.CodeClock, res.Acked, "%s", stop)
	}
	return nil
}

// apply judges and writes ops in as few transactions as the store allows;
// ahead is what statesAhead read of their records (nil: nothing).
//
// On a store that says when an Append is queued (store.QueuedAppender),
// apply gives up the device's turn (turn, when not nil) once the Append of
// all of ops is queued, telling the turn that ops are judged up to their
// last (heldTurn.queued): the device's next change set, which a pipelined
// laptop has sent already, then takes the turn and queues its Append
// behind this one, to be judged in the same group of appends or the next,
// instead of waiting for this one's commit and its two syncs. Groups of
// several change sets of one laptop commit with one pair of syncs. Nothing
// rests on this change set being accepted: the store takes the next one's
// operations only after this one's (store.ErrSequence otherwise, and the
// next one looks again at what the store holds), and each is answered
// only after its own commit.
func (g *Ingester) apply(ctx context.Context, dev *store.Device, ops []changeset.Op, pre []checked, res *Result, ahead store.Ahead, turn *heldTurn) error {
	var stop *clockError // an operation whose clock is impossible: apply what came before it
	// most is how many operations a transaction was found to hold: once a
	// change set had to be split, the rest goes in chunks of that size,
	// not again whole and halved (each try judges its operations anew: a
	// change set of 1,900 operations of 8 KiB, of which a Badger
	// transaction holds a few hundred, was judged about ten times over).
	most := len(ops)
	for len(ops) > 0 && stop == nil {
		limit := min(len(ops), most)
		for {
			var out chunkOut
			fit := 0
			at := g.now().UTC()
			ka, keyed := g.st.(store.KeyedAppender)
			qa, queues := g.st.(store.QueuedAppender)
			fn := func(w store.LogTx) error {
				out = chunkOut{read: keyed, ahead: ahead} // the function may run again
				if u, ok := w.(store.EntryUser); ok && pre[0].entry != nil {
					// Used only if all of the change set is accepted here.
					u.UseEntry(pre[0].entry)
				}
				var err error
				fit, err = g.judgeAll(w, dev, ops[:limit], pre[:limit], false, &out, at)
				return err
			}
			var err error
			if keyed {
				// The store reads the change set's records and the
				// device's acknowledgement with the others of its group
				// of appends, at once (pgstore).
				err = ka.AppendKeyed(ctx, dev.ID, recordKeys(ops[:limit]), fn)
			} else if queues && turn != nil && limit == len(ops) {
				last := &ops[limit-1]
				err = qa.AppendQueued(ctx, fn, func() { turn.queued(last.Seq, last.HLC) })
			} else {
				err = g.st.Append(ctx, fn)
			}
			var ce *clockError
			if errors.As(err, &ce) {
				stop = ce
				if fit == 0 {
					break
				}
				limit = fit
				continue
			}
			if errors.Is(err, store.ErrTxnTooBig) {
				if limit == 1 {
					return reqErr(syncproto.CodeTooLarge, res.Acked, "operation %s/%d is too large for one server transaction", dev.ID, ops[0].Seq)
				}
				limit = max(1, min(limit/2, fit))
				most = limit
				g.log.Info("splitting a push over transactions", "device", dev.ID, "ops", len(ops), "limit", limit)
				continue
			}
			if err != nil {
				return fmt.Errorf("apply change set: %w", err)
			}
			res.Acked = ops[limit-1].Seq
			res.Refused = append(res.Refused, out.refused...)
			res.Accepted += out.accepted
			res.NewlyRefused += len(out.refused)
			res.Conflicts += out.conflicts
			for _, r := range out.refused {
				g.log.Warn("operation refused", "device", dev.ID, "role", dev.Role, "council", dev.Council, "seq", r.Seq, "code", r.Code, "reason", r.Message)
			}
			break
		}
		ops, pre = ops[limit:], pre[limit:]
	}
	if stop != nil {
		g.log.Warn("push stopped at an impossible clock", "device", dev.ID, "acked", res.Acked, "reason", stop.msg)
		return reqErr(syncproto.CodeClock, res.Acked, "%s", stop.msg)
	}
	return nil
}

type chunkOut struct {
	read      bool         // the store read the operations' records with the Append (store.KeyedAppender)
	ahead     store.Ahead  // the states read before the device's turn (statesAhead; nil: none)
	today     caldate.Date // Bishkek's, when the first operation was merged
	last      uint64       // the last server seq given
	refused   []syncproto.Refusal
	accepted  int
	conflicts int
	merged    []byte // the last state merged on its encoding (mergeEncoded), reused for the next
	// headers reads the header of each state merged on its encoding
	// (mergeEncoded): one State, and the strings the headers share
	// (kind, council, author, device) made once, not for each.
	headers changeset.HeaderReader
	// kept are the records created in this Append from their
	// creations' encodings (createEncoded), with what their later
	// operations here did to them (mergeKept), encoded and put once at
	// its end (judgeAll); nil until one is.
	kept map[store.RecordKey]*keptState
}

// keptState is a record created in an Append from its creation's
// encoding (chunkOut.kept).
type keptState struct {
	*changeset.Created
	ordered bool // in judgeAll's order
}

// recordKeys names the records of ops.
func recordKeys(ops []changeset.Op) []store.RecordKey {
	keys := make([]store.RecordKey, len(ops))
	for i := range ops {
		keys[i] = store.RecordKey{Kind: ops[i].Kind, ID: ops[i].Record}
	}
	return keys
}

// judgeAll judges ops in order inside one Append and writes what they
// produced, each record's state once. fit is how many operations were
// judged before an error (the transaction full: ErrTxnTooBig, or a clock
// error).
// pre is prejudge's of ops (nil: judgeAll makes it).
func (g *Ingester) judgeAll(w store.LogTx, dev *store.Device, ops []changeset.Op, pre []checked, trusted bool, out *chunkOut, at time.Time) (fit int, err error) {
	if pre == nil {
		pre = g.prejudge(dev, ops, trusted)
	}
	// An engine whose reads are round trips (PostgreSQL) reads the change
	// set's records at once instead of one by one.
	if p, ok := w.(store.Prefetcher); ok && !out.read {
		if err := p.Prefetch(recordKeys(ops)); err != nil {
			return 0, err
		}
	}
	states := map[store.RecordKey]*changeset.State{}
	// The records the store held no state of before this Append: a state
	// is never deleted, so nothing derived from one (a public appeal) is
	// there to look for.
	fresh := map[store.RecordKey]bool{}
	// The records whose last operation judge merged on the state's
	// encoding and put (mergeEncoded), with their state decoded because
	// the projection reads it: not put again below. (One the projection
	// does not read is neither in states nor in order.) Nil until one
	// is: an ordinary push has none.
	var putMerged map[store.RecordKey]bool
	var order []store.RecordKey
	for i := range ops {
		key, next, merged, err := g.judge(w, dev, &ops[i], &pre[i], trusted, states, fresh, out, at)
		if err != nil {
			return i, err
		}
		if k := out.kept[key]; k != nil {
			// Created on its encoding here, put below (order has it
			// once).
			if !k.ordered {
				k.ordered = true
				order = append(order, key)
			}
			continue
		}
		if next != nil {
			if _, seen := states[key]; !seen {
				order = append(order, key)
			}
			states[key] = next
			if merged {
				if putMerged == nil {
					putMerged = map[store.RecordKey]bool{}
				}
				putMerged[key] = true
			} else {
				delete(putMerged, key)
			}
		}
	}
	// Each record's state is written once, however many of the
	// operations touched it.
	written := make([]*changeset.State, 0, len(order))
	var kept []store.RecordKey
	for _, key := range order {
		if k := out.kept[key]; k != nil {
			enc, err := k.AppendBinary(out.merged[:0])
			if err != nil {
				return len(ops), err
			}
			out.merged = enc
			if err := w.(store.EncodedStates).PutEncodedState(key.Kind, key.ID, enc); err != nil { // copied
				return len(ops), err
			}
			kept = append(kept, key)
			continue
		}
		if !putMerged[key] {
			if err := w.PutState(states[key]); err != nil {
				return len(ops), err
			}
		}
		written = append(written, states[key])
	}
	// The public projection, in the same transaction (project.go).
	if err := g.projectAll(w, written, fresh); err != nil {
		return len(ops), err
	}
	// The records created on their encodings here, after the others
	// (projectAll's order does not change what it makes: a web
	// submission and the appeal it became see each other as this Append
	// left them, whichever comes first): decoded only if the projection
	// reads them (encodedProjected), nearly none of an ordinary push.
	for _, key := range kept {
		if !out.kept[key].HasField("published") {
			tracks, err := w.TrackingsOfAppeal(key.ID)
			if err != nil {
				return len(ops), err
			}
			if len(tracks) == 0 {
				continue // what encodedProjected says
			}
		}
		st, err := w.State(key.Kind, key.ID)
		if err == nil && st == nil {
			err = fmt.Errorf("%s %s: the state put is not read back", key.Kind, key.ID)
		}
		if err != nil {
			return len(ops), err
		}
		if err := g.projectAll(w, []*changeset.State{st}, fresh); err != nil {
			return len(ops), err
		}
	}
	return len(ops), nil
}

// statesAhead reads the states of the records of ops that prejudge did not
// refuse, on a store that can before the Append (store.StatesAhead): a
// laptop's next change set while the one before is judged and committed.
// In a spread backlog every operation rewrites a record's state (a change
// set touches each record once), and reading and decoding the states
// while the log is held was most of judging (BENCHMARKS.md, issue 15,
// spread3).
func (g *Ingester) statesAhead(ctx context.Context, ops []changeset.Op, pre []checked) store.Ahead {
	sa, ok := g.st.(store.StatesAhead)
	if !ok {
		return nil
	}
	// Each record once, those created here too: a push of new records
	// (an ordinary backlog, each record's operations together, its first
	// one its creation) reads each one's absence here, outside the turn,
	// and the Append takes it from there unless a state of it was put
	// since (badgerstore: 0.46 s of Badger's lookups in the turns of a
	// 100,000-record push).
	keys := make([]store.RecordKey, 0, len(ops))
	seen := make(map[store.RecordKey]bool, len(ops))
	for i := range ops {
		k := store.RecordKey{Kind: ops[i].Kind, ID: ops[i].Record}
		if pre[i].ref == nil && !seen[k] {
			keys = append(keys, k)
		}
		seen[k] = true
	}
	return sa.StatesAhead(ctx, keys)
}

// readState is x.State(kind, id), from what statesAhead read (a) when the
// store says it is still current.
func readState(x store.LogTx, a store.Ahead, kind, id string) (*changeset.State, error) {
	if ar, ok := x.(store.AheadReader); ok && a != nil {
		return ar.StateAhead(a, kind, id)
	}
	return x.State(kind, id)
}

// checked is what judging an operation needs of it alone, not of the
// store: the operation to log (the one sent, or a copy under the
// enrolled device's name) and a refusal it earns by itself.
type checked struct {
	op  *changeset.Op
	ref *auth.Refusal
	enc []byte // op's storage encoding (changeset.Op.AppendBinary), for a store.EncodedAccepter; nil if not made
	// fields is op's fields judged alone (auth.JudgeFields), on the
	// walk of them in name order that checked its form, for
	// CheckWriteJudged: zero (judged then) for a trusted push's.
	fields auth.Fields
	// entry, on the first operation of a change set only, is the log
	// entry of all of them (their encodings) that the store made before
	// the device's turn (store.EntryPreparer); nil otherwise.
	entry store.PreparedEntry
}

// prejudge checks each of ops by itself (its form, its names, its size)
// and, unless trusted, names its author as the device was enrolled: who
// made a change is the device the administrator enrolled, by the name it
// was registered under, not what the laptop says (an honest laptop writes
// that very name, and a stolen one cannot sign as central staff). The
// names are set on copies: what the laptop sent stays as sent (a refusal
// keeps it, and the function of an Append may run again).
func (g *Ingester) prejudge(dev *store.Device, ops []changeset.Op, trusted bool) []checked {
	pre := make([]checked, len(ops))
	var named []changeset.Op
	// The operations' storage encodings, one after the other in the
	// spare room of a buffer (free): a demo operation takes ~200 bytes (a
	// creation ~1 KB, a step ~150), so the first buffer rarely fills.
	free := make([]byte, 0, 256*len(ops))
	var sorted changeset.SortedFields // each operation's fields in name order, for its checks and its encoding
	for i := range ops {
		sent := &ops[i]
		c := &pre[i]
		c.op = sent
		bound, err := syncproto.CheckOpSorted(&sorted, sent)
		if err != nil {
			c.ref = &auth.Refusal{Code: syncproto.CodeInvalid, Message: err.Error()}
			continue
		}
		if !trusted && sent.Author != dev.Name {
			// A copy only where the name differs: an honest laptop
			// writes the enrolled name, and copying every operation
			// (a slice of them a change set, made at once) was ~240 KB
			// of pointers a change set for the collector to scan.
			if named == nil {
				named = make([]changeset.Op, len(ops)) // one allocation, not one per operation
			}
			named[i] = *sent
			named[i].Author = dev.Name
			c.op = &named[i]
			bound += 6 * (len(dev.Name) - len(sent.Author)) // c.op.Bound(), from the same pass
		}
		op := c.op
		switch {
		case syncproto.CheckOpNames(op) != nil:
			// Names are the protocol's rule, which every store's keys rely on.
			c.ref = &auth.Refusal{Code: syncproto.CodeInvalid, Message: syncproto.CheckOpNames(op).Error()}
		case overOpBytes(op, bound):
			// It could never be sent in a pull page.
			c.ref = &auth.Refusal{Code: syncproto.CodeTooLarge, Message: fmt.Sprintf("operation %s is %d bytes, at most %d: a record's text is far shorter; save less at once",
				op.ID(), syncproto.WireSize(op), syncproto.MaxOpBytes)}
		default:
			// Its storage encoding too (an error is Accept's to report
			// again), in the free room of a buffer shared with the
			// operations before it, or of a new one when the bound
			// says it may not fit there: the encodings made stay where
			// they are. Growing one buffer for the change set by append
			// copied them into each larger one, and the slices already
			// made kept every smaller one alive: twelve operations of
			// 1 MB allocated 66 MB of encodings (TestPrejudgeEncodings),
			// held until the change set was stored.
			if cap(free) < bound {
				free = make([]byte, 0, max(bound, 256*(len(ops)-i)))
			}
			b, err := sorted.AppendBinary(op, free) // op's fields are sent's
			if err != nil {
				continue
			}
			c.enc = b[:len(b):len(b)]
			free = b[len(b):]
		}
		if c.ref == nil && !trusted {
			// Whether every field fits the kind's type, on the fields
			// as CheckOpSorted gathered them (op's are sent's), here
			// and not in the device's turn: it depends on the
			// operation alone. The rules of who writes what are judged
			// in the turn, on the record, before this refusal
			// (CheckWriteJudged: CheckWrite's order).
			c.fields = auth.JudgeFields(op, &sorted)
		}
	}
	return pre
}

// prepareEntry has the store make the log entry of the change set pre
// checked, before the device's turn, when every operation has its
// encoding (none refused by itself): a pipelined push's next change set
// then has it made while the one before it is judged and committed, and
// not in its own turn (store.EntryPreparer). Should the Append not accept
// all of them as they are, the store makes the entry of what it accepted.
func (g *Ingester) prepareEntry(pre []checked) {
	ep, ok := g.st.(store.EntryPreparer)
	if !ok || len(pre) == 0 {
		return
	}
	encs := make([][]byte, len(pre))
	size := 0
	for i := range pre {
		if pre[i].enc == nil {
			return
		}
		encs[i] = pre[i].enc
		size += len(pre[i].enc)
	}
	if size > maxPreparedEntry {
		return
	}
	pre[0].entry = ep.PrepareEntry(encs)
}

// maxPreparedEntry bounds the operations' bytes whose log entry is made
// before the device's turn. The entry is held while the change set waits
// for its turn and for the log's writer, where a change set's decoded
// operations are what the request's memory budget counts (api's
// requestCost): a change set of syncproto.MaxPushOps demo operations takes
// about 700 KB (2 MB if all are creations) and gains from it; change sets
// of large operations (attackmem's large attack, 12 MB each) would each
// hold another copy of them as they wait together, and have their entry
// made in the turn as before.
const maxPreparedEntry = 2 << 20

// judge decides one operation (sent, and what prejudge made of it) and
// writes what it produced. It returns the record's new state when the
// operation was accepted, and whether judge put it already, merged on its
// encoding (mergeEncoded: next is then nil unless the projection reads
// it).
func (g *Ingester) judge(x store.LogTx, dev *store.Device, sent *changeset.Op, pre *checked, trusted bool, states map[store.RecordKey]*changeset.State, fresh map[store.RecordKey]bool, out *chunkOut, at time.Time) (key store.RecordKey, next *changeset.State, merged bool, err error) {
	key = store.RecordKey{Kind: sent.Kind, ID: sent.Record}
	op, ref := pre.op, pre.ref
	var council string
	kept := out.kept[key]
	if ref == nil && kept != nil {
		// Created on its encoding earlier in this Append (createEncoded):
		// merged on it, whoever writes (only a device whose rules read a
		// header alone created it so, and an Append is one device's).
		ref, err = g.mergeKept(x, dev, op, pre, kept, out)
		if err != nil {
			return key, nil, false, err
		}
		council = kept.Header().Council
	} else if ref == nil && !trusted {
		if es, enc := g.encodedAhead(x, dev, op, states, out); enc != nil {
			merged = true
			if ref, next, council, err = g.mergeEncoded(x, es, dev, op, pre, enc, out); err != nil {
				return key, nil, false, err
			}
		}
	}
	if ref == nil && !merged && kept == nil {
		cur, ok := states[key]
		if !ok {
			if cur, err = readState(x, out.ahead, op.Kind, op.Record); err != nil {
				return key, nil, false, err
			}
			if cur == nil {
				fresh[key] = true
			}
		}
		if !trusted {
			if ce := checkCreated(op, cur); ce != nil {
				return key, nil, false, ce
			}
			ref = auth.CheckWriteJudged(dev, op, cur, pre.fields)
		}
		if ref == nil && cur == nil && g.createsEncoded(x, dev, op, pre) {
			kept, ref = g.createEncoded(op, pre, key, out)
			if kept != nil {
				council = kept.Header().Council
			}
		}
		if ref == nil && kept == nil {
			// cur is private to this transaction (decoded from the store
			// or made by an earlier operation of it), and Apply refuses
			// before it changes anything, so it is merged in place. Only a
			// council, a material and a material copy are checked after
			// merging and may still be refused: they are merged into a
			// copy (checkedWhole). (Cloning every state for every
			// operation was 8% of a large push.)
			switch {
			case cur == nil:
				next = &changeset.State{}
			case checkedWhole(op.Kind):
				next = cur.Clone()
			default:
				next = cur
			}
			if ref, err = g.merge(x, op, next, out); err != nil {
				return key, nil, false, err
			}
		}
	}
	if ref != nil {
		r := syncproto.Refusal{Seq: sent.Seq, Code: ref.Code, Message: ref.Message, Fields: syncproto.FieldReasons(ref)}
		raw, _ := json.Marshal(syncproto.ToWire(sent))
		err := x.Refuse(store.Refusal{Device: dev.ID, Seq: sent.Seq, HLC: uint64(sent.HLC), Kind: sent.Kind, Record: sent.Record,
			Code: string(r.Code), Message: r.Message, Op: raw, At: at})
		if err != nil {
			return key, nil, false, err
		}
		out.refused = append(out.refused, r)
		return key, nil, false, nil
	}
	if !merged && kept == nil {
		council = next.Council
	}
	ix := store.Index{Global: auth.IsGlobal(op.Kind), Council: council}
	var seq uint64
	if ea, ok := x.(store.EncodedAccepter); ok && pre.enc != nil {
		seq, err = ea.AcceptEncoded(op, pre.enc, ix)
	} else {
		seq, err = x.Accept(op, ix)
	}
	if err != nil {
		return key, nil, false, err
	}
	out.last = seq
	out.accepted++
	return key, next, merged, nil
}

// encodedAhead gives the encoding of op's record's state, read ahead, when
// op is judged on it (mergeEncoded) and not decoded: an appeal written by
// a device for which the rules read only a state's header
// (auth.HeaderOnly: a council's laptop; an appeal, whose projection
// encodedProjected knows), on an engine that gives states so
// (store.EncodedStates), a record not yet read in this Append, an update
// (a creation rewrites the header: MergeEncoded would decode it, and an
// ordinary push's creations are of records the store has no state of). It
// is nearly every operation of a spread backlog. nil: judged on the
// decoded state.
func (g *Ingester) encodedAhead(x store.LogTx, dev *store.Device, op *changeset.Op, states map[store.RecordKey]*changeset.State, out *chunkOut) (store.EncodedStates, []byte) {
	if g.decodedOnly || out.ahead == nil || op.Kind != domain.KindAppeal || op.Action == changeset.ActionCreate || !auth.HeaderOnly(dev, op.Kind) {
		return nil, nil
	}
	es, ok := x.(store.EncodedStates)
	if !ok {
		return nil, nil
	}
	if _, ok := states[store.RecordKey{Kind: op.Kind, ID: op.Record}]; ok {
		return nil, nil
	}
	enc, ok := es.EncodedStateAhead(out.ahead, op.Kind, op.Record)
	if !ok {
		return nil, nil
	}
	return es, enc
}

// mergeEncoded is what judge and merge do, for the state encoded in enc
// (encodedAhead): checkCreated, CheckWrite and CheckRecord on its header
// (changeset.StateHeader, by out.headers: all they read of it,
// auth.HeaderOnly), op merged by changeset.MergeEncodedHas, the merged
// state put, its conflicts kept. It returns a refusal, or the record's
// council and, if the projection reads it (encodedProjected), its state
// decoded (else nil).
func (g *Ingester) mergeEncoded(x store.LogTx, es store.EncodedStates, dev *store.Device, op *changeset.Op, pre *checked, enc []byte, out *chunkOut) (*auth.Refusal, *changeset.State, string, error) {
	hdr, err := out.headers.Read(enc) // hdr is out's until the next: not kept past this call
	if err != nil {
		return nil, nil, "", err
	}
	if ce := checkCreated(op, hdr); ce != nil {
		return nil, nil, "", ce
	}
	if r := auth.CheckWriteJudged(dev, op, hdr, pre.fields); r != nil {
		return r, nil, "", nil
	}
	// Whether the merged appeal holds "published" (encodedProjected),
	// from the merge's own read of the state's fields.
	merged, conflicts, published, err := changeset.MergeEncodedHas(out.merged[:0], enc, op, "published")
	if err != nil {
		if _, derr := changeset.DecodeState(enc); derr != nil {
			// The store's state is damaged: an error, as reading it
			// is on the decoded path, not the operation's refusal.
			return nil, nil, "", fmt.Errorf("state of %s %s: %w", op.Kind, op.Record, derr)
		}
		return &auth.Refusal{Code: syncproto.CodeInvalid, Message: err.Error()}, nil, "", nil
	}
	out.merged = merged
	// The header as the merge left it (MergeConflicts: the council set
	// by the first operation that names one, Updated the latest clock),
	// for CheckRecord, in merge's order: after the merge's own refusal.
	if hdr.Council == "" {
		hdr.Council = op.Council
	}
	hdr.Updated = max(hdr.Updated, op.HLC)
	if r := auth.CheckRecord(hdr, g.today(out)); r != nil {
		return r, nil, "", nil
	}
	if err := es.PutEncodedState(op.Kind, op.Record, merged); err != nil {
		return nil, nil, "", err
	}
	if err := putConflicts(x, conflicts, out); err != nil {
		return nil, nil, "", err
	}
	projected, err := encodedProjected(x, hdr.ID, published)
	if err != nil || !projected {
		return nil, nil, hdr.Council, err
	}
	// Read back as put (merged is reused, and a decoded state's values
	// alias its bytes).
	st, err := x.State(op.Kind, op.Record)
	if err == nil && st == nil {
		err = fmt.Errorf("%s %s: the state put is not read back", op.Kind, op.Record)
	}
	return nil, st, hdr.Council, err
}

// createsEncoded says whether op, a creation of a record the store holds
// no state of, makes its state straight from its storage encoding
// (createEncoded) and not through a decoded State: an appeal created by a
// device for which the rules read only a state's header
// (auth.HeaderOnly: a council's laptop), with its encoding made
// (prejudge), on an engine that takes states as encodings
// (store.EncodedStates). It is nearly every creation of an ordinary
// push; the record's later operations in the Append are merged on the
// encoding too (mergeKept).
func (g *Ingester) createsEncoded(x store.LogTx, dev *store.Device, op *changeset.Op, pre *checked) bool {
	if g.decodedOnly || pre.enc == nil || op.Kind != domain.KindAppeal || op.Action != changeset.ActionCreate || !auth.HeaderOnly(dev, op.Kind) {
		return false
	}
	_, ok := x.(store.EncodedStates)
	return ok
}

// createEncoded is merge for a creation that createsEncoded takes, once
// checkCreated and CheckWrite passed it (on no state): the state it makes
// is kept as a changeset.Created, which reads the creation's fields from
// its encoding and is encoded once at the Append's end, and its header
// checked (CheckRecord: no conflict arises in a record that had no
// state). A nil keptState and no refusal leave the operation to the
// decoded path.
func (g *Ingester) createEncoded(op *changeset.Op, pre *checked, key store.RecordKey, out *chunkOut) (*keptState, *auth.Refusal) {
	c, err := changeset.NewCreated(op, pre.enc)
	if err != nil {
		return nil, nil // (prejudge's encoding of op always is): decoded
	}
	if r := auth.CheckRecord(c.Header(), g.today(out)); r != nil {
		return nil, r
	}
	k := &keptState{Created: c}
	if out.kept == nil {
		out.kept = map[store.RecordKey]*keptState{}
	}
	out.kept[key] = k
	return k, nil
}

// mergeKept is judge and merge for an operation on a record created from
// its creation's encoding earlier in the Append (k): checkCreated,
// CheckWrite and CheckRecord on its header (all they read of it,
// auth.HeaderOnly), op merged, its conflicts kept.
func (g *Ingester) mergeKept(x store.LogTx, dev *store.Device, op *changeset.Op, pre *checked, k *keptState, out *chunkOut) (*auth.Refusal, error) {
	if ce := checkCreated(op, k.Header()); ce != nil {
		return nil, ce
	}
	if r := auth.CheckWriteJudged(dev, op, k.Header(), pre.fields); r != nil {
		return r, nil
	}
	// As merge does; the state is merged in place (an appeal is not
	// checkedWhole).
	conflicts, err := k.MergeConflicts(op)
	if err != nil {
		return &auth.Refusal{Code: syncproto.CodeInvalid, Message: err.Error()}, nil
	}
	if r := auth.CheckRecord(k.Header(), g.today(out)); r != nil {
		return r, nil
	}
	return nil, putConflicts(x, conflicts, out)
}

// today is the date in Bishkek of an Append, read once per Append, not
// per operation (the clock and the time zone were a few percent of a
// large push).
func (g *Ingester) today(out *chunkOut) caldate.Date {
	if out.today == (caldate.Date{}) {
		out.today = caldate.Of(g.now().In(bishkek))
	}
	return out.today
}

// putConflicts keeps the conflicts a merge found, for a person to settle.
func putConflicts(x store.LogTx, conflicts []changeset.Conflict, out *chunkOut) error {
	for _, c := range conflicts {
		if err := x.PutConflict(c); err != nil {
			return err
		}
	}
	out.conflicts += len(conflicts)
	return nil
}

// merge applies op to next (a copy of the record's state) and keeps the
// conflicts it finds. A refusal means the merged record is not acceptable;
// an error is the store's.
func (g *Ingester) merge(x store.LogTx, op *changeset.Op, next *changeset.State, out *chunkOut) (*auth.Refusal, error) {
	// The state may keep op's values (MergeConflicts): they are the
	// request's, unchanged until the push returns, and next does not
	// outlive it (it is written and projected in this transaction).
	conflicts, err := next.MergeConflicts(op)
	if err != nil {
		return &auth.Refusal{Code: syncproto.CodeInvalid, Message: err.Error()}, nil
	}
	if op.Kind == domain.KindCouncil && !next.Deleted() {
		var c domain.Council
		if err := (changeset.Schema{}).FromFields(next.Values(), &c); err != nil {
			return &auth.Refusal{Code: syncproto.CodeInvalid, Message: fmt.Sprintf("council %s: %v", op.Record, err)}, nil
		}
		c.Code = op.Record
		if err := c.Validate(g.cat); err != nil {
			return &auth.Refusal{Code: syncproto.CodeInvalid, Message: err.Error()}, nil
		}
	}
	today := g.today(out)
	if r := auth.CheckRecord(next, today); r != nil {
		return r, nil
	}
	if op.Kind == domain.KindResponse {
		// A response is checked against the definition it was filled
		// with, a record of the log like any other.
		var def *changeset.State
		if id := auth.ResponseDefinition(next); id != "" {
			var err error
			if def, err = x.State(domain.KindQuestionnaire, id); err != nil {
				return nil, err
			}
		}
		if r := auth.CheckResponse(op, next, def, today); r != nil {
			return r, nil
		}
	}
	if op.Kind == domain.KindGrant {
		if r := auth.CheckGrant(op, next, today); r != nil {
			return r, nil
		}
	}
	if op.Kind == domain.KindCompetition {
		if r := auth.CheckCompetition(op, next, today); r != nil {
			return r, nil
		}
	}
	return nil, putConflicts(x, conflicts, out)
}

// overOpBytes reports whether op is over syncproto.MaxOpBytes as a WireOp
// (syncproto.WireSize); bound is op.Bound(). Nearly every operation is
// far below it, which the bound shows without WireSize's walk over every
// string.
func overOpBytes(op *changeset.Op, bound int) bool {
	return bound > syncproto.MaxOpBytes && syncproto.WireSize(op) > syncproto.MaxOpBytes
}

// checkedWhole reports the kinds whose record is checked as a whole after
// an operation is merged (merge), so merged into a copy first.
func checkedWhole(kind string) bool {
	return kind == domain.KindCouncil || kind == domain.KindMaterial || kind == domain.KindMaterialCopy ||
		kind == domain.KindQuestionnaire || kind == domain.KindResponse || kind == domain.KindGrant ||
		kind == domain.KindCompetition
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// heldTurn is a push's hold of its device's turn.
type heldTurn struct {
	d       *devTurns
	id      string
	release func() // nil: not held
}

// take takes the turn unless it is held.
func (h *heldTurn) take(ctx context.Context) error {
	if h.release != nil {
		return nil
	}
	r, err := h.d.take(ctx, h.id)
	h.release = r
	return err
}

// leave gives up the turn if it is held.
func (h *heldTurn) leave() {
	if h.release != nil {
		h.release()
		h.release = nil
	}
}

// queued records that the push's Append of the device's operations up to
// seq, the last dated last, is queued for the log's writer, and gives up
// the turn (apply).
func (h *heldTurn) queued(seq uint64, last hlc.Timestamp) {
	h.d.queued(h.id, seq, last)
	h.leave()
}

// devTurns gives devices their turns, one holder per device at a time,
// and lets a push that found a gap wait for a push of the same device
// that came before it and is still on its way in this process.
type devTurns struct {
	mu sync.Mutex
	m  map[string]*turn
	// left is what the pushes here of devices none of whose pushes is
	// on its way now left (acknowledgement and clock), so that a
	// laptop's next sync, which comes after the last one's answer, is
	// judged without reading the device's acknowledgement first
	// (judged), as a pipelined push's next change set is: on
	// PostgreSQL that read was a read-only transaction of four round
	// trips in each of the 500 laptops' syncs, on Badger a View. At
	// most maxLeft devices: an arbitrary one goes to make room.
	left map[string]judgedUpTo
	// arrivals counts the pushes that arrived, of every device: for
	// benchmarks that start a device's pushes in order, as a laptop's
	// reach the server.
	arrivals atomic.Int64
}

type turn struct {
	ch     chan struct{} // holds a token while the turn is taken
	pushes int           // the device's pushes between arrive and leave here; the entry goes at 0
	acked  uint64        // the highest acknowledgement a push of it here has reported
	last   hlc.Timestamp // the clock of the device's operation acked (0: not known)
	// The last operation of the last change set of it whose Append was
	// queued here (heldTurn.queued), and its clock: judged by the time the
	// next Append queued runs, unless that Append fails.
	queuedSeq  uint64
	queuedLast hlc.Timestamp
	moved      chan struct{} // closed (and replaced) when pushes or acked change
}

// arrivedKey marks the context of a request that Arrive counted as a push
// of a device (its value, the device's id) on its way.
type arrivedKey struct{}

// Arrive counts a sync request of device id as a push of it on its way in
// this process from now until leave is called, and returns the context
// PushOps takes as counted: called before the request's body is read and
// decoded. A pipelined laptop sends its next change set once the one
// before is written to the connection, but the server may read and decode
// the next one first (the one before is larger, or its goroutine waits
// for a core): counted only in PushOps, the one before was not yet on its
// way when the next found a gap, which was answered at once, and the
// laptop's pipeline stopped there (BENCHMARKS.md, issue 15, push10).
// Counted here, the next waits for it (waitAcked) as for a push judged
// before it. A request that pushes nothing counts until it is answered
// too: a push that found a gap waits at most that long for it in vain.
func (g *Ingester) Arrive(ctx context.Context, id string) (context.Context, func()) {
	return context.WithValue(ctx, arrivedKey{}, id), g.pushing.arrive(id)
}

// arrive counts a push of device id as on its way in this process until
// the returned leave is called; take and waitAcked need it.
func (d *devTurns) arrive(id string) (leave func()) {
	d.mu.Lock()
	if d.m == nil {
		d.m = map[string]*turn{}
	}
	t := d.m[id]
	if t == nil {
		t = &turn{ch: make(chan struct{}, 1), moved: make(chan struct{})}
		if k, ok := d.left[id]; ok {
			t.acked, t.last = k.acked, k.last
			delete(d.left, id)
		}
		d.m[id] = t
	}
	t.pushes++
	d.mu.Unlock()
	d.arrivals.Add(1)
	return func() {
		d.mu.Lock()
		if t.pushes--; t.pushes == 0 {
			delete(d.m, id)
			d.keep(id, t)
		}
		t.signal()
		d.mu.Unlock()
	}
}

// maxLeft bounds devTurns.left: 16,384 devices (a few laptops for each of
// the country's councils, several times over), about 2 MiB. Only an
// enrolled device's push is kept.
const maxLeft = 1 << 14

// keep keeps what the pushes of device id left in t, once the last of
// them is gone (d.mu held). Only what was acknowledged: an Append queued
// and not reported (it failed) is not.
func (d *devTurns) keep(id string, t *turn) {
	if t.acked == 0 || t.last == 0 {
		return
	}
	if d.left == nil {
		d.left = map[string]judgedUpTo{}
	}
	if len(d.left) >= maxLeft {
		for k := range d.left {
			delete(d.left, k)
			break
		}
	}
	d.left[id] = judgedUpTo{acked: t.acked, last: t.last}
}

// signal wakes waitAcked's waiters; d.mu is held.
func (t *turn) signal() {
	close(t.moved)
	t.moved = make(chan struct{})
}

// take waits for device id's turn (or ctx) and returns its release. The
// push must have arrived.
func (d *devTurns) take(ctx context.Context, id string) (func(), error) {
	d.mu.Lock()
	t := d.m[id]
	d.mu.Unlock()
	select {
	case t.ch <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return func() { <-t.ch }, nil
}

// acked records that a push of device id here left it acknowledged up to
// n, the operation n dated last (0: not known).
func (d *devTurns) acked(id string, n uint64, last hlc.Timestamp) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.m[id]
	switch {
	case t == nil:
	case n > t.acked:
		t.acked, t.last = n, last
		t.signal()
	case n == t.acked && t.last == 0:
		t.last = last
	}
}

// queued records that a push of device id here queued the Append of its
// operations up to seq, the last dated last (heldTurn.queued).
func (d *devTurns) queued(id string, seq uint64, last hlc.Timestamp) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := d.m[id]; t != nil {
		t.queuedSeq, t.queuedLast = seq, last
		t.signal() // waitAcked's waiters take a queued Append too
	}
}

// judged is what the pushes of device id here have left: the highest
// acknowledgement and, if known, its operation's clock, or, when the last
// push queued its Append beyond that, what that Append is to leave (the
// next Append queued runs after it). Read by the holder of the device's
// turn, it is what the push before left (no other push here changes it
// meanwhile), whether that push is still on its way or long answered
// (devTurns.left); another process may have judged more since, and the
// Append before may fail: either way the store refuses what does not
// follow (store.ErrSequence) and push looks again.
func (d *devTurns) judged(id string) judgedUpTo {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.m[id]
	switch {
	case t == nil:
		return judgedUpTo{}
	case t.queuedSeq > t.acked:
		return judgedUpTo{acked: t.queuedSeq, last: t.queuedLast, queued: true}
	}
	return judgedUpTo{acked: t.acked, last: t.last}
}

// waitAcked waits, at most for timeout, until a push of device id in this
// process reports it acknowledged up to want, or queued the Append of its
// operations up to want (judged by the time the next Append queued runs,
// unless it fails), and says whether one did.
// It gives up at once when no other push of the device is on its way
// here: then nothing here will fill the gap. The caller has arrived and
// does not hold the device's turn.
func (d *devTurns) waitAcked(ctx context.Context, id string, want uint64, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		d.mu.Lock()
		t := d.m[id]
		if t.acked >= want || t.queuedSeq >= want {
			d.mu.Unlock()
			return true
		}
		if t.pushes <= 1 {
			d.mu.Unlock()
			return false
		}
		moved := t.moved
		d.mu.Unlock()
		select {
		case <-moved:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
