package syncer

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// FuzzApplyPage: whatever page a server sends (as the JSON of its
// operations), decoding and applying it never fails and never panics: what
// does not decode and what the laptop may not merge is held back, so no
// page can stop its pull. The store stays readable.
func FuzzApplyPage(f *testing.F) {
	f.Add([]byte(`[{"dv":"d1","sq":1,"t":116203349606400000,"k":"appeal","r":"r1","c":"NRN-ATB","a":"create","f":{"summary":{"v":"ң ө ү"}}}]`))
	f.Add([]byte(`[{"dv":"a:b","sq":1,"t":116203349606400000,"k":"appeal","r":"r1","c":"NRN-ATB","a":"update","f":{"x":{"v":1}}}]`))
	f.Add([]byte(`[{"dv":"d1","sq":2,"t":116203349606400001,"k":"appeal","r":"r1","c":"OSH-ARA","a":"create","f":{"summary":{"v":"x","s":[{"t":1,"d":"d2"}]}}}]`))
	f.Add([]byte(`[{"dv":"d1","sq":3,"t":18446744073709551615,"k":"council","r":"NRN-ATB","a":"update","f":{"_deleted":{"v":true}}}]`))
	f.Add([]byte(`[{"dv":"","sq":0,"t":0,"k":"","r":"","a":"","f":{}}]`))
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
		var page []syncproto.WireOp
		if json.Unmarshal(data, &page) != nil {
			return
		}
		cursor++
		ops, unreadable := decodePage(page)
		res, err := svc.ApplyPulled(ctx, ops, unreadable, cursor)
		if err != nil {
			t.Fatalf("a page stopped the pull: %v\n%s", err, data)
		}
		if res.Applied+res.Held > len(page) {
			t.Fatalf("%+v for a page of %d", res, len(page))
		}
		if _, err := svc.SyncState(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ConflictViews(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
