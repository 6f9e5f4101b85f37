package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

var requests atomic.Uint64

// serve posts body to path with the device's token, in process, and checks
// what every answer must be: never a server fault, always a body the
// laptop can read.
func serve(t *testing.T, h *harness, d *device, path string, body []byte) {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set(syncproto.HeaderDicts, "1")
	// Another address each time: enrollment is rate-limited per address,
	// and the fuzzer must reach the decoder, not only the limiter.
	n := requests.Add(1)
	req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:4242", n>>16&0xff, n>>8&0xff, n&0xff)
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("server fault %d on %q: %s", rec.Code, body, rec.Body)
	}
	if rec.Code != http.StatusOK {
		var eb syncproto.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Code == "" || eb.Message == "" {
			t.Fatalf("refusal %d without a clear error body: %q", rec.Code, rec.Body)
		}
		return
	}
	if path == syncproto.PathSync {
		var resp syncproto.SyncResponse
		if err := h.codec.DecodeJSON(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("reply is not a frame: %v", err)
		}
	}
}

func fuzzSetup(f *testing.F) (*harness, *device, []byte) {
	h := newHarness(f)
	h.council("NRN-ATB", "KG-N")
	d := h.enroll(domain.RoleSecretary, "NRN-ATB")
	var ops []syncproto.WireOp
	id := domain.NewID()
	ops = append(ops, d.op(domain.KindAppeal, id, "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB")))
	ops = append(ops, d.op(domain.KindAppeal, id, "NRN-ATB", changeset.ActionUpdate, map[string]any{"status": "under_review", "consultations.01": map[string]string{"by": "Юрист"}}))
	ops = append(ops, d.op(domain.KindAppeal, id, "NRN-ATB", changeset.ActionDelete, map[string]any{changeset.DeletedField: true}))
	d.seq = 0
	payload, _ := json.Marshal(syncproto.SyncRequest{Proto: syncproto.Proto, Device: d.id, Ops: ops, Pull: true})
	return h, d, payload
}

// FuzzSyncBody throws arbitrary bodies at the sync endpoint.
func FuzzSyncBody(f *testing.F) {
	h, d, payload := fuzzSetup(f)
	frame, _ := h.codec.Encode(payload, 1)
	f.Add(frame)
	f.Add(frame[:len(frame)-5])
	plain, _ := h.codec.Encode(payload, 0)
	f.Add(plain)
	f.Add([]byte("KNF1"))
	f.Fuzz(func(t *testing.T, body []byte) { serve(t, h, d, syncproto.PathSync, body) })
}

// FuzzSyncPayload wraps arbitrary JSON in a valid frame, so that the
// fuzzer reaches the request and operation decoders and the ingest.
func FuzzSyncPayload(f *testing.F) {
	h, d, payload := fuzzSetup(f)
	f.Add(payload)
	f.Add([]byte(`{"proto":1,"device":"` + d.id + `","ops":[{"dv":"` + d.id + `","sq":1,"t":1,"k":"council","r":"X:Y","c":"NRN-ATB","a":"create","f":{"":{"v":null}}}]}`))
	f.Add([]byte(`{"proto":1,"device":"` + d.id + `","cursor":18446744073709551615,"pull":true,"max_pull":-1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		frame, err := h.codec.Encode(raw, 1)
		if err != nil {
			return // over the size limit: not a frame a laptop can send
		}
		serve(t, h, d, syncproto.PathSync, frame)
	})
}

// FuzzEnrollBody throws arbitrary bodies at the enrollment endpoint.
func FuzzEnrollBody(f *testing.F) {
	h := newHarness(f)
	f.Add([]byte(`{"proto":1,"code":"ABCD-EFGH-JKMN-PQRS","device_id":"01a21153-0b49-7f01-9325-83417e1d6f9d","device_name":"Нарын"}`))
	f.Add([]byte(`{"proto":1,"code":"","device_id":"x"}`))
	f.Add([]byte(`[]`))
	d := &device{}
	f.Fuzz(func(t *testing.T, body []byte) { serve(t, h, d, syncproto.PathEnroll, body) })
}
