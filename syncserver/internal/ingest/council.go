package ingest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// AddCouncil creates a council, or changes its name and place, as an
// operation of the server's own device: it goes into the log like any
// other and reaches every laptop through pull. Adding a council exactly as
// it is changes nothing. The council's state, the server's next sequence
// number and its clock are read and written in one Append, so two
// administrators (or two server processes) adding councils at once each
// get their own number and a clock after the other's.
func (g *Ingester) AddCouncil(ctx context.Context, c domain.Council) (*domain.Council, error) {
	if err := c.Validate(g.cat); err != nil {
		return nil, fmt.Errorf("%w: %v", auth.ErrInput, err)
	}
	var (
		out    chunkOut
		action changeset.Action
	)
	dev := &store.Device{ID: g.serverDev, Role: "server"}
	at := g.now().UTC()
	err := g.st.Append(ctx, func(w store.LogTx) error {
		out, action = chunkOut{}, changeset.ActionUpdate
		cur, err := w.State(domain.KindCouncil, c.Code)
		if err != nil {
			return err
		}
		fields, err := (changeset.Schema{}).ToFields(c, "code")
		if err != nil {
			return err
		}
		last, err := w.Clock()
		if err != nil {
			return err
		}
		clock := hlc.NewClock(last, g.now)
		if cur == nil {
			action = changeset.ActionCreate
		} else {
			if cur.Deleted() {
				fields[changeset.DeletedField] = json.RawMessage("false")
			}
			// Our write must order after every write the record holds.
			_ = clock.Observe(cur.Updated)
		}
		changes := changeset.Diff(cur, fields, changeset.Names(c))
		if len(changes) == 0 {
			return nil
		}
		// The server's sequence continues what the store holds of its
		// device (an older server could have let a laptop enroll under it).
		held, err := w.Acked(g.serverDev)
		if err != nil {
			return err
		}
		ts := clock.Now()
		op := &changeset.Op{Device: g.serverDev, Seq: held + 1, HLC: ts, Kind: domain.KindCouncil, Record: c.Code,
			Council: c.Code, Action: action, Author: ServerAuthor, Fields: changes}
		if _, err := g.judgeAll(w, dev, []changeset.Op{*op}, nil, true, &out, at); err != nil {
			return err
		}
		return w.SetClock(ts)
	})
	if err != nil {
		return nil, err
	}
	if len(out.refused) > 0 {
		return nil, fmt.Errorf("%w: %s", auth.ErrInput, out.refused[0].Message)
	}
	if out.accepted > 0 {
		g.log.Info("council saved", "council", c.Code, "action", action, "server_seq", out.last)
	}
	return &c, nil
}
