package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// errSeqTaken is an attempt to write an operation under a (device, seq)
// the server already holds: a bug, never a laptop's doing (Push skips
// what it holds), and nothing is written.
var errSeqTaken = errors.New("sequence number already taken")

// ServerAuthor is the author of the server's own operations.
const ServerAuthor = "kenesh-syncserver"

// Ingester applies change sets to the store. It is the one writer of the
// server log: pushes are applied one at a time, so server sequence numbers
// are committed in order and a pull never skips an operation committed
// after it read.
type Ingester struct {
	st  *store.Store
	log *slog.Logger
	cat *refdata.Catalog
	now func() time.Time

	serverID  string
	serverDev string

	mu        sync.Mutex // held while writing the log
	head      uint64     // last server seq committed
	serverSeq uint64     // last seq of the server's own operations
	clock     *hlc.Clock
}

// Options tune an Ingester.
type Options struct {
	Logger  *slog.Logger     // nil: slog.Default()
	Catalog *refdata.Catalog // nil: the embedded reference data
	Now     func() time.Time // nil: time.Now
}

// Open loads the server's identity and log position from st, creating the
// identity (server id, the device id of its own operations) on first start.
func Open(ctx context.Context, st *store.Store, o Options) (*Ingester, error) {
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
	var clock uint64
	err := st.Update(ctx, func(x *store.Txn) error {
		for _, name := range []string{store.MetaServerID, store.MetaServerDevice} {
			v, ok, err := x.Meta(name)
			if err != nil {
				return err
			}
			if !ok {
				v = []byte(domain.NewID())
				if err := x.SetMeta(name, v); err != nil {
					return err
				}
			}
			if name == store.MetaServerID {
				g.serverID = string(v)
			} else {
				g.serverDev = string(v)
			}
		}
		var err error
		if g.head, err = x.MetaUint(store.MetaHead); err != nil {
			return err
		}
		if g.serverSeq, err = x.MetaUint(store.MetaServerSeq); err != nil {
			return err
		}
		clock, err = x.MetaUint(store.MetaClock)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load server identity: %w", err)
	}
	g.clock = hlc.NewClock(hlc.Timestamp(clock), g.now)
	return g, nil
}

// ServerID identifies this server to laptops.
func (g *Ingester) ServerID() string { return g.serverID }

// ServerDevice is the device id of the server's own operations.
func (g *Ingester) ServerDevice() string { return g.serverDev }

// Head is the last server sequence number committed.
func (g *Ingester) Head() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.head
}

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
}

func reqErr(code syncproto.Code, acked uint64, format string, a ...any) *syncproto.Error {
	return &syncproto.Error{Code: code, Message: fmt.Sprintf(format, a...), Acked: acked}
}

