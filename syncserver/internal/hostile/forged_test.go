package hostile

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// Forged fields, ids, orders, replays and encodings: each is refused
// (the whole push, or the one operation, as the case says), with a clear
// code, and leaves the server serving everyone.
func TestForgedRequests(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	other := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")

	// A good first push to replay.
	first := sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
	sec.mustPush(first)
	replay := first
	replay.Record = domain.NewID() // same (device, seq), other content
	next := func() uint64 { return sec.seq + 1 }
	raw := func(opJSON string) []byte {
		return []byte(`{"proto":1,"device":"` + sec.id + `","ops":[` + opJSON + `]}`)
	}
	opJSON := func(seq uint64, kind, record, council, extra string) string {
		return fmt.Sprintf(`{"dv":%q,"sq":%d,"t":%d,"k":%q,"r":%q,"c":%q,"a":"create","f":{"council":{"v":%q},"summary":{"v":"x"}%s}}`,
			sec.id, seq, uint64(sec.clock.Now()), kind, record, council, council, extra)
	}
	type want struct {
		status int
		code   syncproto.Code // of the request, or of the operation's refusal (status 200)
	}
	cases := []struct {
		name    string
		payload func() []byte // made when its turn comes: it takes the next number
		want    want
	}{
		{"the same push again changes nothing", func() []byte {
			return marshal(t, syncproto.SyncRequest{Proto: 1, Device: sec.id, Ops: []syncproto.WireOp{first}})
		}, want{200, ""}},
		{"another operation under a number the server holds", func() []byte {
			return marshal(t, syncproto.SyncRequest{Proto: 1, Device: sec.id, Ops: []syncproto.WireOp{replay}})
		}, want{409, syncproto.CodeConflictSeq}},
		{"a gap in the sequence", func() []byte { return raw(opJSON(next()+5, "appeal", domain.NewID(), "NRN-ATB", "")) }, want{409, syncproto.CodeGap}},
		{"sequence number 0", func() []byte { return raw(opJSON(0, "appeal", domain.NewID(), "NRN-ATB", "")) }, want{400, syncproto.CodeInvalid}},
		{"out of order", func() []byte {
			return raw(opJSON(next()+1, "appeal", domain.NewID(), "NRN-ATB", "") + "," + opJSON(next(), "appeal", domain.NewID(), "NRN-ATB", ""))
		}, want{400, syncproto.CodeInvalid}},
		{"signed by another device", func() []byte {
			return marshal(t, syncproto.SyncRequest{Proto: 1, Device: sec.id, Ops: []syncproto.WireOp{other.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))}})
		}, want{403, syncproto.CodeForbidden}},
		{"a record id with a colon", func() []byte { return raw(opJSON(next(), "appeal", "a:b", "NRN-ATB", "")) }, want{200, syncproto.CodeInvalid}},
		{"a kind no laptop writes", func() []byte { return raw(opJSON(next(), "salary", domain.NewID(), "NRN-ATB", "")) }, want{200, syncproto.CodeForbidden}},
		{"a council of another", func() []byte { return raw(opJSON(next(), "appeal", domain.NewID(), "OSH-ARA", "")) }, want{200, syncproto.CodeWrongCouncil}},
		{"a field name with NUL", func() []byte { return raw(opJSON(next(), "appeal", domain.NewID(), "NRN-ATB", `,"a\u0000b":{"v":1}`)) }, want{200, syncproto.CodeInvalid}},
		{"a field name of 200 bytes", func() []byte {
			return raw(opJSON(next(), "appeal", domain.NewID(), "NRN-ATB", `,"`+strings.Repeat("я", 100)+`":{"v":1}`))
		}, want{200, syncproto.CodeInvalid}},
		{"a review field from a council", func() []byte {
			return raw(opJSON(next(), "appeal", domain.NewID(), "NRN-ATB", `,"published":{"v":true}`))
		}, want{200, syncproto.CodeForbidden}},
		{"an unknown action", func() []byte {
			return []byte(strings.Replace(string(raw(opJSON(next(), "appeal", domain.NewID(), "NRN-ATB", ""))), `"a":"create"`, `"a":"truncate"`, 1))
		}, want{200, syncproto.CodeInvalid}},
		{"no clock", func() []byte {
			return []byte(strings.Replace(string(raw(opJSON(next(), "appeal", domain.NewID(), "NRN-ATB", ""))), `"t":`, `"t0":`, 1))
		}, want{200, syncproto.CodeInvalid}},
		{"a value that is not JSON", func() []byte { return raw(opJSON(next(), "appeal", domain.NewID(), "NRN-ATB", `,"x":{"v":01}`)) }, want{400, syncproto.CodeFrame}},
		{"a key given twice (the last counts)", func() []byte { return []byte(`{"proto":1,"device":"` + sec.id + `","ops":[],"ops":[]}`) }, want{200, ""}},
		{"keys in another case are read, and judged", func() []byte {
			return []byte(`{"proto":1,"device":"` + sec.id + `","OPS":[` + opJSON(next(), "appeal", domain.NewID(), "OSH-ARA", "") + `]}`)
		}, want{200, syncproto.CodeWrongCouncil}},
		{"an invalid UTF-8 author", func() []byte {
			return []byte(strings.Replace(string(raw(opJSON(next(), "appeal", domain.NewID(), "NRN-ATB", ""))), `"a":"create"`, "\"a\":\"create\",\"u\":\"\xff\xfe\"", 1))
		}, want{200, ""}},
		{"a negative page size", func() []byte { return []byte(`{"proto":1,"device":"` + sec.id + `","pull":true,"max_pull":-5}`) }, want{200, ""}},
		{"a cursor past the end", func() []byte {
			return []byte(`{"proto":1,"device":"` + sec.id + `","pull":true,"cursor":18446744073709551615}`)
		}, want{200, ""}},
		{"the request for another device", func() []byte { return []byte(`{"proto":1,"device":"` + other.id + `"}`) }, want{403, syncproto.CodeForbidden}},
		{"trailing data", func() []byte { return []byte(`{"proto":1,"device":"` + sec.id + `"} {}`) }, want{400, syncproto.CodeFrame}},
	}
	for _, c := range cases {
		r := sec.send(c.payload())
		switch {
		case r.status != c.want.status:
			t.Errorf("%s: %s, want %d", c.name, r, c.want.status)
		case r.status != http.StatusOK && (r.err.Code != c.want.code || r.err.Message == ""):
			t.Errorf("%s: %s, want %s", c.name, r, c.want.code)
		case r.status == http.StatusOK && c.want.code != "":
			if len(r.resp.Refused) != 1 || r.resp.Refused[0].Code != c.want.code {
				t.Errorf("%s: refused %+v, want %s", c.name, r.resp.Refused, c.want.code)
			}
		}
		if r.status == http.StatusOK {
			sec.seq = r.resp.Acked
		}
	}
	// Everyone still syncs, and the central laptop sees nothing forged.
	ops, err := central.pullAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if o.Council == "OSH-ARA" && o.Kind != domain.KindCouncil || o.Kind == "salary" || strings.Contains(o.Record, ":") {
			t.Errorf("central staff received a forged operation: %+v", o)
		}
		if o.Device == sec.id && o.Author != sec.name {
			t.Errorf("operation %d authored %q", o.Seq, o.Author)
		}
	}
	if _, err := other.pullAll(); err != nil {
		t.Fatal(err)
	}
}
