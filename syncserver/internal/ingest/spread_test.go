package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// Two laptops of a council push, at the same time, change sets that
// each touch every record of a set once (a spread backlog): every
// operation is judged against the state the other laptop's last commit
// left, whether that state comes from Badger or from the store's cache of
// states the appends rewrote, and the states stored at the end are the
// merge of every operation, as a replica replaying the log makes them.
func TestSpreadPushesOfTwoDevices(t *testing.T) {
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{Small: true}, nil)
	if _, err := g.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = domain.NewID()
	}
	creator := newWriter(t, g, domain.RoleSecretary, "NRN-ATB")
	var create []syncproto.WireOp
	for i, id := range ids {
		creator.seq++
		fields := map[string]syncproto.WireChange{}
		for k, v := range appealFields(fmt.Sprintf("NRN-ATB-2026-K7QH-%04d", i+1)) {
			b, _ := json.Marshal(v)
			fields[k] = syncproto.WireChange{V: b}
		}
		create = append(create, syncproto.WireOp{Device: creator.dev.ID, Seq: creator.seq, HLC: uint64(creator.clock.Now()), Kind: domain.KindAppeal, Record: id,
			Council: "NRN-ATB", Action: "create", Author: creator.dev.Name, Fields: fields})
	}
	if res, err := g.Push(ctx, creator.dev, create); err != nil || len(res.Refused) > 0 {
		t.Fatalf("create: %v %+v", err, res)
	}
	const passes = 12
	laptops := []*writer{newWriter(t, g, domain.RoleSecretary, "NRN-ATB"), newWriter(t, g, domain.RoleSecretary, "NRN-ATB")}
	sent := make([][]syncproto.WireOp, len(laptops)) // what each pushed
	var wg sync.WaitGroup
	errs := make([]error, len(laptops))
	for l, w := range laptops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pass := range passes {
				var wire []syncproto.WireOp
				for i, id := range ids {
					w.seq++
					// Both write the summary (one wins by clock), and each a
					// note of its own for each pass: a write judged against a
					// state without the other laptop's last commit would lose
					// that laptop's note for good.
					note, _ := json.Marshal(fmt.Sprintf("laptop %d pass %d", l, pass))
					sum, _ := json.Marshal(fmt.Sprintf("summary %d of laptop %d pass %d", i, l, pass))
					wire = append(wire, syncproto.WireOp{Device: w.dev.ID, Seq: w.seq, HLC: uint64(w.clock.Now()), Kind: domain.KindAppeal, Record: id,
						Council: "NRN-ATB", Action: "update", Author: w.dev.Name, Fields: map[string]syncproto.WireChange{
							"summary": {V: sum}, fmt.Sprintf("note_%d_%d", l, pass): {V: note}}})
				}
				res, err := g.Push(ctx, w.dev, wire)
				if err == nil && len(res.Refused) > 0 {
					err = fmt.Errorf("refused: %+v", res.Refused[0])
				}
				if err != nil {
					errs[l] = err
					return
				}
				sent[l] = append(sent[l], wire...)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The states a replica makes of every operation sent.
	want := map[string]*changeset.State{}
	all := append([]syncproto.WireOp{}, create...)
	for _, s := range sent {
		all = append(all, s...)
	}
	for i := range all {
		op := syncproto.OpFromWire(&all[i])
		s := want[op.Record]
		if s == nil {
			s = &changeset.State{}
			want[op.Record] = s
		}
		if err := s.Merge(&op); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		got, err := st.State(ctx, domain.KindAppeal, id)
		if err != nil {
			t.Fatal(err)
		}
		w := want[id]
		if len(got.Fields) != len(w.Fields) {
			t.Fatalf("appeal %s: %d fields stored, %d merged", id, len(got.Fields), len(w.Fields))
		}
		for name, f := range w.Fields {
			g := got.Fields[name]
			if string(g.Value) != string(f.Value) || g.HLC != f.HLC || g.Device != f.Device || g.Seq != f.Seq {
				t.Fatalf("appeal %s field %s: stored %s (%s/%d), merged %s (%s/%d)", id, name, g.Value, g.Device, g.Seq, f.Value, f.Device, f.Seq)
			}
		}
	}
}
