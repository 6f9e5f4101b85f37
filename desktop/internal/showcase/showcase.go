package showcase

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/demo"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// Options say what to put in a new data directory.
type Options struct {
	Passphrase string
	DeviceName string
	Appeals    int
	Events     int
	Seed       uint64
	Conflicts  int // appeals given a conflicting edit from another laptop
	Session    session.Options
	Progress   func(appeals, events int)
}

// Create makes an encrypted store in dir filled with demo data and
// conflicts, and closes it.
func Create(ctx context.Context, dir string, o Options) error {
	s, err := session.Create(ctx, dir, o.Passphrase, o.DeviceName, o.Session)
	if err != nil {
		return err
	}
	defer s.Close()
	svc := s.Records()
	if _, err := demo.Generate(ctx, svc, demo.Options{Appeals: o.Appeals, Events: o.Events, Seed: o.Seed, Progress: o.Progress}); err != nil {
		return err
	}
	cs, err := svc.Councils(ctx)
	if err != nil {
		return err
	}
	if len(cs) > 0 {
		if err := svc.SetHomeCouncil(ctx, cs[0].Code); err != nil {
			return err
		}
	}
	list, err := svc.List(records.Filter{Kind: domain.KindAppeal})
	if err != nil {
		return err
	}
	for i := 0; i < o.Conflicts && i < len(list); i++ {
		a, err := svc.Appeal(ctx, list[i].ID)
		if err != nil {
			return err
		}
		local, _ := json.Marshal(a.Summary + " (катчы тактады)")
		remote, _ := json.Marshal(a.Summary + " — борбордун кызматкери текшерип, толуктады")
		if err := Conflict(ctx, svc, domain.KindAppeal, a.ID, "summary", local, remote, "Борбордук кеңсе"); err != nil {
			return err
		}
	}
	return nil
}

// Conflict makes a concurrent edit of one field: this laptop writes local,
// and an operation from another laptop that had not seen that edit writes
// remote, arriving as sync would deliver it. The later write wins and the
// other is kept as a conflict for a person.
func Conflict(ctx context.Context, svc *records.Service, kind, id, field string, local, remote json.RawMessage, author string) error {
	patch, _ := json.Marshal(map[string]json.RawMessage{field: local})
	return ConflictPatch(ctx, svc, kind, id, field, patch, remote, author)
}

// ConflictPatch is Conflict with this laptop's edit given as a patch of
// the record, which must change field: an item of a collection
// ("consultations/ID") is changed or removed by a patch of the whole
// collection, as the record's form saves it.
func ConflictPatch(ctx context.Context, svc *records.Service, kind, id, field string, patch, remote json.RawMessage, author string) error {
	hist, err := svc.History(ctx, kind, id)
	if err != nil {
		return err
	}
	var base hlc.Timestamp
	for _, e := range hist {
		if _, ok := e.Changes[field]; ok {
			base = e.HLC
		}
	}
	var council string
	switch kind {
	case domain.KindAppeal:
		a, err := svc.EditAppeal(ctx, id, patch)
		if err != nil {
			return err
		}
		council = a.Council
	case domain.KindEvent:
		e, err := svc.EditEvent(ctx, id, patch)
		if err != nil {
			return err
		}
		council = e.Council
	default:
		return fmt.Errorf("conflict: unknown kind %q", kind)
	}
	st, err := svc.SyncState(ctx)
	if err != nil {
		return err
	}
	op := &changeset.Op{Device: domain.NewID(), Seq: 1, HLC: hlc.New(time.Now().Add(time.Second).UnixMilli(), 0),
		Kind: kind, Record: id, Council: council, Action: changeset.ActionUpdate, Author: author,
		Fields: map[string]changeset.Change{field: {Value: remote, Base: base}}}
	res, err := svc.ApplyRemote(ctx, []*changeset.Op{op}, st.Cursor)
	if err != nil {
		return err
	}
	if len(res.Conflicts) == 0 {
		return fmt.Errorf("conflict: the edits did not conflict")
	}
	return nil
}