// Push judges a device's change set and applies it atomically: every
// operation the device sent either was held already (skipped), or is
// judged now: refused (recorded, and acknowledged all the same) or
// accepted (appended to the log, merged into the record's state, indexed
// for pull). Everything one push does is in one transaction, unless Badger
// cannot hold it, in which case it is split into several, each atomic and
// each advancing the acknowledgement, so a crash never loses an
// acknowledged operation. Errors refusing the whole push are
// *syncproto.Error; Push then changed nothing.
func (g *Ingester) Push(ctx context.Context, dev *store.Device, ops []syncproto.WireOp) (*Result, error) {
	if len(ops) > syncproto.MaxPushOps {
		return nil, reqErr(syncproto.CodeTooLarge, 0, "%d operations in one sync, at most %d", len(ops), syncproto.MaxPushOps)
	}
	for i, w := range ops {
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
		err := g.st.View(ctx, func(x *store.Txn) (err error) { res.Acked, err = x.Acked(dev.ID); return err })
		if err != nil {
			return nil, fmt.Errorf("push: %w", err)
		}
		return res, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()

	res := &Result{}
	var fresh []syncproto.WireOp
	var prev hlc.Timestamp // the clock of the device's last judged operation
	err := g.st.View(ctx, func(x *store.Txn) error {
		acked, err := x.Acked(dev.ID)
		if err != nil {
			return err
		}
		res.Acked = acked
		if acked > 0 {
			e, err := x.DevOp(dev.ID, acked)
			if err != nil {
				return err
			}
			if e != nil {
				prev = hlc.Timestamp(e.HLC)
			}
		}
		for i, w := range ops {
			if w.Seq > acked {
				fresh = ops[i:]
				break
			}
			e, err := x.DevOp(dev.ID, w.Seq)
			if err != nil {
				return err
			}
			res.Held++
			if e == nil {
				continue
			}
			if e.HLC != w.HLC || e.Kind != w.Kind || e.Record != w.Record {
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
		return res, nil
	}
	if fresh[0].Seq != res.Acked+1 {
		return nil, reqErr(syncproto.CodeGap, res.Acked, "the server holds this laptop's operations up to %d; this change set starts at %d", res.Acked, fresh[0].Seq)
	}
	// An impossible clock stops the push there: what came before it is
	// applied and acknowledged, nothing after it is judged (CodeClock).
	now, stop := g.now(), ""
	for i, w := range fresh {
		if stop = checkClock(w.HLC, w.Seq, prev, now); stop != "" {
			fresh = fresh[:i]
			break
		}
		prev = hlc.Timestamp(w.HLC)
	}
	if len(fresh) > 0 {
		if err := g.apply(ctx, dev, fresh, false, nil, res); err != nil {
			return nil, err
		}
	}
	if stop != "" {
		g.log.Warn("push stopped at an impossible clock", "device", dev.ID, "acked", res.Acked, "reason", stop)
		return nil, reqErr(syncproto.CodeClock, res.Acked, "%s", stop)
	}
	return res, nil
}

// apply judges and writes ops in as few transactions as Badger allows.
// extra, if set, runs in the last transaction (the server's own counters).
func (g *Ingester) apply(ctx context.Context, dev *store.Device, ops []syncproto.WireOp, trusted bool, extra func(*store.Txn) error, res *Result) error {
	var stop *clockError // an operation whose clock is impossible: apply what came before it
	for len(ops) > 0 && stop == nil {
		limit := len(ops)
		for {
			last := limit == len(ops)
			var ex func(*store.Txn) error
			if last {
				ex = extra
			}
			out, fit, err := g.applyChunk(ctx, dev, ops[:limit], trusted, ex)
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
				g.log.Info("splitting a push over transactions", "device", dev.ID, "ops", len(ops), "limit", limit)
				continue
			}
			if err != nil {
				return fmt.Errorf("apply change set: %w", err)
			}
			g.head = out.head
			res.Acked = ops[limit-1].Seq
			res.Refused = append(res.Refused, out.refused...)
			res.Accepted += out.accepted
			res.NewlyRefused += len(out.refused)
			res.Conflicts += out.conflicts
			for _, r := range out.refused {
				g.log.Warn("operation refused", "device", dev.ID, "role", dev.Role, "council", dev.Council, "seq", r.Seq, "code", r.Code, "reason", r.Message)
			}
			for _, w := range ops[:limit] {
				_ = g.clock.Observe(hlc.Timestamp(w.HLC)) // a clock far ahead is not followed
			}
			break
		}
		ops = ops[limit:]
	}
	if stop != nil {
		g.log.Warn("push stopped at an impossible clock", "device", dev.ID, "acked", res.Acked, "reason", stop.msg)
		return reqErr(syncproto.CodeClock, res.Acked, "%s", stop.msg)
	}
	return nil
}

type chunkOut struct {
	head      uint64
	refused   []syncproto.Refusal
	accepted  int
	conflicts int
}

// applyChunk writes ops in one transaction. On ErrTxnTooBig, fit is how
// many operations were written before the transaction was full.
func (g *Ingester) applyChunk(ctx context.Context, dev *store.Device, ops []syncproto.WireOp, trusted bool, extra func(*store.Txn) error) (out chunkOut, fit int, err error) {
	at := g.now().UTC()
	err = g.st.Update(ctx, func(x *store.Txn) error {
		out = chunkOut{head: g.head} // the function may run again
		// (device, seq) names one operation for ever: the chunk must
		// continue what the server holds of the device, or nothing of it
		// is written.
		acked, err := x.Acked(dev.ID)
		if err != nil {
			return err
		}
		if acked != ops[0].Seq-1 {
			return fmt.Errorf("%w: %s/%d follows %d", errSeqTaken, dev.ID, ops[0].Seq, acked)
		}
		states := map[string]*changeset.State{}
		var order []string
		for i, w := range ops {
			fit = i
			key, next, err := g.judge(x, dev, w, trusted, states, &out, at)
			if err != nil {
				return err
			}
			if next != nil {
				if _, seen := states[key]; !seen {
					order = append(order, key)
				}
				states[key] = next
			}
		}
		fit = len(ops)
		// Each record's state is written once, however many of the
		// operations touched it.
		for _, key := range order {
			if err := x.PutState(states[key]); err != nil {
				return err
			}
		}
		if err := x.SetAcked(dev.ID, ops[len(ops)-1].Seq); err != nil {
			return err
		}
		if err := x.SetMetaUint(store.MetaHead, out.head); err != nil {
			return err
		}
		if extra != nil {
			return extra(x)
		}
		return nil
	})
	return out, fit, err
}

// judge decides one operation and writes what it produced. It returns the
// record's new state when the operation was accepted.
func (g *Ingester) judge(x *store.Txn, dev *store.Device, w syncproto.WireOp, trusted bool, states map[string]*changeset.State, out *chunkOut, at time.Time) (string, *changeset.State, error) {
	var ref *auth.Refusal
	key := w.Kind + ":" + w.Record
	op, err := syncproto.FromWire(w)
	if err == nil && !trusted {
		// Who made a change is the device the administrator enrolled, by
		// the name it was registered under, not what the laptop says: an
		// honest laptop writes that very name (the enrollment's), and a
		// stolen one cannot sign as central staff.
		op.Author = dev.Name
	}
	var nameErr error
	if err == nil {
		nameErr = syncproto.CheckNames(op.ID(), op.Kind, op.Record, op.Council)
	}
	var next *changeset.State
	switch {
	case err != nil:
		ref = &auth.Refusal{Code: syncproto.CodeInvalid, Message: err.Error()}
	case nameErr != nil:
		// Names are the protocol's rule, which every store's keys rely on.
		ref = &auth.Refusal{Code: syncproto.CodeInvalid, Message: nameErr.Error()}
	case syncproto.WireSize(op) > syncproto.MaxOpBytes:
		// It could never be sent in a pull page.
		ref = &auth.Refusal{Code: syncproto.CodeTooLarge, Message: fmt.Sprintf("operation %s is %d bytes, at most %d: a record's text is far shorter; save less at once",
			op.ID(), syncproto.WireSize(op), syncproto.MaxOpBytes)}
	default:
		cur, ok := states[key]
		if !ok {
			if cur, err = x.State(op.Kind, op.Record); err != nil {
				return "", nil, err
			}
		}
		if !trusted {
			if ce := checkCreated(op, cur); ce != nil {
				return "", nil, ce
			}
			ref = auth.CheckWrite(dev, op, cur)
		}
		if ref == nil {
			// cur is private to this transaction (decoded from the store
			// or made by an earlier operation of it), and Apply refuses
			// before it changes anything, so it is merged in place. Only a
			// council is checked after merging and may still be refused:
			// it is merged into a copy. (Cloning every state for every
			// operation was 8% of a large push.)
			switch {
			case cur == nil:
				next = &changeset.State{}
			case op.Kind == domain.KindCouncil:
				next = cur.Clone()
			default:
				next = cur
			}
			if ref, err = g.merge(x, op, next, out); err != nil {
				return "", nil, err
			}
		}
	}
	if ref != nil {
		r := syncproto.Refusal{Seq: w.Seq, Code: ref.Code, Message: ref.Message}
		e := store.OpEntry{HLC: w.HLC, Kind: w.Kind, Record: w.Record, Code: string(r.Code), Message: r.Message}
		if err := x.PutDevOp(dev.ID, w.Seq, e); err != nil {
			return "", nil, err
		}
		raw, _ := json.Marshal(w)
		if err := x.PutRefused(dev.ID, w.Seq, store.Refused{Op: raw, Code: string(r.Code), Message: r.Message, At: at}); err != nil {
			return "", nil, err
		}
		out.refused = append(out.refused, r)
		return "", nil, nil
	}
	out.head++
	ix := store.Index{Global: auth.IsGlobal(op.Kind), Council: next.Council}
	if err := x.Append(out.head, op, ix); err != nil {
		return "", nil, err
	}
	e := store.OpEntry{ServerSeq: out.head, HLC: w.HLC, Kind: w.Kind, Record: w.Record}
	if err := x.PutDevOp(dev.ID, w.Seq, e); err != nil {
		return "", nil, err
	}
	out.accepted++
	return key, next, nil
}

// merge applies op to next (a copy of the record's state) and keeps the
// conflicts it finds. A refusal means the merged record is not acceptable;
// an error is the store's.
func (g *Ingester) merge(x *store.Txn, op *changeset.Op, next *changeset.State, out *chunkOut) (*auth.Refusal, error) {
	_, conflicts, err := next.Apply(op)
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
	for _, c := range conflicts {
		if err := x.PutConflict(c); err != nil {
			return nil, err
		}
	}
	out.conflicts += len(conflicts)
	return nil, nil
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
