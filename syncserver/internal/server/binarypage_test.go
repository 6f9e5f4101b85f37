package server

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// A laptop of capability 8 gets a page of a few operations in JSON (with
// dictionary 1 it is smaller than their binary page), a larger one in a
// binary body; a laptop of capability 7 gets JSON whatever the size. The
// same operations either way.
func TestBinaryPagesBySize(t *testing.T) {
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	sec := h.enroll(domain.RoleSecretary, "NRN-ATB")
	var ops []syncproto.WireOp
	for range 40 {
		ops = append(ops, sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB")))
	}
	sec.push(ops...)
	reader := h.enroll(domain.RoleCentral, "")
	var stored []syncproto.WireOp
	for _, w := range reader.pullAll() {
		if w.Kind == domain.KindAppeal {
			stored = append(stored, w)
		}
	}
	pull := func(c syncproto.CapabilityVersion, maxOps int) (binary bool, resp *syncproto.SyncResponse) {
		t.Helper()
		// A page of maxOps appeals (after the council's operation, 1):
		// their JSON's size as the server holds them.
		size := 0
		for _, w := range stored[:maxOps] {
			o, _ := syncproto.FromWire(w)
			size += syncproto.WireSize(o)
		}
		frame := reader.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: reader.id, Pull: true, Cap: c, Cursor: 1, MaxPull: size})
		req, _ := http.NewRequest(http.MethodPost, h.url+syncproto.PathSync, bytes.NewReader(frame))
		req.Header.Set("Authorization", "Bearer "+reader.token)
		req.Header.Set("Content-Type", syncproto.ContentType)
		req.Header.Set(syncproto.HeaderDicts, "1")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		body, _ := io.ReadAll(r.Body)
		raw, err := h.codec.Decode(body)
		if err != nil {
			t.Fatalf("%d %s: %v", r.StatusCode, body, err)
		}
		resp, err = syncproto.DecodeSyncResponse(raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range resp.Page {
			resp.Ops = append(resp.Ops, syncproto.ToWire(o))
		}
		return syncproto.IsBinaryResponse(raw), resp
	}
	for _, tc := range []struct {
		cap        syncproto.CapabilityVersion
		ops        int
		wantBinary bool
	}{
		{syncproto.CapBinaryPage, 3, false},
		{syncproto.CapBinaryPage, 30, true},
		{syncproto.CapBinary, 3, false},
		{syncproto.CapBinary, 30, false},
	} {
		binary, resp := pull(tc.cap, tc.ops)
		if binary != tc.wantBinary || len(resp.Ops) != tc.ops || !resp.More {
			t.Errorf("capability %d, a page of %d: binary %v, %d operations, more %v", tc.cap, tc.ops, binary, len(resp.Ops), resp.More)
			continue
		}
		for i, w := range resp.Ops {
			if w.Record != ops[i].Record || w.Seq != ops[i].Seq {
				t.Errorf("capability %d, a page of %d: operation %d is %s/%d, pushed %s/%d", tc.cap, tc.ops, i, w.Device, w.Seq, ops[i].Device, ops[i].Seq)
			}
		}
	}
}
