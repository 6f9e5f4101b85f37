package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var (
	// ErrInboxFull refuses a web submission to a council whose inbox
	// holds as many waiting ones as it may: the council has not synced or
	// handled them for a while, or someone is flooding it.
	ErrInboxFull = errors.New("the council's inbox of web submissions is full")
	// ErrNoCouncil refuses a web submission to a council the server does
	// not hold.
	ErrNoCouncil = errors.New("no such council")
)

var bishkek = time.FixedZone("Asia/Bishkek", 6*60*60)

// Submit makes a web submission from a citizen's form: an operation of the
// server's own device for the chosen council, which reaches its laptops
// with their next pull like any other, and the submission's tracking,
// bound to the hash of its tracking code. It is made durable before Submit
// returns: once the person sees their code, the submission is in the log.
// The legal clock starts now: s.ReceivedAt and s.ReceivedOn (the day in
// Bishkek) are set here, with the status (waiting) and, unless s.ID names
// one (the form's own: public.guard.formID), the id.
//
// Submissions that arrive together are committed together (one Append,
// one write to disk, for all that waited while the store was busy): the
// form keeps up with hundreds a second while laptops push, where one
// Append each was bound by the disk's flushes behind the laptops' pushes.
// Each still gets its own answer.
//
// s must pass ValidateForm. It is refused with ErrNoCouncil for a council
// the server does not hold, ErrInboxFull when the council already has
// maxWaiting web submissions waiting (0: no limit), and
// store.ErrCodeTaken when the code is bound already (draw another).
func (g *Ingester) Submit(ctx context.Context, s *domain.Submission, code [32]byte, maxWaiting int) error {
	now := g.now()
	if s.ID == "" { // the public form gives each form's own (a sending again binds the same)
		s.ID = domain.NewID()
	}
	s.ReceivedAt = now.UTC().Truncate(time.Second)
	s.ReceivedOn = caldate.Of(now.In(bishkek))
	s.Status, s.Appeal, s.HandledOn, s.Refusal, s.Note = domain.SubmissionWaiting, "", caldate.Date{}, "", ""
	s.RegisterBy, s.Due, s.Meta = nil, false, nil
	if err := s.Validate(g.cat); err != nil {
		return err
	}
	fields, err := (changeset.Schema{}).ToFields(s, domain.SubmissionNotFields...)
	if err != nil {
		return err
	}
	changes := make(map[string]changeset.Change, len(fields))
	for k, v := range fields {
		changes[k] = changeset.Change{Value: v}
	}
	r := &submitReq{s: s, code: code, maxWaiting: maxWaiting, changes: changes, done: make(chan error, 1)}
	g.subMu.Lock()
	g.subQueue = append(g.subQueue, r)
	lead := !g.subLeading
	g.subLeading = true
	g.subMu.Unlock()
	if lead {
		// This caller commits what is queued, batch after batch, until
		// nothing waits; its own answer is in the first batch. The
		// batches run apart from any one request's cancellation: the
		// others in them still wait for their answers.
		bctx := context.WithoutCancel(ctx)
		for {
			g.subMu.Lock()
			batch := g.subQueue
			g.subQueue = nil
			if len(batch) == 0 {
				g.subLeading = false
				g.subMu.Unlock()
				break
			}
			g.subMu.Unlock()
			g.commitSubmissions(bctx, batch)
		}
	}
	err = <-r.done // committed (or not) whether or not the citizen is still there
	if err != nil {
		return fmt.Errorf("web submission: %w", err)
	}
	g.log.Info("web submission received", "submission", s.ID, "council", s.Council, "server_seq", r.seq)
	return nil
}

// submitReq is one web submission waiting for its commit.
type submitReq struct {
	s          *domain.Submission
	code       [32]byte
	maxWaiting int
	changes    map[string]changeset.Change
	seq        uint64 // the server's sequence number it got
	done       chan error
}

// errRefusedInBatch aborts a batch in which one submission failed in a
// way that must not commit (its code taken, or its operation refused):
// that one is answered, and the others are committed again without it.
var errRefusedInBatch = errors.New("a submission of the batch failed")

// commitSubmissions commits batch in one Append, each submission's own
// refusals (an unknown council, a full inbox) answered without writing
// anything of it.
func (g *Ingester) commitSubmissions(ctx context.Context, batch []*submitReq) {
	results := make([]error, len(batch))
	failed, failedErr := -1, error(nil)
	err := g.st.Append(ctx, func(w store.LogTx) error {
		clear(results)
		var err error
		if failed, failedErr, err = g.writeSubmissions(w, batch, results); err != nil {
			return err
		}
		if failed >= 0 {
			return errRefusedInBatch
		}
		return nil
	})
	if errors.Is(err, errRefusedInBatch) {
		batch[failed].done <- failedErr
		if rest := append(batch[:failed:failed], batch[failed+1:]...); len(rest) > 0 {
			g.commitSubmissions(ctx, rest)
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			r.done <- err
		} else {
			r.done <- results[i]
		}
	}
}

// writeSubmissions writes batch's submissions in w. A submission's own
// refusal goes to results; one that must abort the transaction is
// failed, with its error (and writing stops there); err is the store's.
func (g *Ingester) writeSubmissions(w store.LogTx, batch []*submitReq, results []error) (failed int, failedErr, err error) {
	dev := &store.Device{ID: g.serverDev, Role: "server"}
	last, err := w.Clock()
	if err != nil {
		return -1, nil, err
	}
	clock := hlc.NewClock(last, g.now)
	var ts hlc.Timestamp
	for i, r := range batch {
		s := r.s
		cst, err := w.State(domain.KindCouncil, s.Council)
		if err != nil {
			return -1, nil, err
		}
		if cst == nil || cst.Deleted() {
			results[i] = fmt.Errorf("%w: %s", ErrNoCouncil, s.Council)
			continue
		}
		if r.maxWaiting > 0 {
			n, err := w.Waiting(s.Council) // with the batch's writes so far
			if err != nil {
				return -1, nil, err
			}
			if n >= r.maxWaiting {
				results[i] = fmt.Errorf("%w: council %s has %d waiting", ErrInboxFull, s.Council, n)
				continue
			}
		}
		if err := w.BindCode(r.code, s.ID); err != nil {
			if errors.Is(err, store.ErrCodeTaken) {
				return i, err, nil
			}
			return -1, nil, err
		}
		held, err := w.Acked(g.serverDev)
		if err != nil {
			return -1, nil, err
		}
		ts = clock.Now()
		op := &changeset.Op{Device: g.serverDev, Seq: held + 1, HLC: ts, Kind: domain.KindSubmission, Record: s.ID,
			Council: s.Council, Action: changeset.ActionCreate, Author: ServerAuthor, Fields: r.changes}
		var out chunkOut
		if _, err := g.judgeAll(w, dev, []changeset.Op{*op}, nil, true, &out, s.ReceivedAt); err != nil {
			return -1, nil, err
		}
		if len(out.refused) > 0 {
			return i, fmt.Errorf("refused: %s", out.refused[0].Message), nil
		}
		r.seq = out.last
	}
	if ts == 0 {
		return -1, nil, nil // every one refused: nothing written
	}
	return -1, nil, w.SetClock(ts)
}
