package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// laptop is one Kenesh client with its full core: an encrypted Badger
// store on disk, the records service and the syncer, as keneshctl and
// the desktop app build them.
type laptop struct {
	name  string
	st    *store.Store
	svc   *records.Service
	sync  *syncer.Syncer
	relay *relay // the laptop's server address; pointed at a link per phase
}

func newLaptop(ctx context.Context, dir, name string) (*laptop, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, filepath.Join(dir, name), key, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if _, err := records.Init(ctx, st, name); err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	svc, err := records.Open(ctx, st, records.Options{Format: syncer.WireFormat{}})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		st.Close()
		return nil, err
	}
	return &laptop{name: name, st: st, svc: svc, sync: syncer.New(svc, codec)}, nil
}

func (l *laptop) Close() {
	if l.relay != nil {
		l.relay.Close()
	}
	l.st.Close()
}

// enroll binds the laptop to the server through its own relay, first
// pointed at via (a link's address), and makes the first sync.
func (l *laptop) enroll(ctx context.Context, srv *server, council, role, via string) error {
	code, err := srv.enrollCode(ctx, council, role, l.name)
	if err != nil {
		return err
	}
	_, err = l.enrollWith(ctx, code, via)
	return err
}

// enrollWith is enroll with a one-time code made already; it returns what
// the first sync did.
func (l *laptop) enrollWith(ctx context.Context, code, via string) (*syncer.Summary, error) {
	var err error
	if l.relay, err = newRelay(via); err != nil {
		return nil, err
	}
	_, sum, err := l.sync.Enroll(ctx, l.relay.URL(), code)
	if err != nil {
		return nil, fmt.Errorf("%s: enroll: %w", l.name, err)
	}
	return sum, nil
}

// syncAll syncs until nothing is pending and the server has nothing more
// (one SyncOnce is bounded in rounds), adding up what the syncs did.
func (l *laptop) syncAll(ctx context.Context) (*syncer.Summary, error) {
	total := &syncer.Summary{}
	for {
		sum, err := l.sync.SyncOnce(ctx)
		if err != nil {
			return total, fmt.Errorf("%s: sync: %w", l.name, err)
		}
		total.Sent += sum.Sent
		total.Received += sum.Received
		total.Refused += sum.Refused
		total.Conflicts += sum.Conflicts
		total.Requests += sum.Requests
		total.BytesUp += sum.BytesUp
		total.BytesDown += sum.BytesDown
		total.Seconds += sum.Seconds
		total.Acked, total.Cursor, total.Pending = sum.Acked, sum.Cursor, sum.Pending
		if sum.Refused > 0 {
			return total, fmt.Errorf("%s: the server refused %d operations", l.name, sum.Refused)
		}
		// One SyncOnce is bounded in rounds: go on while work was left or
		// pulled pages came (more may wait).
		if sum.Pending == 0 && sum.Received == 0 {
			return total, nil
		}
	}
}

// exportAppeals returns the appeals this laptop holds as PouchDB
// documents (the appeal JSON without what is derived on reading, with
// _id) and, for each, how many operations made it (its revisions).
func (l *laptop) exportAppeals(ctx context.Context, ids []string) ([]pouchDoc, error) {
	if ids == nil {
		list, err := l.svc.List(records.Filter{Kind: domain.KindAppeal})
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			ids = append(ids, s.ID)
		}
		sort.Strings(ids)
	}
	revs := map[string]int{}
	err := l.st.Ops(ctx, l.svc.Device().ID, 0, func(op *changeset.Op) error {
		revs[op.Record]++
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]pouchDoc, 0, len(ids))
	for _, id := range ids {
		doc, err := l.appealDoc(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, pouchDoc{Doc: doc, Revs: max(1, revs[id])})
	}
	return out, nil
}

// pouchDoc is one line of the file the PouchDB driver loads.
type pouchDoc struct {
	Doc  json.RawMessage `json:"doc"`
	Revs int             `json:"revs"`
}

// appealDoc is an appeal as a CouchDB document: what a person entered and
// the workflow recorded, without deadlines and next steps, which are
// computed on reading.
func (l *laptop) appealDoc(ctx context.Context, id string) (json.RawMessage, error) {
	a, err := l.svc.Appeal(ctx, id)
	if err != nil {
		return nil, err
	}
	a.Deadlines, a.Overdue, a.NextStatuses = nil, false, nil
	var m map[string]any
	b, _ := json.Marshal(a)
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	// Who saved it and when is in Kenesh's operations and in PouchDB's
	// revisions, not in the document.
	delete(m, "id")
	delete(m, "meta")
	m["_id"] = id
	m["type"] = "appeal"
	return json.Marshal(m)
}
