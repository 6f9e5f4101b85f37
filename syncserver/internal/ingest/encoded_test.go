package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// TestEncodedJudgeAgrees: the same pushes judged with states merged on
// their encodings (mergeEncoded) and decoded (decodedOnly) leave the same
// states, byte for byte, the same refusals, conflicts and public register:
// spread updates by two laptops of the council, concurrent writes,
// another council's laptop, a creation sent again, a record written twice
// in one change set, appeals published by central staff and then updated.
func TestEncodedJudgeAgrees(t *testing.T) {
	type run struct {
		st       *badgerstore.Store
		g        *Ingester
		refusals []string
	}
	var runs [2]*run
	for i := range runs {
		st, g := newIngester(t, badgerstore.Options{Small: true}, nil)
		g.decodedOnly = i == 1
		if _, err := g.AddCouncil(context.Background(), domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
			t.Fatal(err)
		}
		runs[i] = &run{st: st, g: g}
	}
	dev := func(id, role, council string) *store.Device {
		return &store.Device{ID: id, Name: role + " laptop", Role: role, Council: council}
	}
	secA, secB := dev("01JDEVA0000000000000000000", domain.RoleSecretary, "NRN-ATB"), dev("01JDEVB0000000000000000000", domain.RoleSecretary, "NRN-ATB")
	other, central := dev("01JDEVC0000000000000000000", domain.RoleSecretary, "OSH-ARA"), dev("00JDEVD0000000000000000000", domain.RoleCentral, "")
	seqs := map[string]uint64{}
	start := time.Now().Add(-time.Hour).UnixMilli()
	tick := int64(0)
	var clock uint64
	op := func(d *store.Device, id, council, action string, base uint64, fields map[string]any) syncproto.WireOp {
		seqs[d.ID]++
		tick++
		clock = uint64(hlc.New(start+tick, 0))
		wf := map[string]syncproto.WireChange{}
		for k, v := range fields {
			b, ok := v.(json.RawMessage) // as sent, white space and all
			if !ok {
				b, _ = json.Marshal(v)
			}
			wf[k] = syncproto.WireChange{V: b, B: base}
		}
		return syncproto.WireOp{Device: d.ID, Seq: seqs[d.ID], HLC: clock, Kind: domain.KindAppeal, Record: id, Council: council, Action: action, Author: "x", Fields: wf}
	}
	push := func(d *store.Device, ops []syncproto.WireOp) {
		t.Helper()
		for _, r := range runs {
			res, err := r.g.Push(context.Background(), d, ops)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Refused {
				r.refusals = append(r.refusals, fmt.Sprintf("%s %d %s %s", d.ID, f.Seq, f.Code, f.Message))
			}
		}
	}
	ids := make([]string, 24)
	var ops []syncproto.WireOp
	for i := range ids {
		ids[i] = fmt.Sprintf("01JAPPEAL00000000000000%03d", i)
		ops = append(ops, op(secA, ids[i], "NRN-ATB", "create", 0, appealFields(fmt.Sprintf("NRN-ATB-2026-K7QH-%04d", i+1))))
	}
	push(secA, ops)
	created := clock
	for pass := range 6 {
		seen := clock
		var a, b []syncproto.WireOp
		for i, id := range ids {
			if i == pass {
				a = append(a, op(secA, id, "NRN-ATB", "create", 0, appealFields("NRN-ATB-2026-K7QH-9999"))) // created again: refused
			} else {
				a = append(a, op(secA, id, "NRN-ATB", "update", seen, map[string]any{"status_note": fmt.Sprintf("A%d", pass), fmt.Sprintf("note_a_%d", pass): i}))
			}
			// B's summary has not seen A's of this pass: a conflict
			// where they differ.
			b = append(b, op(secB, id, "NRN-ATB", "update", created, map[string]any{"summary": fmt.Sprintf("B%d", pass%2), "status_note": "B"}))
			if i%5 == pass%5 {
				b = append(b, op(secB, id, "NRN-ATB", "update", clock, map[string]any{"village": fmt.Sprintf("V%d", pass)})) // twice in one change set
			}
		}
		push(secA, a)
		push(secB, b)
		push(other, []syncproto.WireOp{op(other, ids[pass], "OSH-ARA", "update", 0, map[string]any{"summary": "theirs"})})
		if pass == 2 {
			push(central, []syncproto.WireOp{op(central, ids[0], "", "update", clock, map[string]any{"published": true, "published_on": "2026-11-10"}),
				op(central, ids[1], "", "update", clock, map[string]any{"verified_on": "2026-11-06"})})
		}
	}
	// An ordinary push: records created with their later operations in
	// the change set that creates them (createEncoded, mergeKept): steps,
	// a write that had not seen the creation's (a conflict), a value with
	// white space, a creation sent twice, one for another council, one
	// with a review field, a deletion; and one of them published by
	// central staff after.
	ops = nil
	for j := range 10 {
		id := fmt.Sprintf("01JAPPEAL10000000000000%03d", j)
		council := "NRN-ATB"
		fields := appealFields(fmt.Sprintf("NRN-ATB-2026-K7QH-%04d", 100+j))
		fields["items"] = json.RawMessage(`[ 1, {"a" : "b  c"} ]`)
		switch j {
		case 5:
			council = "OSH-ARA"
		case 6:
			fields["published"] = true
		}
		ops = append(ops, op(secA, id, council, "create", 0, fields))
		if j == 5 || j == 6 {
			continue // refused: no record
		}
		ids = append(ids, id)
		made := clock
		ops = append(ops, op(secA, id, "NRN-ATB", "update", made, map[string]any{"status": "in_progress", "step_on": "2026-11-03"}))
		ops = append(ops, op(secA, id, "NRN-ATB", "update", 0, map[string]any{"status_note": fmt.Sprintf("unseen %d", j), "note_new": json.RawMessage(`{ "x" : 1 }`)}))
		switch j {
		case 3:
			ops = append(ops, op(secA, id, "NRN-ATB", "create", 0, appealFields("NRN-ATB-2026-K7QH-7777"))) // again: refused
		case 7:
			ops = append(ops, op(secA, id, "NRN-ATB", "delete", clock, map[string]any{changeset.DeletedField: true}))
		}
		ops = append(ops, op(secA, id, "NRN-ATB", "update", clock, map[string]any{"status": "answered", "answered_on": "2026-11-20"}))
	}
	push(secA, ops)
	push(central, []syncproto.WireOp{op(central, ids[len(ids)-1], "", "update", clock, map[string]any{"published": true, "published_on": "2026-11-21"})})
	// A last pass of A's alone: no conflict, every state last merged on
	// its encoding.
	ops = nil
	for _, id := range ids {
		ops = append(ops, op(secA, id, "NRN-ATB", "update", clock, map[string]any{"status": "answered", "answered_on": "2026-11-20"}))
	}
	push(secA, ops)
	// What each store holds.
	states := func(r *run) (out []string) {
		// (In an Append: its LogTx reads the states kept for a later
		// window, which ReadLog does not.)
		out = nil
		err := r.st.Append(context.Background(), func(x store.LogTx) error {
			for _, id := range ids {
				s, err := x.State(domain.KindAppeal, id)
				if err != nil || s == nil {
					return fmt.Errorf("%s: %v %v", id, s, err)
				}
				b, _ := s.AppendBinary(nil)
				out = append(out, string(b))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	conflicts := func(r *run) (out []string) {
		err := r.st.Conflicts(context.Background(), func(c changeset.Conflict) error {
			out = append(out, fmt.Sprintf("%+v", c))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(out)
		return out
	}
	if a, b := states(runs[0]), states(runs[1]); !slices.Equal(a, b) {
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("%s: on the encoding\n%q\ndecoded\n%q", ids[i], a[i], b[i])
			}
		}
	}
	if a, b := runs[0].refusals, runs[1].refusals; !slices.Equal(a, b) || len(a) < 12 {
		t.Errorf("refusals on the encoding %q\ndecoded %q", a, b)
	}
	if a, b := conflicts(runs[0]), conflicts(runs[1]); !slices.Equal(a, b) || len(a) == 0 {
		t.Errorf("conflicts on the encoding (%d) %q\ndecoded (%d) %q", len(a), a, len(b), b)
	}
	if a, b := fmt.Sprint(projected(t, runs[0].st)), fmt.Sprint(projected(t, runs[1].st)); a != b || len(projected(t, runs[0].st)) == 0 {
		t.Errorf("public register on the encoding %s\ndecoded %s", a, b)
	}
}
