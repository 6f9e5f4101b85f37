package syncer

import (
	"context"
	"errors"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// pushWindow is how many change sets a pipelined push has in flight. A
// server that gives up the device's turn once a change set is queued for
// its log's writer (ingest, store.QueuedAppender) judges the next ones
// while that one's commit syncs: with three in flight, two can wait there
// and commit together with one pair of syncs. Each one in flight is held
// by the server (at most maxPushBytes of operations).
const pushWindow = 3

// flight is one change set of a pipelined push, on its way.
type flight struct {
	ops  []changeset.EncodedOp
	size int
	req  *syncproto.SyncRequest
	done chan struct{}
	// written is closed once the request is on the wire (or failed): the
	// next change set is sent only then, so that it reaches the server
	// after this one and waits for its turn instead of finding a gap.
	written chan struct{}
	resp    *syncproto.SyncResponse
	err     error
	at      time.Time // when it was answered
}

// pushPipelined pushes a backlog of more than one change set with
// pushWindow requests in flight, push only (no pull): the laptop reads
// and encodes the next change set, and commits the last answer, while the
// server judges the one before, instead of the two taking turns and
// leaving a core idle. A server of protocol 2 takes a device's pushes one
// at a time in arrival order (ingest's device turns), so the next change
// set waits for the one before instead of finding a gap.
//
// Nothing here is trusted that the sequential loop would not trust: an
// answer is checked (checkAnswer) and acknowledgements are recorded in
// order, each only once the server has said it holds the operations
// (durably, as it answers only after committing). At the first answer
// that is not the whole change set acknowledged (an error, a gap because
// the change set reached another server process first, a refusal to pace
// the laptop, operations stopped at a clock), pushPipelined waits for what
// is still in flight and returns: the sync's loop then goes on from what
// was acknowledged, sends again what was not (the server ignores what it
// already holds) and handles the error as it always has.
//
// mostOps is the sync's bound on a change set's operations: a first answer
// refusing a change set as too large (413, too_large) halves it, as the
// sequential loop does, so that the loop does not send that many again.
//
// again says whether the sync may push pipelined again once the loop has
// handled what stopped this one: when at least one change set went
// through whole, and the server did not ask the laptop to slow down
// (paced, or busy), which more requests in flight would not help.
func (s *Syncer) pushPipelined(ctx context.Context, c *syncclient.Client, st *records.SyncState, sum *Summary, limOps, limBytes, mostOps *int, progress func()) (again bool, err error) {
	took := 0 // change sets acknowledged whole
	var q []*flight
	defer func() {
		for _, f := range q {
			<-f.done // nothing of this sync's client outlives it
		}
	}()
	next := st.Acked
	last := time.Now()
	for {
		for len(q) < pushWindow && next < s.svc.Seq() {
			ops, size, err := s.svc.PendingEncoded(ctx, next, *limOps, *limBytes)
			if err != nil {
				return false, err
			}
			if len(ops) == 0 {
				break
			}
			f := &flight{ops: ops, size: size, done: make(chan struct{}), written: make(chan struct{}),
				req: &syncproto.SyncRequest{Cap: syncproto.CurrentCapability, Device: s.svc.Device().ID, Cursor: st.Cursor, PushEncoded: ops}}
			if len(q) > 0 {
				select {
				case <-q[len(q)-1].written:
				case <-ctx.Done():
					return false, ctx.Err()
				}
			}
			var once sync.Once
			wrote := func() { once.Do(func() { close(f.written) }) }
			trace := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote() }})
			go func() {
				defer close(f.done)
				defer wrote()
				f.resp, f.err = c.Sync(trace, f.req)
				f.at = time.Now()
			}()
			q = append(q, f)
			next = ops[len(ops)-1].Head.Seq
		}
		if len(q) == 0 {
			return took > 0, nil
		}
		f := q[0]
		<-f.done
		q = q[1:]
		sum.Requests++
		if f.err != nil {
			var perr *syncproto.Error
			if errors.As(f.err, &perr) && perr.Code == syncproto.CodeTooLarge && len(f.ops) > 1 {
				*mostOps = min(*mostOps, len(f.ops)/2)
				*limOps = min(*limOps, *mostOps)
			}
			// The loop sends it again, and answers what it says.
			slow := errors.As(f.err, &perr) && (perr.Code == syncproto.CodeRateLimited || perr.Code == syncproto.CodeUnavailable)
			return took > 0 && !slow, nil
		}
		if err := checkAnswer(f.resp, f.req, s.svc.Seq()); err != nil {
			return false, err
		}
		if err := s.takeAnswer(ctx, f.resp, st, sum); err != nil {
			return false, err
		}
		progress()
		if st.Acked != f.ops[len(f.ops)-1].Head.Seq {
			return took > 0, nil // stopped short: the loop goes on from the acknowledgement
		}
		took++
		// How long the server took with this change set: from when it
		// could start on it (sent, or the answer before came) to its
		// answer. The first one waited for nothing else.
		rtt := f.at.Sub(last)
		last = f.at
		c.SetQuickLink(rtt < quickRound)
		*limOps, *limBytes = growPush(*limOps, *limBytes, len(f.ops), f.size, rtt)
		// Never past what the server refused as too large half of, as
		// the loop's: with the backlog pipelined again after the loop's
		// request, a pipeline grew back to the size refused, and was
		// refused again, each time (TestSyncSendsFewerWhenTooLarge).
		*limOps = min(*limOps, *mostOps)
	}
}

// takeAnswer records what an answer to a push acknowledged and refused.
func (s *Syncer) takeAnswer(ctx context.Context, resp *syncproto.SyncResponse, st *records.SyncState, sum *Summary) error {
	if resp.Acked > st.Acked {
		sum.Sent += int(resp.Acked - st.Acked)
	}
	var refused []records.Refusal
	for _, r := range resp.Refused {
		refused = append(refused, records.Refusal{Seq: r.Seq, Code: string(r.Code), Message: r.Message,
			Fields: syncproto.FieldErrors(r.Fields), At: s.now().UTC()})
	}
	sum.Refused += len(refused)
	if resp.Acked != st.Acked || len(refused) > 0 {
		if err := s.svc.SetAcked(ctx, resp.Acked, refused); err != nil {
			return err
		}
		st.Acked = resp.Acked
	}
	return nil
}
