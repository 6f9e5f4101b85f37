package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// AddCouncil creates a council, or changes its name and place, as an
// operation of the server's own device: it goes into the log like any
// other and reaches every laptop through pull. Adding a council exactly as
// it is changes nothing.
func (g *Ingester) AddCouncil(ctx context.Context, c domain.Council) (*domain.Council, error) {
	if err := c.Validate(g.cat); err != nil {
		return nil, fmt.Errorf("%w: %v", auth.ErrInput, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	cur, err := g.st.State(ctx, domain.KindCouncil, c.Code)
	action := changeset.ActionUpdate
	switch {
	case errors.Is(err, store.ErrNotFound):
		cur, action = nil, changeset.ActionCreate
	case err != nil:
		return nil, err
	}
	fields, err := (changeset.Schema{}).ToFields(c, "code")
	if err != nil {
		return nil, err
	}
	if cur != nil {
		if cur.Deleted() {
			fields[changeset.DeletedField] = json.RawMessage("false")
		}
		// Our write must order after every write the record holds.
		_ = g.clock.Observe(cur.Updated)
	}
	changes := changeset.Diff(cur, fields, changeset.Names(c))
	if len(changes) == 0 {
		return &c, nil
	}
	// The server's sequence continues what the store holds of its device
	// (an older server could have let a laptop enroll under it).
	var held uint64
	if err := g.st.View(ctx, func(x *store.Txn) (err error) { held, err = x.Acked(g.serverDev); return err }); err != nil {
		return nil, err
	}
	ts := g.clock.Now()
	seq := max(g.serverSeq, held) + 1
	op := &changeset.Op{Device: g.serverDev, Seq: seq, HLC: ts, Kind: domain.KindCouncil, Record: c.Code,
		Council: c.Code, Action: action, Author: ServerAuthor, Fields: changes}
	dev := &store.Device{ID: g.serverDev, Role: "server"}
	res := &Result{}
	err = g.apply(ctx, dev, []syncproto.WireOp{syncproto.ToWire(op)}, true, func(x *store.Txn) error {
		if err := x.SetMetaUint(store.MetaServerSeq, seq); err != nil {
			return err
		}
		return x.SetMetaUint(store.MetaClock, uint64(ts))
	}, res)
	if err != nil {
		return nil, err
	}
	g.serverSeq = seq
	if len(res.Refused) > 0 {
		return nil, fmt.Errorf("%w: %s", auth.ErrInput, res.Refused[0].Message)
	}
	g.log.Info("council saved", "council", c.Code, "action", action, "server_seq", g.head)
	return &c, nil
}
