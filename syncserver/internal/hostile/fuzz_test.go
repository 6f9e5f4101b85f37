package hostile

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// FuzzHostileOperation sends valid frames carrying one hostile operation
// each, built from a valid one with the fuzzer's kind, record, council,
// action, author, field, value, clock and sequence: it reaches the
// decoder, the clock rules, the policy, the merge and the pull. Whatever
// it sends, the server never fails (no 5xx), every refusal says what and
// why, and a central laptop can always pull.
func FuzzHostileOperation(f *testing.F) {
	tg := start(f, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")
	existing := domain.NewID()
	if r, err := sec.post(encodeFrame(f, tg, syncproto.SyncRequest{Proto: 1, Device: sec.id,
		Ops: []syncproto.WireOp{sec.op(domain.KindAppeal, existing, changeset.ActionCreate, appeal("NRN-ATB"))}})); err != nil || r.status != http.StatusOK {
		f.Fatalf("setup: %v %v", r, err)
	}
	var mu sync.Mutex // the laptop's sequence, across the fuzzer's workers in this process
	f.Add("appeal", existing, "NRN-ATB", "update", "", "summary", []byte(`"жаңы"`), int64(0), int8(0))
	f.Add("appeal", "", "NRN-ATB", "create", "Бишкек", "council", []byte(`"OSH-ARA"`), int64(0), int8(0))
	f.Add("event", "", "OSH-ARA", "create", "", "title", []byte(`"<&>"`), int64(0), int8(0))
	f.Add("appeal", existing, "NRN-ATB", "delete", "", changeset.DeletedField, []byte(`true`), int64(1<<50), int8(0))
	f.Add("council", "NRN-ATB", "NRN-ATB", "update", "", "name", []byte(`"x"`), int64(-1<<40), int8(0))
	f.Add("appeal", "a:b", "", "create", "\xff", "reg_no", []byte(`"NRN-ATB-x"`), int64(0), int8(3))
	f.Fuzz(func(t *testing.T, kind, record, council, action, author, field string, value []byte, clock int64, seqOff int8) {
		mu.Lock()
		defer mu.Unlock()
		if record == "" {
			record = domain.NewID()
		}
		if !json.Valid(value) {
			value, _ = json.Marshal(string(value))
		}
		at := hlc.Timestamp(int64(sec.clock.Now()) + clock)
		w := syncproto.WireOp{Device: sec.id, Seq: uint64(int64(sec.seq) + 1 + int64(seqOff)), HLC: uint64(at), Kind: kind, Record: record,
			Council: council, Action: action, Author: author, Fields: map[string]syncproto.WireChange{field: {V: value}}}
		frame, err := tg.codec.Encode(marshal(t, syncproto.SyncRequest{Proto: 1, Device: sec.id, Ops: []syncproto.WireOp{w}, Pull: true}), 1)
		if err != nil {
			return // larger than any laptop sends
		}
		r, err := sec.post(frame)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.status >= 500:
			t.Fatalf("server fault: %s", r)
		case r.status != http.StatusOK && (r.err.Code == "" || r.err.Message == ""):
			t.Fatalf("a refusal without a reason: %s", r)
		case r.status == http.StatusOK:
			sec.seq = r.resp.Acked
		case r.err.Acked > 0:
			sec.seq = r.err.Acked
		}
		pr, err := central.post(encodeFrame(t, tg, syncproto.SyncRequest{Proto: 1, Device: central.id, Pull: true, MaxPull: 64 << 10}))
		if err != nil || pr.status != http.StatusOK {
			t.Fatalf("central staff cannot pull after %+v: %v %v", w, pr, err)
		}
	})
}

func encodeFrame(t testing.TB, tg *target, req syncproto.SyncRequest) []byte {
	t.Helper()
	f, err := tg.codec.Encode(marshal(t, req), 1)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
