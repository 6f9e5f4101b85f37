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
	"github.com/kenesh/kenesh/shared/syncproto"
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
// bound to the hash of its tracking code. Everything is one Append, made
// durable before Submit returns: once the person sees their code, the
// submission is in the log. The legal clock starts now: s.ReceivedAt and
// s.ReceivedOn (the day in Bishkek) are set here, with the id and the
// status (waiting).
//
// s must pass ValidateForm. It is refused with ErrNoCouncil for a council
// the server does not hold, ErrInboxFull when the council already has
// maxWaiting web submissions waiting (0: no limit), and
// store.ErrCodeTaken when the code is bound already (draw another).
func (g *Ingester) Submit(ctx context.Context, s *domain.Submission, code [32]byte, maxWaiting int) error {
	now := g.now()
	s.ID = domain.NewID()
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
	dev := &store.Device{ID: g.serverDev, Role: "server"}
	var out chunkOut
	err = g.st.Append(ctx, func(w store.LogTx) error {
		out = chunkOut{}
		cst, err := w.State(domain.KindCouncil, s.Council)
		if err != nil {
			return err
		}
		if cst == nil || cst.Deleted() {
			return fmt.Errorf("%w: %s", ErrNoCouncil, s.Council)
		}
		if maxWaiting > 0 {
			n, err := w.Waiting(s.Council)
			if err != nil {
				return err
			}
			if n >= maxWaiting {
				return fmt.Errorf("%w: council %s has %d waiting", ErrInboxFull, s.Council, n)
			}
		}
		if err := w.BindCode(code, s.ID); err != nil {
			return err
		}
		last, err := w.Clock()
		if err != nil {
			return err
		}
		held, err := w.Acked(g.serverDev)
		if err != nil {
			return err
		}
		ts := hlc.NewClock(last, g.now).Now()
		op := &changeset.Op{Device: g.serverDev, Seq: held + 1, HLC: ts, Kind: domain.KindSubmission, Record: s.ID,
			Council: s.Council, Action: changeset.ActionCreate, Author: ServerAuthor, Fields: changes}
		if _, err := g.judgeAll(w, dev, []syncproto.WireOp{syncproto.ToWire(op)}, true, &out, s.ReceivedAt); err != nil {
			return err
		}
		if len(out.refused) > 0 {
			return fmt.Errorf("web submission refused: %s", out.refused[0].Message)
		}
		return w.SetClock(ts)
	})
	if err != nil {
		return fmt.Errorf("web submission: %w", err)
	}
	g.log.Info("web submission received", "submission", s.ID, "council", s.Council, "server_seq", out.last)
	return nil
}
