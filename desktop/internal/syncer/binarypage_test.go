package syncer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// A binary page's operations are applied as a JSON page's are: those that
// validate as they came, the others held back as JSON with why.
func TestPageOpsBinary(t *testing.T) {
	good := &changeset.Op{Device: "d1", Seq: 1, HLC: 116203349606400000, Kind: domain.KindAppeal, Record: "r1", Council: "NRN-ATB",
		Action: changeset.ActionCreate, Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`"ң ө ү"`)}}}
	notJSON := &changeset.Op{Device: "d1", Seq: 2, HLC: 116203349606400001, Kind: domain.KindAppeal, Record: "r1", Council: "NRN-ATB",
		Action: changeset.ActionUpdate, Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`{`)}}}
	raw, err := syncproto.AppendSyncResponse(nil, &syncproto.SyncResponse{Proto: 2, Cursor: 2}, []*changeset.Op{good, notJSON})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := syncproto.DecodeSyncResponse(raw)
	if err != nil {
		t.Fatal(err)
	}
	ops, bad := pageOps(resp)
	if len(ops) != 1 || ops[0].ID() != "d1/1" || len(bad) != 1 {
		t.Fatalf("ops %v, held back %+v", ops, bad)
	}
	// The value is not JSON: what is held back keeps its bytes as a JSON
	// string, and the reason names the operation.
	var w syncproto.WireOp
	if err := json.Unmarshal(bad[0].Raw, &w); err != nil || w.Seq != 2 || string(w.Fields["summary"].V) != `"{"` ||
		!strings.Contains(bad[0].Reason, "d1/2") {
		t.Errorf("held back %s (%v): %s", bad[0].Raw, err, bad[0].Reason)
	}
}

// FuzzApplyBinaryPage: whatever binary page a server sends, decoding and
// applying it never panics and never fails the pull once it decodes:
// what does not validate, and what the laptop may not merge, is held back.
func FuzzApplyBinaryPage(f *testing.F) {
	seed := func(ops ...*changeset.Op) {
		raw, err := syncproto.AppendSyncResponse(nil, &syncproto.SyncResponse{Proto: 2, Cursor: 1}, ops)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	seed(&changeset.Op{Device: "d1", Seq: 1, HLC: 116203349606400000, Kind: domain.KindAppeal, Record: "r1", Council: "NRN-ATB",
		Action: changeset.ActionCreate, Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`"ң ө ү"`)}}})
	seed(&changeset.Op{Device: "d1", Seq: 2, HLC: 116203349606400001, Kind: domain.KindAppeal, Record: "r1", Council: "OSH-ARA",
		Action: changeset.ActionCreate, Fields: map[string]changeset.Change{"summary": {Value: json.RawMessage(`"x"`),
			Settles: []changeset.Version{{HLC: 1, Device: "d2"}}}}},
		&changeset.Op{Device: "d1", Seq: 3, HLC: 1<<64 - 1, Kind: domain.KindCouncil, Record: "NRN-ATB", Action: changeset.ActionUpdate,
			Fields: map[string]changeset.Change{changeset.DeletedField: {Value: json.RawMessage(`true`), Base: 5}}})
	ctx := context.Background()
	st, err := store.Open(ctx, f.TempDir(), []byte("0123456789abcdef0123456789abcdef"), store.Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if _, err := records.Init(ctx, st, "fuzz laptop"); err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, records.Bishkek)
	svc, err := records.Open(ctx, st, records.Options{Now: func() time.Time { return now }, Format: WireFormat{}})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N"}); err != nil {
		f.Fatal(err)
	}
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", Role: "secretary", Council: "NRN-ATB", Name: "fuzz"}); err != nil {
		f.Fatal(err)
	}
	cursor := uint64(0)
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := syncproto.DecodeSyncResponse(data)
		if err != nil || resp.Page == nil {
			return
		}
		cursor++
		ops, unreadable := pageOps(resp)
		res, err := svc.ApplyPulled(ctx, ops, unreadable, cursor)
		if err != nil {
			t.Fatalf("a page stopped the pull: %v", err)
		}
		if res.Applied+res.Held > len(resp.Page) {
			t.Fatalf("%+v for a page of %d", res, len(resp.Page))
		}
		if _, err := svc.SyncState(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
